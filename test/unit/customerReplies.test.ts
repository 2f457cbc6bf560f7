import { describe, expect, it } from 'vitest';
import type { ComplaintStore, WorkflowClient } from '../../functions/adapters/ports';
import { handleCustomerReply } from '../../functions/application/customerReplies';
import type { Complaint, MessageEntry, TimelineEntry } from '../../functions/core/complaint';
import { ComplaintBusyError } from '../../functions/core/errors';
import { policyProfiles } from '../../functions/core/policy';

/**
 * A customer's reply that comes in while the agent's question is on its way: the workflow has the
 * request for information (the complaint is `deciding` with it) and AwaitCustomer has not registered
 * the wait yet. Attached then, the answer would resume nothing: the customer would be reminded of a
 * question they answered, and the complaint closed as abandoned.
 */
const now = new Date('2026-11-23T10:00:00Z');
const asking: Complaint = {
  id: 'd'.repeat(26),
  reference: 'CMP-4F7K2Q',
  status: 'deciding',
  decidingFrom: 'awaiting_agent',
  decidingSince: now.toISOString(),
  pendingDecision: {
    action: 'request_info',
    question: 'Which order number is it?',
    by: { kind: 'agent', id: 'agent-1', role: 'tier1' },
    awaitSeconds: 3600,
    decisionId: 'question-1',
  },
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 'Late parcel',
  threadToken: 't',
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  version: 6,
};
const answer: MessageEntry = {
  kind: 'message',
  id: `${asking.id}-in-1`,
  at: now.toISOString(),
  direction: 'inbound',
  messageId: 'answer-1@example.org',
  from: 'ann@example.org',
  to: ['support@shop.example'],
  subject: 'Re: Late parcel',
  text: 'It is order 66120.',
};

describe('handleCustomerReply while the question is on its way', () => {
  it('keeps the reply and asks intake to retry until the wait for the answer is registered', async () => {
    const appended: TimelineEntry[] = [];
    const succeeded: string[] = [];
    const deps = {
      store: {
        append: async (_id: string, entries: TimelineEntry[]) => appended.push(...entries) > 0,
      } as unknown as ComplaintStore,
      workflow: { succeed: async (token: string) => void succeeded.push(token) } as unknown as WorkflowClient,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    };
    await expect(
      handleCustomerReply(deps as never, asking, answer, now, policyProfiles.standard),
    ).rejects.toBeInstanceOf(ComplaintBusyError);
    expect(appended).toEqual([answer]);
    expect(succeeded).toEqual([]);
  });
});
