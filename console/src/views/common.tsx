import type { ComponentChildren } from 'preact';
import { deceptiveInvisibles } from '../../../functions/core/text';
import type { Complaint } from '../api/client';
import { formatRemaining, type SlaState, slaState, useNow } from '../time';

const slaLabels: Record<SlaState, string> = {
  ok: 'on time',
  warning: 'due soon',
  breached: 'overdue',
  paused: 'paused (awaiting customer)',
  none: 'no target',
};

/** Live countdown to the SLA due time, coloured by state; the state is also said in words. */
export function SlaCountdown({ complaint }: { complaint: Complaint }) {
  const now = useNow();
  const state = slaState(complaint, now);
  const due = complaint.slaDueAt ? Date.parse(complaint.slaDueAt) : undefined;
  return (
    <span class={`sla sla-${state}`} title={complaint.slaDueAt ? `Due ${complaint.slaDueAt}` : undefined}>
      {due !== undefined && state !== 'paused' ? formatRemaining(due - now) : '—'}
      <span class="sla-label"> {slaLabels[state]}</span>
    </span>
  );
}

export const statusLabel = (status: string) => status.replaceAll('_', ' ');

/** A labelled form control with its error (from the schema check or the API's problem details). */
export function Field(props: {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ComponentChildren;
  children: (aria: { id: string; 'aria-invalid': boolean; 'aria-describedby'?: string }) => ComponentChildren;
}) {
  const described = [props.hint ? `${props.id}-hint` : '', props.error ? `${props.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children({
        id: props.id,
        'aria-invalid': Boolean(props.error),
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {props.hint ? (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {props.error ? (
        <p class="error" id={`${props.id}-error`} role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * Text from the public (or any text of a record) as the console may show it: without the invisible
 * characters that reorder or hide text (`deceptiveInvisibles`, the set the mail templates drop from
 * customer text: a right-to-left override makes `invoice‮fdp.exe` read `invoiceexe.pdf`, and it
 * reverses the console's own words after it too).
 */
export const plain = (text: string) => text.replace(deceptiveInvisibles, '');

/**
 * A value the public wrote (subject, name, address, file name, content type), shown inline: as text
 * (Preact escapes it), without the reordering characters, isolated (`<bdi>`) so that right-to-left
 * script in it does not move the console's words beside it, and breakable anywhere so that a long value
 * wraps instead of widening the page.
 */
export function Untrusted({ text }: { text: string }) {
  return <bdi class="untrusted">{plain(text)}</bdi>;
}
