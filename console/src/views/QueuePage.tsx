import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, type Complaint, ok } from '../api/client';
import type { paths } from '../api/generated/schema';
import { useApp } from '../context';
import { navigate, onLinkClick } from '../router';
import { SlaCountdown, statusLabel, Untrusted } from './common';

type ListQuery = NonNullable<paths['/complaints']['get']['parameters']['query']>;

/**
 * A queue ordered by SLA due time (the API's order), with live countdowns. Keyboard: j / k move,
 * Enter opens, r reloads, / finds a reference.
 */
export function QueuePage({ title, query }: { title: string; query: ListQuery }) {
  const { api } = useApp();
  const [items, setItems] = useState<Complaint[] | undefined>();
  // The list's first page is shown (the most urgent first); whether more wait behind it is said.
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState(0);
  const [reference, setReference] = useState('');
  const search = useRef<HTMLInputElement>(null);
  const rows = useRef<(HTMLAnchorElement | null)[]>([]);

  const load = useCallback(async () => {
    try {
      const page = await ok(api.GET('/complaints', { params: { query: { ...query, limit: 100 } } }));
      setItems(page.items);
      setMore(page.cursor !== undefined);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api, JSON.stringify(query)]);

  useEffect(() => {
    load();
    const timer = setInterval(load, 15_000);
    return () => clearInterval(timer);
  }, [load]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select') || e.metaKey || e.ctrlKey || e.altKey) return;
      const count = items?.length ?? 0;
      if (e.key === 'j' || e.key === 'k') {
        e.preventDefault();
        const next = Math.max(0, Math.min(count - 1, selected + (e.key === 'j' ? 1 : -1)));
        setSelected(next);
        rows.current[next]?.focus();
      } else if (e.key === 'Enter' && items?.[selected] && target === document.body) {
        navigate(`/complaints/${items[selected].id}`);
      } else if (e.key === 'r') {
        load();
      } else if (e.key === '/') {
        e.preventDefault();
        search.current?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [items, selected, load]);

  const find = async (e: Event) => {
    e.preventDefault();
    try {
      const found = await ok(api.GET('/complaints', { params: { query: { reference: reference.trim() } } }));
      if (found.items[0]) navigate(`/complaints/${found.items[0].id}`);
      else setError(`No complaint ${reference}`);
    } catch (err) {
      setError(
        err instanceof ApiProblem ? (err.fieldIssues.reference ?? err.message) : (err as Error).message,
      );
    }
  };

  return (
    <section aria-labelledby="queue-title">
      <div class="queue-head">
        <h1 id="queue-title">{title}</h1>
        <search>
          <form class="find" onSubmit={find}>
            <label for="find-reference">Find by reference</label>
            <input
              id="find-reference"
              ref={search}
              value={reference}
              placeholder="CMP-XXXXXX"
              onInput={(e) => setReference(e.currentTarget.value)}
            />
            <button type="submit">Open</button>
          </form>
        </search>
      </div>
      <p class="hint">Keys: j / k move · Enter open · r reload · / find</p>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>Nothing waiting here.</p>
      ) : (
        <table class="queue">
          <caption class="visually-hidden">{title}, most urgent first</caption>
          <thead>
            <tr>
              <th scope="col">Due in</th>
              <th scope="col">Reference</th>
              <th scope="col">Subject</th>
              <th scope="col">Customer</th>
              <th scope="col">Status</th>
              <th scope="col">Tier</th>
              <th scope="col">Priority</th>
              <th scope="col">Assignee</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c, i) => (
              <tr key={c.id} class={i === selected ? 'selected' : undefined}>
                <td>
                  <SlaCountdown complaint={c} />
                </td>
                <td>
                  <a
                    href={`/complaints/${c.id}`}
                    onClick={onLinkClick}
                    onFocus={() => setSelected(i)}
                    ref={(el) => {
                      rows.current[i] = el;
                    }}
                  >
                    {c.reference}
                  </a>
                  {c.investigation?.atRisk ? <span class="flag"> at risk</span> : null}
                </td>
                <td>
                  <Untrusted text={c.subject} />
                </td>
                <td>
                  <Untrusted text={c.customerName ?? c.customerEmail} />
                </td>
                <td>{statusLabel(c.status)}</td>
                <td>{c.tier}</td>
                <td>{c.priority}</td>
                <td>{c.assignee ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items?.length && more ? (
        <p class="hint">
          The {items.length} most urgent are shown; more are waiting behind them. Find one by its reference
          above.
        </p>
      ) : null}
    </section>
  );
}
