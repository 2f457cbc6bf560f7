import { describe, expect, it } from 'vitest';
import type { ComplaintStore, Mailer } from '../../functions/adapters/ports';
import type { Deps } from '../../functions/application/deps';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { acceptDecision, releaseDecision, remindCustomer } from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';
import { createHandler as createContactCustomer } from '../../functions/handlers/workflow/contactCustomer';
import { testSettings } from '../support/settings';

/**
 * RemindCustomer after the customer's reply came in as the wait timed out: intake accepted it, but
 * SendTaskSuccess answered TaskTimedOut and the reply was released (or the hand-over died and it is
 * still pending). Reminding the customer would ask for an answer they gave, and the wait after the
 * reminder would close the complaint as abandoned.
 */
const id = 'c'.repeat(26);
const askedAt = new Date('2026-11-16T10:00:00Z');
const timedOutAt = new Date('2026-11-23T10:00:01Z');
const waiting: Complaint = {
  id,
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_customer',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't',
  taskToken: 'customer-token',
  waitingFor: 'customer',
  waitingSince: askedAt.toISOString(),
  slaDueAt: '2026-11-23T10:00:00.000Z',
  createdAt: '2026-11-02T09:00:00Z',
  updatedAt: askedAt.toISOString(),
  version: 7,
};
const customer = { kind: 'customer' as const, id: waiting.customerEmail, email: waiting.customerEmail };

function reminderStep(initial: Complaint, entries: TimelineEntry[] = []) {
  let current = initial;
  const sent: unknown[] = [];
  const store = {
    get: async () => current,
    timeline: async () => [...entries],
    save: async (next: Complaint, added: TimelineEntry[]) => {
      current = next;
      entries.push(...added);
    },
    append: async (_id: string, added: TimelineEntry[]) => {
      entries.push(...added);
      return true;
    },
  } as unknown as ComplaintStore;
  const mailer: Mailer = {
    send: async (mail) => {
      sent.push(mail);
      return `ses-${sent.length}`;
    },
  };
  const ledger = {
    beginAutomaticOutbound: async () => ({ state: 'acquired', lease: 'l', at: timedOutAt.toISOString() }),
    beginOutbound: async () => ({ state: 'acquired', lease: 'l', at: timedOutAt.toISOString() }),
    completeOutbound: async () => true,
    findUndeliverable: async () => undefined,
    countAutomaticMail: async () => 1,
  };
  const deps = {
    store,
    mailer,
    ledger,
    settings: testSettings({ policy: policyProfiles.standard }),
    clock: () => timedOutAt,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as Deps;
  const run = () => createContactCustomer(deps)({ complaintId: id, kind: 'reminder' });
  return { run, sent, current: () => current };
}

describe('RemindCustomer after the customer answered as the wait timed out', () => {
  const replied = acceptDecision(
    waiting,
    { action: 'customer_replied', decisionId: 'reply-m1' },
    customer,
    new Date(timedOutAt.getTime() - 2_000),
  );

  it('reminds nobody and fails into RecordFailure when the reply was released', async () => {
    const released = releaseDecision(replied.complaint, customer, new Date(timedOutAt.getTime() - 1_000));
    const step = reminderStep(released.complaint, [replied.audit, released.audit]);
    await expect(step.run()).rejects.toMatchObject({ name: 'InvalidTransitionError' });
    expect(step.sent).toHaveLength(0);
  });

  it('waits out a reply still being handed over', async () => {
    const step = reminderStep(replied.complaint, [replied.audit]);
    await expect(step.run()).rejects.toMatchObject({ name: 'ComplaintBusyError' });
    expect(step.sent).toHaveLength(0);
  });

  it('still reminds once when the wait timed out unanswered, and a replay mails nothing new', async () => {
    const step = reminderStep(waiting);
    await step.run();
    expect(step.current().status).toBe('awaiting_customer');
    expect(step.sent).toHaveLength(1);
    // A replay after the reminder's change (the token spent) is not mistaken for an answer.
    const reminded = remindCustomer(waiting, policyProfiles.standard, timedOutAt);
    await expect(reminderStep(reminded.complaint, [reminded.audit]).run()).resolves.toBeDefined();
  });
});
