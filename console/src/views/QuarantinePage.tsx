import { useCallback, useEffect, useState } from 'preact/hooks';
import { ok, type QuarantineItem } from '../api/client';
import { useApp } from '../context';
import { navigate } from '../router';
import { formatTime } from '../time';
import { plain, Untrusted } from './common';

/** Held inbound mail (manager): why it was held, a preview, and release into normal intake. */
export function QuarantinePage() {
  const { api } = useApp();
  const [items, setItems] = useState<QuarantineItem[] | undefined>();
  const [message, setMessage] = useState<string | undefined>();
  const load = useCallback(async () => {
    setItems((await ok(api.GET('/quarantine', { params: { query: { limit: 100 } } }))).items);
  }, [api]);
  useEffect(() => {
    load().catch((e: Error) => setMessage(e.message));
  }, [load]);
  /** The outcome intake records for a released mail it was handed (polled for up to 20 s). */
  const filedOutcome = async (id: string) => {
    for (let waited = 0; waited < 20_000; waited += 500) {
      const page = await ok(
        api.GET('/quarantine', { params: { query: { status: 'released', limit: 100 } } }),
      );
      const outcome = page.items.find((q) => q.id === id)?.outcome;
      if (outcome) return outcome;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return undefined;
  };
  const release = async (item: QuarantineItem) => {
    try {
      const released = await ok(api.POST('/quarantine/{id}/release', { params: { path: { id: item.id } } }));
      // 202: handed to intake, which files it and records the outcome shortly.
      const outcome =
        (released as { outcome?: { disposition: string; complaintId?: string } }).outcome ??
        (await filedOutcome(item.id));
      setMessage(outcome ? `Released: ${outcome.disposition}` : 'Released: intake is filing it');
      if (outcome?.complaintId) navigate(`/complaints/${outcome.complaintId}`);
      else await load();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="quarantine-title">
      <h1 id="quarantine-title">Quarantine</h1>
      {message ? <p role="status">{message}</p> : null}
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>No mail is held.</p>
      ) : (
        <ul class="quarantine">
          {items.map((q) => (
            <li key={q.id}>
              <h2>{q.summary.subject ? <Untrusted text={q.summary.subject} /> : '(no subject)'}</h2>
              <p class="muted">
                From {q.summary.from ? <Untrusted text={q.summary.from} /> : 'unknown'} ·{' '}
                {formatTime(q.quarantinedAt)} · {Math.ceil(q.summary.sizeBytes / 1024)} KB
              </p>
              <p>Held because: {plain(q.reasons.map((r) => r.detail ?? r.code).join('; '))}</p>
              <pre class="entry-text">{plain(q.summary.preview)}</pre>
              <button
                type="button"
                onClick={() => release(q)}
                aria-label={`Release “${plain(q.summary.subject)}”`}
              >
                Release
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
