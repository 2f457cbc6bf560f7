import type { Complaint } from '../complaint';
import { canonicalReference, typedReferenceSource } from '../reference';

/**
 * A complaint an inbound mail may belong to, and the evidence for it. Strongest first:
 * - `replyToken`: the mail was sent to `support+<token>@domain`, the reply-to address of our mail;
 * - `messageReference`: In-Reply-To/References names one of our outbound mails (its SES MessageId) or a
 *   mail already filed on the complaint; `rank` 0 is In-Reply-To, then References from the newest;
 * - `subjectTag`: `[CMP-XXXXXX]` in the subject, trusted only when the sender is the complaint's
 *   customer (anyone can type a reference).
 */
export type ThreadSignal =
  | { kind: 'replyToken'; complaintId: string; rank: number }
  | { kind: 'messageReference'; complaintId: string; rank: number }
  | { kind: 'subjectTag'; complaintId: string; rank: number; customerEmail: string };

/** The complaint a mail threads into and the signal that decided it, or none (a new complaint). */
export type ThreadDecision =
  | { thread: true; complaintId: string; via: ThreadSignal['kind'] }
  | { thread: false };

const strength: Record<ThreadSignal['kind'], number> = { replyToken: 0, messageReference: 1, subjectTag: 2 };

/**
 * Picks the complaint a mail threads into from the signals found for it: the strongest kind wins, and
 * within a kind the lowest rank. A subject tag counts only when `sender` is that complaint's customer,
 * so a stranger quoting someone's reference opens a complaint of their own.
 */
export function chooseThread(sender: string, signals: readonly ThreadSignal[]): ThreadDecision {
  const from = sender.toLowerCase();
  const trusted = signals.filter((s) => s.kind !== 'subjectTag' || s.customerEmail.toLowerCase() === from);
  const best = [...trusted].sort((a, b) => strength[a.kind] - strength[b.kind] || a.rank - b.rank)[0];
  return best ? { thread: true, complaintId: best.complaintId, via: best.kind } : { thread: false };
}

/**
 * Tokens of the addresses among `addresses` that are `<support local part>+<token>@<support domain>`,
 * lower-cased (tokens are issued lower-case; some mail systems change the case of local parts).
 */
export function replyTokensIn(addresses: readonly string[], supportAddress: string): string[] {
  const [local, domain] = supportAddress.toLowerCase().split('@');
  const tokens: string[] = [];
  for (const address of addresses) {
    const lower = address.toLowerCase();
    const at = lower.lastIndexOf('@');
    if (lower.slice(at + 1) !== domain) continue;
    const part = lower.slice(0, at);
    if (!part.startsWith(`${local}+`)) continue;
    const token = part.slice(local?.length ?? 0).slice(1);
    if (/^[a-z0-9_-]+$/.test(token) && !tokens.includes(token)) tokens.push(token);
  }
  return tokens;
}

/** Message-IDs a mail refers to, most relevant first: In-Reply-To, then References from the newest. */
export function referencedMessageIds(mail: { inReplyTo?: string; references: readonly string[] }): string[] {
  const ids = [...(mail.inReplyTo ? [mail.inReplyTo] : []), ...[...mail.references].reverse()];
  return [...new Set(ids)];
}

// SES rewrites the Message-ID of what it sends to `<MessageId@email.amazonses.com>`, or
// `<MessageId@<region>.amazonses.com>` in some regions.
const sesMessageIdPattern = /^([^@\s]+)@(?:[a-z0-9-]+\.)?amazonses\.com$/i;

/**
 * The SES MessageId an inbound reference points at: the local part of an `…amazonses.com` Message-ID,
 * or the reference itself when it is a bare id without `@` (some clients strip the domain). Undefined
 * for other Message-IDs.
 */
export function sesMessageIdOf(messageId: string): string | undefined {
  const match = sesMessageIdPattern.exec(messageId);
  if (match) return match[1];
  return messageId.includes('@') ? undefined : messageId;
}

const reference = typedReferenceSource;
/** A reference in brackets or parentheses, spaces inside allowed. */
const subjectTag = new RegExp(`\\[\\s*(${reference})\\s*\\]|\\(\\s*(${reference})\\s*\\)`, 'g');

/**
 * References named by `[CMP-XXXXXX]` tags in a subject, as stored, in order. Clients and people keep
 * the tag in other brackets too: spaces inside it (`[ CMP-XXXXXX ]`) and parentheses (`(CMP-XXXXXX)`)
 * count, and so does a reference as a customer types it from a letter or a call (`[cmp 4f7k2q]`, an O
 * for a 0: `canonicalReference`); a bare reference does not (a subject may name another complaint
 * without being about it).
 */
export function subjectTagReferences(subject: string): string[] {
  const tags = [...subject.matchAll(subjectTag)].map((m) => canonicalReference((m[1] ?? m[2]) as string));
  return [...new Set(tags.filter((t) => t !== undefined))];
}

/** What a mail that threaded into a complaint does there. */
export type ThreadedMailRoute =
  /** A customer's reply: handed to the lifecycle (resume, reopen, or attach). */
  | 'reply'
  /** Automated mail (auto-reply, list mail): stored on the timeline only, never resumes or reopens. */
  | 'automated'
  /** A reply to a complaint closed longer than the reopen window: a new complaint linked to it. */
  | 'linked';

/**
 * How a threaded mail is filed. Automated mail never starts, resumes or reopens anything. A closed
 * complaint takes a reply only within the policy's reopen window (the lifecycle reopens it); later
 * replies start a new complaint linked to it, so an old case is not resurrected with its stale history.
 */
export function routeThreadedMail(
  complaint: Pick<Complaint, 'status'>,
  context: { automated: boolean; withinReopenWindow: boolean },
): ThreadedMailRoute {
  if (context.automated) return 'automated';
  return complaint.status === 'closed' && !context.withinReopenWindow ? 'linked' : 'reply';
}
