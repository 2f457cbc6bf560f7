import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Complaint, ok, type TimelineEntry } from '../api/client';
import { useApp } from '../context';
import { onLinkClick } from '../router';
import { formatTime } from '../time';
import { ActionsPanel } from './ActionsPanel';
import { plain, SlaCountdown, statusLabel, Untrusted } from './common';

const transientStatuses: ReadonlySet<string> = new Set(['received', 'investigating', 'deciding', 'reopened']);

/** A complaint: the customer and their history, the timeline, attachments, and the actions at hand. */
export function ComplaintPage({ id }: { id: string }) {
  const { api } = useApp();
  const [detail, setDetail] = useState<{ complaint: Complaint; timeline: TimelineEntry[] } | undefined>();
  const [conflict, setConflict] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async () => {
    try {
      setDetail(await ok(api.GET('/complaints/{id}', { params: { path: { id } } })));
      setConflict(false);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [api, id]);
  useEffect(() => {
    setDetail(undefined);
    load();
  }, [load]);
  useEffect(() => {
    if (detail) heading.current?.focus();
  }, [detail?.complaint.id]);
  // While the workflow is acting (a decision being applied, an investigation), the page follows it.
  const status = detail?.complaint.status;
  useEffect(() => {
    if (!status || !transientStatuses.has(status)) return;
    const timer = setTimeout(load, 1000);
    return () => clearTimeout(timer);
  }, [status, detail, load]);

  if (error && !detail) {
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  }
  if (!detail) return <p>Loading…</p>;
  const c = detail.complaint;
  const attachments = detail.timeline.flatMap((e) =>
    e.kind === 'message' ? (e.attachments ?? []).map((a) => ({ ...a, at: e.at })) : [],
  );
  return (
    <article class="complaint" aria-labelledby="complaint-title">
      <header class="complaint-head">
        <h1 id="complaint-title" tabIndex={-1} ref={heading}>
          {c.reference} · <Untrusted text={c.subject} />
        </h1>
        <dl class="facts">
          <dt>Status</dt>
          <dd data-testid="status">{statusLabel(c.status)}</dd>
          <dt>Tier</dt>
          <dd>{c.tier}</dd>
          <dt>Priority</dt>
          <dd>{c.priority}</dd>
          <dt>Due in</dt>
          <dd>
            <SlaCountdown complaint={c} />
          </dd>
          <dt>Assignee</dt>
          <dd>{c.assignee ?? 'nobody'}</dd>
        </dl>
      </header>
      {conflict ? (
        <div class="conflict" role="alert">
          <p>
            Someone changed this complaint since you opened it. Reload to see the change; what you typed is
            kept.
          </p>
          <button type="button" class="primary" onClick={load}>
            Reload
          </button>
        </div>
      ) : null}
      <div class="columns">
        <div class="main-column">
          <ActionsPanel complaint={c} onChanged={load} onConflict={() => setConflict(true)} />
          <Timeline entries={detail.timeline} />
        </div>
        <aside class="side-column" aria-label="Customer">
          <CustomerPanel complaint={c} />
          <section aria-labelledby="attachments-title">
            <h2 id="attachments-title">Attachments</h2>
            {attachments.length === 0 ? (
              <p>None.</p>
            ) : (
              <ul class="attachments">
                {attachments.map((a) => (
                  <li key={a.key}>
                    {a.filename ? <Untrusted text={a.filename} /> : '(unnamed)'}{' '}
                    <span class="muted">
                      · <Untrusted text={a.contentType} /> · {Math.ceil(a.size / 1024)} KB
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </aside>
      </div>
    </article>
  );
}

function CustomerPanel({ complaint: c }: { complaint: Complaint }) {
  const { api } = useApp();
  const [others, setOthers] = useState<Complaint[] | undefined>();
  useEffect(() => {
    ok(
      api.GET('/customers/{email}/complaints', {
        params: { path: { email: c.customerEmail }, query: { limit: 10 } },
      }),
    )
      .then((page) => setOthers(page.items.filter((o) => o.id !== c.id)))
      .catch(() => setOthers([]));
  }, [c.customerEmail, c.id]);
  const inv = c.investigation;
  return (
    <section aria-labelledby="customer-title">
      <h2 id="customer-title">Customer</h2>
      <p>
        {c.customerName ? (
          <strong>
            <Untrusted text={c.customerName} />{' '}
          </strong>
        ) : null}
        <Untrusted text={c.customerEmail} />
      </p>
      {inv ? (
        <>
          {inv.atRisk ? (
            <div class="flag-box">
              <strong>At risk</strong>
              <ul>
                {inv.atRiskReasons.map((r) => (
                  <li key={r}>{plain(r)}</li>
                ))}
              </ul>
            </div>
          ) : null}
          {inv.riskSignals.length > 0 ? (
            <p>
              Risk signals:{' '}
              {inv.riskSignals.map((s, i) => (
                <span key={`${s.signal}${i}`}>
                  {i > 0 ? ', ' : ''}
                  {s.signal.replaceAll('_', ' ')} (“
                  <Untrusted text={s.evidence} />
                  ”)
                </span>
              ))}
            </p>
          ) : null}
          <p>
            {inv.history.complaintsInWindow} complaint(s) in 90 days, {inv.history.open} other open
            {inv.history.lastCsat ? `, last follow-up: ${inv.history.lastCsat}` : ''}. Category {inv.category}
            .
          </p>
        </>
      ) : null}
      <h3>Earlier complaints</h3>
      {others === undefined ? (
        <p>Loading…</p>
      ) : others.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {others.map((o) => (
            <li key={o.id}>
              <a href={`/complaints/${o.id}`} onClick={onLinkClick}>
                {o.reference}
              </a>{' '}
              <Untrusted text={o.subject} /> <span class="muted">({statusLabel(o.status)})</span>
              {inv?.possibleDuplicates.includes(o.id) ? <span class="flag"> possible duplicate</span> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const actorName = (a: { kind: string; id: string; role?: string }) =>
  a.kind === 'agent' ? `${a.id}${a.role ? ` (${a.role})` : ''}` : a.kind;

function Timeline({ entries }: { entries: TimelineEntry[] }) {
  const [showAudit, setShowAudit] = useState(true);
  const shown = showAudit ? entries : entries.filter((e) => e.kind !== 'audit');
  return (
    <section aria-labelledby="timeline-title">
      <div class="timeline-head">
        <h2 id="timeline-title">Timeline</h2>
        <label>
          <input
            type="checkbox"
            checked={showAudit}
            onChange={(e) => setShowAudit(e.currentTarget.checked)}
          />{' '}
          Show audit events
        </label>
      </div>
      <ol class="timeline">
        {shown.map((e) => (
          <li
            key={e.id}
            class={`entry entry-${e.kind}${e.kind === 'message' ? ` entry-${e.direction}` : ''}`}
          >
            <p class="entry-meta">
              <time dateTime={e.at}>{formatTime(e.at)}</time> ·{' '}
              {e.kind === 'message' ? (
                <>
                  {e.direction === 'inbound' ? 'From ' : 'To '}
                  <Untrusted text={e.direction === 'inbound' ? e.from : e.to.join(', ')} />
                  {e.purpose ? ` · ${e.purpose.replaceAll('_', ' ')}` : ''}
                </>
              ) : e.kind === 'note' ? (
                `Internal note by ${actorName(e.author)}`
              ) : (
                `${e.action.replaceAll('_', ' ')} by ${actorName(e.actor)}: ${e.fromStatus ? `${statusLabel(e.fromStatus)} → ` : ''}${statusLabel(e.toStatus)}`
              )}
            </p>
            {e.kind === 'message' ? (
              <>
                <p class="entry-subject">
                  <Untrusted text={e.subject} />
                </p>
                <pre class="entry-text">{plain(e.text)}</pre>
                {e.attachments?.length ? (
                  <p class="muted">
                    Attachments:{' '}
                    {e.attachments.map((a, i) => (
                      <span key={a.key}>
                        {i > 0 ? ', ' : ''}
                        {a.filename ? <Untrusted text={a.filename} /> : '(unnamed)'}
                      </span>
                    ))}
                  </p>
                ) : null}
              </>
            ) : e.kind === 'note' ? (
              <pre class="entry-text">{plain(e.text)}</pre>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
