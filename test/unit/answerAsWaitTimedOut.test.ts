import { describe, expect, it } from 'vitest';
import { refuseAnswerAsWaitTimedOut } from '../../functions/application/workflowSupport';
import type { AcceptedDecision, Complaint } from '../../functions/core/complaint';
import { acceptDecision, releaseDecision } from '../../functions/core/lifecycle';

/**
 * The one check of RemindCustomer, CloseAbandoned and CloseNoResponse for an answer that came in on the
 * wait they handle the timeout of (the customer's reply, the survey answer): still being handed over,
 * stranded (its hand-over died), or released (TaskTimedOut).
 */
const waitedFrom = new Date('2026-11-16T10:00:00Z');
const timedOutAt = new Date('2026-11-23T10:00:01Z');
const customerWait: Complaint = {
  id: 'd'.repeat(26),
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_customer',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't',
  taskToken: 'customer-token',
  waitingFor: 'customer',
  waitingSince: waitedFrom.toISOString(),
  slaDueAt: '2026-11-23T10:00:00.000Z',
  createdAt: '2026-11-02T09:00:00Z',
  updatedAt: waitedFrom.toISOString(),
  version: 7,
};
const surveyWait: Complaint = {
  ...customerWait,
  status: 'awaiting_follow_up',
  taskToken: 'survey-token',
  waitingFor: 'survey',
  followUp: { agentId: 'agent-1', scheduledFor: '2026-11-05T10:00:00Z', attempts: 3 },
};
const customer = {
  kind: 'customer' as const,
  id: customerWait.customerEmail,
  email: customerWait.customerEmail,
};
const reply = { action: 'customer_replied' as const, decisionId: 'reply-m1' };
const satisfied = {
  action: 'follow_up' as const,
  outcome: 'satisfied' as const,
  by: customer,
  via: 'survey' as const,
  decisionId: 'survey-answer',
};
/** Accepted `ago` ms before the timeout step runs. */
const accepted = (c: Complaint, decision: Parameters<typeof acceptDecision>[1], ago: number) =>
  acceptDecision(c, decision, customer, new Date(timedOutAt.getTime() - ago)).complaint;
const isSatisfied = (a: AcceptedDecision) => a.action === 'follow_up' && a.outcome === 'satisfied';

describe('refuseAnswerAsWaitTimedOut', () => {
  it('is undefined when no answer came in: the wait timed out with its token live', async () => {
    await expect(refuseAnswerAsWaitTimedOut(customerWait, 'awaiting_customer', timedOutAt)).resolves.toBe(
      undefined,
    );
    await expect(refuseAnswerAsWaitTimedOut(surveyWait, 'awaiting_follow_up', timedOutAt)).resolves.toBe(
      undefined,
    );
  });

  it('waits out an answer still being handed over (ComplaintBusyError), whether or not it would settle', async () => {
    const handingOver = accepted(surveyWait, satisfied, 5_000);
    await expect(
      refuseAnswerAsWaitTimedOut(handingOver, 'awaiting_follow_up', timedOutAt, { settles: isSatisfied }),
    ).rejects.toMatchObject({ name: 'ComplaintBusyError', message: 'A survey answer is being handed over' });
  });

  it('returns a stranded answer the step settles, and fails the step on any other', async () => {
    const stranded = accepted(surveyWait, satisfied, 120_000);
    await expect(
      refuseAnswerAsWaitTimedOut(stranded, 'awaiting_follow_up', timedOutAt, { settles: isSatisfied }),
    ).resolves.toMatchObject({ action: 'follow_up', outcome: 'satisfied', decisionId: 'survey-answer' });
    // Without `settles` (the reminder), the same answer is for the manager.
    await expect(
      refuseAnswerAsWaitTimedOut(stranded, 'awaiting_follow_up', timedOutAt),
    ).rejects.toMatchObject({
      name: 'InvalidTransitionError',
    });
    const strandedReply = accepted(customerWait, reply, 120_000);
    await expect(
      refuseAnswerAsWaitTimedOut(strandedReply, 'awaiting_customer', timedOutAt, { settles: isSatisfied }),
    ).rejects.toMatchObject({
      name: 'InvalidTransitionError',
      message: 'A customer reply accepted as the wait timed out never reached the workflow',
    });
  });

  it('leaves an answer on another wait alone: the step handles this wait only', async () => {
    const strandedReply = accepted(customerWait, reply, 120_000);
    await expect(refuseAnswerAsWaitTimedOut(strandedReply, 'awaiting_follow_up', timedOutAt)).resolves.toBe(
      undefined,
    );
  });

  it('fails the step on a released answer: waiting with no live token, unless `released` says the step’s own replay left it so', async () => {
    const released = releaseDecision(accepted(customerWait, reply, 2_000), customer, timedOutAt).complaint;
    expect(released).toMatchObject({ status: 'awaiting_customer', taskToken: undefined });
    await expect(refuseAnswerAsWaitTimedOut(released, 'awaiting_customer', timedOutAt)).rejects.toMatchObject(
      {
        name: 'InvalidTransitionError',
        message: 'A customer reply that came in as the wait timed out was released',
      },
    );
    await expect(
      refuseAnswerAsWaitTimedOut(released, 'awaiting_customer', timedOutAt, { released: async () => true }),
    ).rejects.toMatchObject({ name: 'InvalidTransitionError' });
    await expect(
      refuseAnswerAsWaitTimedOut(released, 'awaiting_customer', timedOutAt, { released: async () => false }),
    ).resolves.toBe(undefined);
  });
});
