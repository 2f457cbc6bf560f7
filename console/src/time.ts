import { useEffect, useState } from 'preact/hooks';

/** The current time, re-read every second (one timer per component that shows a countdown). */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** `2h 05m`, `4m 09s`, `-12m 30s` (overdue). */
export function formatRemaining(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${sign}${d}d ${pad(h)}h`;
  if (h > 0) return `${sign}${h}h ${pad(m)}m`;
  return `${sign}${m}m ${pad(s)}s`;
}

export type SlaState = 'ok' | 'warning' | 'breached' | 'paused' | 'none';

export function slaState(
  c: { slaDueAt?: string; sla?: { warnAt: string; pausedAt?: string } },
  now: number,
): SlaState {
  if (c.sla?.pausedAt) return 'paused';
  if (!c.slaDueAt) return 'none';
  if (now >= Date.parse(c.slaDueAt)) return 'breached';
  if (c.sla && now >= Date.parse(c.sla.warnAt)) return 'warning';
  return 'ok';
}

export const formatTime = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
