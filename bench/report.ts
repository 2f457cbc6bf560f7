/** One measured figure of a benchmark run. */
export interface Figure {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  /** Conditions of the measurement (load, sizes), shown beside the value. */
  conditions?: string;
}

/** Prints the figures as an aligned table, then as JSON (for the closing note and for tooling). */
export function printReport(figures: Figure[], meta: Record<string, unknown>): void {
  const rows = figures.map((f) => [f.benchmark, f.metric, formatValue(f.value), f.unit, f.conditions ?? '']);
  const header = ['benchmark', 'metric', 'value', 'unit', 'conditions'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log();
  console.log(JSON.stringify({ ...meta, figures }, null, 2));
}

function formatValue(v: number | null): string {
  // NaN (a percentile of no answered request) travels through JSON as null.
  if (v === null || !Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v)) return String(v);
  // Costs per complaint are fractions of a cent: three significant digits.
  if (Math.abs(v) < 0.1) return v.toPrecision(3);
  return v.toFixed(v < 10 ? 2 : 1);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, idx)] as number;
}
