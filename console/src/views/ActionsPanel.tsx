import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Complaint, ok } from '../api/client';
import { components } from '../api/generated/openapi.json';
import { authorityHint } from '../authority';
import { useApp } from '../context';
import { useDraft } from '../drafts';
import { Field, Untrusted } from './common';
import { useAction } from './useAction';

interface Props {
  complaint: Complaint;
  onChanged: () => void;
  onConflict: () => void;
}

// Choices come from the API's published schemas, so the forms offer exactly what it accepts.
const resolutionSchema = components.schemas.ProposeResolutionRequest.properties;
const resolutionTypes = resolutionSchema.type.enum;
const rootCauses = resolutionSchema.rootCause.enum;
const closeReasons = components.schemas.CloseComplaintRequest.properties.reason.enum;

/** The actions the complaint's state allows, each a small form. */
export function ActionsPanel(props: Props) {
  const { me } = useApp();
  const c = props.complaint;
  // A failed step waits for the manager alone (the API answers anyone else 403).
  const deciding = c.waitingFor === 'agent' || (c.waitingFor === 'attention' && me.role === 'manager');
  return (
    <section class="actions" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {c.assignee !== me.id && c.status !== 'closed' ? <ClaimButton {...props} /> : null}
      {c.waitingFor === 'approval' && c.proposal ? <ApprovalForm {...props} /> : null}
      {c.waitingFor === 'follow_up' ? <FollowUpCall {...props} /> : null}
      {c.status !== 'closed' ? <TextAction {...props} kind="reply" open /> : null}
      <TextAction {...props} kind="note" />
      {deciding ? (
        <>
          <ResolutionForm {...props} />
          <TextAction {...props} kind="info" />
          <TextAction {...props} kind="escalate" />
          <MergeForm {...props} />
          <CloseForm {...props} />
        </>
      ) : null}
    </section>
  );
}

function Section(props: { title: string; open?: boolean; children: ComponentChildren }) {
  return (
    <details class="action" open={props.open}>
      <summary>{props.title}</summary>
      {props.children}
    </details>
  );
}

/** A select over the values a schema enumerates, shown as words (`product_defect` → product defect). */
function ChoiceSelect(props: {
  aria: Record<string, unknown>;
  choices: readonly string[];
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <select {...props.aria} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
      {props.choices.map((c) => (
        <option key={c} value={c}>
          {c.replaceAll('_', ' ')}
        </option>
      ))}
    </select>
  );
}

function FormError({ issues }: { issues: Record<string, string> }) {
  return issues._ ? (
    <p class="error" role="alert">
      {issues._}
    </p>
  ) : null;
}

function ClaimButton({ complaint, onChanged, onConflict }: Props) {
  const action = useAction(complaint, '/complaints/{id}/claim', undefined, { onDone: onChanged, onConflict });
  return (
    <div class="claim">
      <button type="button" class="primary" disabled={action.busy} onClick={() => action.run({})}>
        Claim
      </button>
      <FormError issues={action.issues} />
    </div>
  );
}

const textActions = {
  reply: {
    title: 'Reply to the customer',
    path: '/complaints/{id}/replies',
    request: 'ReplyToCustomerRequest',
    field: 'text',
    label: 'Reply (emailed to the customer)',
    submit: 'Send reply',
  },
  note: {
    title: 'Internal note',
    path: '/complaints/{id}/notes',
    request: 'AddNoteRequest',
    field: 'text',
    label: 'Note (never emailed)',
    submit: 'Add note',
  },
  info: {
    title: 'Request information',
    path: '/complaints/{id}/info-requests',
    request: 'RequestInfoRequest',
    field: 'question',
    label: 'Question to the customer (the SLA pauses until they answer)',
    submit: 'Send question',
  },
  escalate: {
    title: 'Escalate',
    path: '/complaints/{id}/escalation',
    request: 'EscalateRequest',
    field: 'reason',
    label: 'Reason for escalating to the next tier',
    submit: 'Escalate',
  },
} as const;

function TextAction(props: Props & { kind: keyof typeof textActions; open?: boolean }) {
  const spec = textActions[props.kind];
  const [text, setText, clear] = useDraft(`${props.complaint.id}:${props.kind}`);
  const action = useAction(props.complaint, spec.path, spec.request, {
    onDone: () => {
      clear();
      props.onChanged();
    },
    onConflict: props.onConflict,
  });
  const id = `${props.kind}-${spec.field}`;
  return (
    <Section title={spec.title} open={props.open ?? false}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run({ [spec.field]: text });
        }}
      >
        <Field id={id} label={spec.label} error={action.issues[spec.field]}>
          {(aria) => (
            <textarea {...aria} rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          )}
        </Field>
        <FormError issues={action.issues} />
        <button type="submit" disabled={action.busy}>
          {spec.submit}
        </button>
      </form>
    </Section>
  );
}

/**
 * What the complaint has cost so far (`appliedTotal`), which the authority limit covers with the next
 * amount: the complaint detail's. A view of the complaint without it (a list or queue item) has the
 * detail read once for it; undefined until that answers.
 */
function useAppliedTotal(complaint: Complaint): number | undefined {
  const { api } = useApp();
  const [read, setRead] = useState<{ key: string; appliedTotal: number | undefined }>();
  const key = `${complaint.id}@${complaint.version}`;
  const known = complaint.appliedTotal;
  useEffect(() => {
    if (known !== undefined) return;
    let current = true;
    ok(api.GET('/complaints/{id}', { params: { path: { id: complaint.id } } }))
      .then((detail) => current && setRead({ key, appliedTotal: detail.complaint.appliedTotal }))
      // The hint stays unknown; the API checks the limit when the resolution is proposed.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [api, complaint.id, key, known]);
  return known ?? (read?.key === key ? read.appliedTotal : undefined);
}

function ResolutionForm({ complaint, onChanged, onConflict }: Props) {
  const { me } = useApp();
  const [type, setType] = useState<string>('refund');
  const [amount, setAmount, clearAmount] = useDraft(`${complaint.id}:amount`);
  const [summary, setSummary, clearSummary] = useDraft(`${complaint.id}:resolution`);
  const [rootCause, setRootCause] = useState<string>(rootCauses[0] as string);
  const action = useAction(complaint, '/complaints/{id}/resolution', 'ProposeResolutionRequest', {
    onDone: () => {
      clearSummary();
      clearAmount();
      onChanged();
    },
    onConflict,
  });
  const monetary = type === 'refund' || type === 'credit';
  const value = Number(amount);
  // The limit covers what the complaint has cost: earlier resolutions (before a reopen) plus this one.
  const appliedTotal = useAppliedTotal(complaint);
  const { applied, overLimit } = authorityHint({
    appliedTotal,
    type,
    amount,
    limit: me.authorityLimit,
    currency: me.currency,
  });
  const limit = me.authorityLimit === null ? 'unlimited' : `${me.authorityLimit} ${me.currency}`;
  return (
    <Section title="Resolve" open={complaint.waitingFor === 'agent'}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run({
            type,
            ...(monetary && amount !== '' ? { amount: value, currency: me.currency } : {}),
            summary,
            rootCause,
          });
        }}
      >
        <Field id="resolution-type" label="Resolution" error={action.issues.type}>
          {(aria) => <ChoiceSelect aria={aria} choices={resolutionTypes} value={type} onChange={setType} />}
        </Field>
        {monetary ? (
          <Field
            id="resolution-amount"
            label={`Amount (${me.currency})`}
            error={action.issues.amount}
            hint={
              <span data-testid="authority">
                Your authority limit: {limit}.{' '}
                {applied !== undefined && applied > 0
                  ? `Already applied to this complaint: ${applied} ${me.currency}; the limit covers it with this amount. `
                  : ''}
                {overLimit === undefined ? (
                  'Reading what was already applied to this complaint…'
                ) : overLimit ? (
                  <strong>Above your limit: this goes to a higher tier for approval.</strong>
                ) : (
                  'Within it, the resolution is applied at once.'
                )}
              </span>
            }
          >
            {(aria) => (
              <input
                {...aria}
                type="number"
                inputMode="decimal"
                min="0"
                step="0.01"
                value={amount}
                onInput={(e) => setAmount(e.currentTarget.value)}
              />
            )}
          </Field>
        ) : null}
        <Field id="resolution-summary" label="Summary for the customer" error={action.issues.summary}>
          {(aria) => (
            <textarea {...aria} rows={3} value={summary} onInput={(e) => setSummary(e.currentTarget.value)} />
          )}
        </Field>
        <Field id="resolution-root-cause" label="Root cause" error={action.issues.rootCause}>
          {(aria) => (
            <ChoiceSelect aria={aria} choices={rootCauses} value={rootCause} onChange={setRootCause} />
          )}
        </Field>
        <FormError issues={action.issues} />
        <button type="submit" class="primary" disabled={action.busy}>
          {overLimit ? 'Propose for approval' : 'Resolve'}
        </button>
      </form>
    </Section>
  );
}

function ApprovalForm({ complaint, onChanged, onConflict }: Props) {
  const proposal = complaint.proposal;
  const [reason, setReason, clear] = useDraft(`${complaint.id}:reject`);
  const action = useAction(complaint, '/complaints/{id}/approval', 'DecideApprovalRequest', {
    onDone: () => {
      clear();
      onChanged();
    },
    onConflict,
  });
  if (!proposal) return null;
  const r = proposal.resolution;
  return (
    <Section title="Approval" open>
      <p>
        {proposal.proposedBy.id} ({proposal.proposedBy.role}, limit{' '}
        {proposal.proposerLimit === null ? 'unlimited' : proposal.proposerLimit}) proposes a{' '}
        <strong>{r.type}</strong>
        {r.amount !== undefined ? (
          <strong>
            {' '}
            of {r.amount} {r.currency}
          </strong>
        ) : null}
        : “<Untrusted text={r.summary} />” (root cause {r.rootCause.replaceAll('_', ' ')}).
        {proposal.alreadyApplied ? (
          <>
            {' '}
            The complaint has had{' '}
            <strong>
              {proposal.alreadyApplied} {r.currency}
            </strong>{' '}
            applied already: your limit covers both.
          </>
        ) : null}
      </p>
      <button
        type="button"
        class="primary"
        disabled={action.busy}
        onClick={() => action.run({ decision: 'approve' })}
      >
        Approve
      </button>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run({ decision: 'reject', reason });
        }}
      >
        <Field id="reject-reason" label="Reason for rejecting" error={action.issues.reason}>
          {(aria) => (
            <textarea {...aria} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          )}
        </Field>
        <FormError issues={action.issues} />
        <button type="submit" disabled={action.busy}>
          Reject
        </button>
      </form>
    </Section>
  );
}

function FollowUpCall({ complaint: c, onChanged, onConflict }: Props) {
  const [note, setNote, clear] = useDraft(`${c.id}:follow-up`);
  const action = useAction(c, '/complaints/{id}/follow-up', 'RecordFollowUpRequest', {
    onDone: () => {
      clear();
      onChanged();
    },
    onConflict,
  });
  const outcome = (value: 'satisfied' | 'unsatisfied' | 'unreachable') =>
    action.run({ outcome: value, ...(note ? { note } : {}) });
  const resolution = c.resolution;
  return (
    <Section title="Follow-up call" open>
      <div class="call-script">
        <h3>Call script</h3>
        <ol>
          <li>
            “Hello{c.customerName ? ' ' : ''}
            {c.customerName ? <Untrusted text={c.customerName} /> : null}, I am calling about your complaint{' '}
            {c.reference}, “<Untrusted text={c.subject} />
            ”.”
          </li>
          {resolution ? (
            <li>
              “We resolved it with a {resolution.type}
              {resolution.amount !== undefined ? ` of ${resolution.amount} ${resolution.currency}` : ''}:{' '}
              <Untrusted text={resolution.summary} />”
            </li>
          ) : null}
          <li>“Are you satisfied with how we resolved it?”</li>
          <li>
            Unhappy: note why; the complaint reopens at a higher priority. No answer: record unreachable.
          </li>
        </ol>
        <p class="muted">Attempt {c.followUp ? c.followUp.attempts + 1 : 1}.</p>
      </div>
      <Field id="follow-up-note" label="Call note (optional)" error={action.issues.note}>
        {(aria) => (
          <textarea {...aria} rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        )}
      </Field>
      <FormError issues={action.issues} />
      <div class="buttons">
        <button type="button" class="primary" disabled={action.busy} onClick={() => outcome('satisfied')}>
          Satisfied
        </button>
        <button type="button" disabled={action.busy} onClick={() => outcome('unsatisfied')}>
          Unsatisfied
        </button>
        <button type="button" disabled={action.busy} onClick={() => outcome('unreachable')}>
          Unreachable
        </button>
      </div>
    </Section>
  );
}

function MergeForm({ complaint, onChanged, onConflict }: Props) {
  const { api } = useApp();
  const [target, setTarget, clear] = useDraft(`${complaint.id}:merge`);
  const [lookup, setLookup] = useState<string | undefined>();
  const action = useAction(complaint, '/complaints/{id}/merge', 'MergeComplaintRequest', {
    onDone: () => {
      clear();
      onChanged();
    },
    onConflict,
  });
  const submit = async (e: Event) => {
    e.preventDefault();
    setLookup(undefined);
    let into = target.trim();
    // Agents know references (the API reads them as typed, CMP4F7K2Q too); the merge takes the id.
    if (/^CMP/i.test(into)) {
      const found = await api.GET('/complaints', { params: { query: { reference: into } } });
      const id = found.data?.items[0]?.id;
      if (!id) return setLookup(`No complaint ${into}`);
      into = id;
    }
    action.run({ into });
  };
  return (
    <Section title="Merge into another complaint">
      <form onSubmit={submit}>
        <Field
          id="merge-into"
          label="Reference (CMP-…) or id of the complaint to keep"
          error={lookup ?? action.issues.into}
        >
          {(aria) => <input {...aria} value={target} onInput={(e) => setTarget(e.currentTarget.value)} />}
        </Field>
        <FormError issues={action.issues} />
        <button type="submit" disabled={action.busy}>
          Merge
        </button>
      </form>
    </Section>
  );
}

function CloseForm({ complaint, onChanged, onConflict }: Props) {
  const [reason, setReason] = useState<string>(closeReasons[1] ?? 'withdrawn');
  const action = useAction(complaint, '/complaints/{id}/close', 'CloseComplaintRequest', {
    onDone: onChanged,
    onConflict,
  });
  return (
    <Section title="Close">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run({ reason });
        }}
      >
        <Field id="close-reason" label="Reason" error={action.issues.reason}>
          {(aria) => <ChoiceSelect aria={aria} choices={closeReasons} value={reason} onChange={setReason} />}
        </Field>
        <FormError issues={action.issues} />
        <button type="submit" disabled={action.busy}>
          Close complaint
        </button>
      </form>
    </Section>
  );
}
