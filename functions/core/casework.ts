import { createHash } from 'node:crypto';
import type { Complaint, NoteEntry, TransitionResult } from './complaint';
import { transition } from './complaint';
import type { Agent } from './decisions';
import { ConflictError, ForbiddenError, InvalidTransitionError, ValidationError } from './errors';
import { roleOfTier } from './lifecycle';
import { isValidAddress } from './mail/addresses';
import { type AgentRole, agentRoles } from './policy';

const rank = (role: AgentRole) => agentRoles.indexOf(role);

/**
 * The tier rule of every write on a complaint (claim, reply, note, merge, resolution, approval, request
 * for information, escalation, follow-up, close): only an agent of the complaint's tier or above may act
 * on it; the manager, above tier 3, may act on every complaint. A complaint escalated for a legal threat
 * stays readable to tier 1, but what is said and decided on it is up to the tier it was escalated to.
 */
export function assertMayWrite(c: Pick<Complaint, 'tier'>, agent: Pick<Agent, 'role'>) {
  const tierRole = roleOfTier(c.tier);
  if (rank(agent.role) < rank(tierRole)) {
    throw new ForbiddenError(
      `A tier-${c.tier} complaint can be changed by ${tierRole} or above, not by ${agent.role}`,
      {
        tier: c.tier,
        requiredRole: tierRole,
      },
    );
  }
}

/**
 * An agent claims a complaint (assigns it to themselves). Only an agent of the complaint's tier or above
 * may (the tier rule of every write); a complaint someone else claimed can be taken over only by a higher
 * role than theirs. Claiming one's own complaint again changes nothing (undefined). Pure: the caller
 * saves with a conditional write on the version, so of two agents claiming at once exactly one wins.
 */
export function claimComplaint(c: Complaint, agent: Agent, now: Date): TransitionResult | undefined {
  assertMayWrite(c, agent);
  const tierRole = roleOfTier(c.tier);
  if (c.assignee === agent.id) return undefined;
  if (c.assignee) {
    // The holder's role is known when they claimed it; an assignment by the workflow counts as the tier's.
    const holderRole = c.claimedBy?.id === c.assignee ? c.claimedBy.role : tierRole;
    if (rank(agent.role) <= rank(holderRole)) {
      throw new ConflictError(`The complaint is claimed by ${c.assignee}`, {
        assignee: c.assignee,
        currentVersion: c.version,
        complaintStatus: c.status,
      });
    }
  }
  return transition(
    c,
    'claim',
    c.status,
    agent,
    now,
    { assignee: agent.id, claimedBy: { id: agent.id, role: agent.role, at: now.toISOString() } },
    c.assignee ? { takenOverFrom: c.assignee } : undefined,
  );
}

/**
 * An agent's public reply to the customer. The first one meets the first-response target
 * (`firstResponseAt`); later replies change nothing on the complaint (undefined) — the mail itself is
 * the record on the timeline. Replies are taken only while the workflow waits (see `recordReply` in
 * the transition table); a closed complaint takes none (the customer's mail reopens it). The first
 * response names its reply (`entryId`, the mail's send-once key) and keeps its text (`replyText`): the
 * change is written before the mail goes out, so the mail it announces is owed from then on, and the
 * reply outbox (`mailOwedReply`) sends it from this entry if the request that wrote it never did.
 */
export function recordReply(
  c: Complaint,
  agent: Agent,
  now: Date,
  entryId: string,
  text: string,
): TransitionResult | undefined {
  // The transition checks the status even when there is nothing to change.
  const result = transition(
    c,
    'recordReply',
    c.status,
    agent,
    now,
    { firstResponseAt: c.firstResponseAt ?? now.toISOString() },
    { entryId, replyText: text },
  );
  return c.firstResponseAt ? undefined : result;
}

/**
 * Deterministic id of an agent's timeline write: the same request retried (same author, version acted
 * on and text) maps to the same entry, so it is recorded — and for a reply mailed — once.
 */
export function agentEntryId(
  c: Pick<Complaint, 'id'>,
  kind: 'note' | 'reply',
  agent: Agent,
  version: number,
  text: string,
) {
  const digest = createHash('sha256').update(`${agent.id}\n${version}\n${text}`).digest('hex').slice(0, 16);
  return `${c.id}-${kind}-${digest}`;
}

/** An internal note (never mailed). */
export function noteEntry(id: string, author: NoteEntry['author'], text: string, now: Date): NoteEntry {
  return { kind: 'note', id, at: now.toISOString(), author, text };
}

/** A duplicate is merged into another complaint, never into itself. */
export function assertMergeTarget(source: Pick<Complaint, 'id'>, targetId: string) {
  if (source.id === targetId) throw new ValidationError('A complaint cannot be merged into itself');
}

/**
 * A duplicate goes into a live complaint of the same customer. The customer's later mail on the
 * duplicate follows the merge (intake files it on the target), so another customer's target would get
 * one customer's words on another's case, and a closed target (or one closing, or merged itself: two
 * complaints merged into each other would both close) would leave that mail on no live complaint. 409.
 */
export function assertMergeable(
  source: Pick<Complaint, 'customerEmail'>,
  target: Pick<Complaint, 'reference' | 'customerEmail' | 'status' | 'pendingDecision'>,
) {
  if (target.customerEmail !== source.customerEmail) {
    throw new InvalidTransitionError(
      `${target.reference} is another customer's complaint: a merge would file this customer's replies on it. ` +
        'Close this one as resolved_elsewhere instead',
    );
  }
  if (target.status === 'closed' || target.pendingDecision?.action === 'close') {
    throw new InvalidTransitionError(
      `${target.reference} is closed or closing: merge into a complaint that is still open`,
    );
  }
}

/**
 * Mail to the customer needs an address: a complaint whose sender could not be read (`senderInvalid`)
 * has none, so a reply would go nowhere and a question would wait for an answer that cannot come (and
 * then close the complaint as abandoned). 409, saying what to do instead.
 */
export function assertMailable(complaint: Pick<Complaint, 'customerEmail' | 'senderInvalid'>) {
  if (!isValidAddress(complaint.customerEmail)) {
    throw new InvalidTransitionError(
      `The complaint has no address to mail (${complaint.senderInvalid ?? 'no sender address'}): ` +
        'note what the customer was told another way, resolve or close it',
    );
  }
}

/** The note the merge leaves on the complaint that absorbs a duplicate. */
export function mergeNote(
  source: Complaint,
  target: Pick<Complaint, 'id'>,
  agent: Agent,
  now: Date,
): NoteEntry {
  return noteEntry(
    `${target.id}-merged-${source.id}`,
    agent,
    `Duplicate ${source.reference} (${source.id}) from ${source.customerEmail} was merged into this complaint.`,
    now,
  );
}
