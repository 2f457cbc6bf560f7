import type { Actor, Complaint, MessageEntry } from '../core/complaint';
import { isErased } from '../core/erasure';
import { ComplaintBusyError, ConflictError } from '../core/errors';
import { executionNameOf, reopen } from '../core/lifecycle';
import type { Policy } from '../core/policy';
import { handOver } from './decisionHandOver';
import type { Deps } from './deps';

/** What a customer's threaded mail did to its complaint. */
export type ReplyOutcome = 'attached' | 'resumed' | 'reopened' | 'erased';

/** Whether a reply to a closed complaint still reopens it (otherwise intake opens a linked complaint). */
export function withinReopenWindow(c: Complaint, now: Date, policy: Policy): boolean {
  const closedAt = c.closure?.at ?? c.updatedAt;
  return now.getTime() - new Date(closedAt).getTime() <= policy.reopenWindowSeconds * 1000;
}

/**
 * Files a customer's mail that threaded into an existing complaint and lets the lifecycle react:
 * - awaiting the customer's answer: the workflow resumes (SLA clock runs again);
 * - during the follow-up call or survey: it counts as an unsatisfied answer and reopens the case;
 * - resolved (waiting for the follow-up) or closed within the reopen window: the complaint reopens at
 *   priority + 1 under a new execution `<id>-r<n>` (the old one is stopped);
 * - the agent's question on its way (the workflow has the request for information, AwaitCustomer has
 *   not registered the wait for its answer yet): ComplaintBusyError, so that intake retries and the
 *   reply resumes the wait once it is registered (attached now, the answer would be left for a
 *   reminder, then the close as abandoned);
 * - otherwise the mail is attached for the agent;
 * - the customer erased since the complaint was read: nothing written, `erased` (intake files the mail
 *   as on an erased complaint).
 * Called by intake once threading has identified the complaint.
 */
export async function handleCustomerReply(
  deps: Pick<Deps, 'store' | 'workflow' | 'logger'>,
  complaint: Complaint,
  message: MessageEntry,
  now: Date,
  policy: Policy,
): Promise<ReplyOutcome> {
  // Only while the complaint still names its customer (an erasure may have saved it since our read):
  // otherwise nothing is written and the caller files the mail the erased way.
  if (!(await deps.store.append(complaint.id, [message], complaint.customerEmail))) return 'erased';
  const customer: Actor = { kind: 'customer', id: complaint.customerEmail, email: complaint.customerEmail };
  let current = complaint;
  // A workflow step may write between our read and our write (version conflict): decide again.
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await react(deps, current, message, customer, now, policy);
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      const fresh = await deps.store.get(complaint.id);
      if (!fresh) throw e;
      // Erased since the mail was written: the erasure's last pass erased it, and the lifecycle takes
      // nothing from an erased customer (their actor would name the address again).
      if (isErased(fresh)) return 'attached';
      current = fresh;
    }
  }
  deps.logger.warn('customer reply attached without lifecycle reaction after repeated conflicts', {
    complaintId: complaint.id,
  });
  return 'attached';
}

async function react(
  deps: Pick<Deps, 'store' | 'workflow' | 'logger'>,
  c: Complaint,
  message: MessageEntry,
  customer: Actor,
  now: Date,
  policy: Policy,
): Promise<ReplyOutcome> {
  const clock = () => now;
  // The reply is the decision's idempotency key: a redelivered mail whose first delivery died between
  // accepting it and completing the task completes the same hand-over.
  const decisionId = `reply-${message.id}`;
  const redelivered = c.status === 'deciding' && c.pendingDecision?.decisionId === decisionId;
  const pending = redelivered ? c.pendingDecision : undefined;
  if ((c.taskToken && c.waitingFor === 'customer') || pending?.action === 'customer_replied') {
    await handOver(
      deps,
      customer,
      clock,
      c,
      'customer',
      { action: 'customer_replied', ...(message.messageId ? { messageId: message.messageId } : {}) },
      decisionId,
    );
    return 'resumed';
  }
  if ((c.taskToken && (c.waitingFor === 'follow_up' || c.waitingFor === 'survey')) || pending) {
    await handOver(
      deps,
      customer,
      clock,
      c,
      ['follow_up', 'survey'],
      { action: 'follow_up', outcome: 'unsatisfied', by: customer, via: 'customer_mail' },
      decisionId,
    );
    return 'reopened';
  }
  if (c.status === 'deciding' && c.pendingDecision?.action === 'request_info') {
    throw new ComplaintBusyError('The question to the customer is on its way: retry', { complaintId: c.id });
  }
  if (c.status === 'reopened' && c.executionName) {
    // A redelivery of the mail whose first delivery died between the reopen and its StartExecution:
    // start the new execution now (same name and input, so harmless when it already runs) and stop
    // the one it replaces.
    await deps.workflow.stop(executionNameOf(c.id, (c.reopenCount ?? 1) - 1), 'Reopened by a customer reply');
    await deps.workflow.start(c.executionName, { complaintId: c.id });
    return 'reopened';
  }
  const reopenable =
    c.status === 'resolved' ||
    (c.status === 'awaiting_follow_up' && !c.taskToken) ||
    (c.status === 'closed' && withinReopenWindow(c, now, policy));
  if (!reopenable) return 'attached';
  const previousExecution = c.executionName ?? c.id;
  const { complaint: next, audit } = reopen(c, now, customer);
  await deps.store.save(next, [audit]);
  await deps.workflow.stop(previousExecution, 'Reopened by a customer reply');
  await deps.workflow.start(next.executionName ?? executionNameOf(c.id, next.reopenCount), {
    complaintId: c.id,
  });
  return 'reopened';
}
