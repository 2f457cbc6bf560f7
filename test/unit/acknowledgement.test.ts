import { describe, expect, it } from 'vitest';
import type { OutboundIntent, SentMail } from '../../functions/adapters/ports';
import {
  acknowledgeAndInvestigate,
  acknowledgementId,
  recordAcknowledgementFailure,
} from '../../functions/application/acknowledgement';
import type { Deps } from '../../functions/application/deps';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { ConflictError } from '../../functions/core/errors';
import { testSettings } from '../support/settings';

// The first workflow step's failure attribution: only the acknowledgement's failure leaves the step as
// an error (the state's Catch records it as the acknowledgement's); the investigation's is handed back.
const now = new Date('2026-11-24T10:00:00Z');
const complaint = {
  id: 'c1',
  reference: 'CMP-4F7K2Q',
  status: 'received',
  version: 1,
  customerEmail: 'ann@example.org',
  customerName: 'Ann',
  threadToken: 'tok123',
  subject: 'Late parcel',
  createdAt: now.toISOString(),
} as unknown as Complaint;

type Outcome = 'saved' | 'leaseLost' | 'complaintChanged';

function harness(
  options: {
    acknowledgement?: () => Promise<OutboundIntent | undefined>;
    history?: () => never;
    together?: () => Promise<Outcome>;
    acknowledged?: boolean;
  } = {},
) {
  const timeline: TimelineEntry[] = options.acknowledged
    ? [{ id: acknowledgementId('c1'), kind: 'message', at: now.toISOString() } as TimelineEntry]
    : [];
  const calls: string[] = [];
  const saved: { next: Complaint; entries: TimelineEntry[]; sent?: SentMail }[] = [];
  const deps = {
    store: {
      withTimeline: async () => ({ complaint, timeline: [...timeline] }),
      append: async (_id: string, entries: TimelineEntry[]) => {
        calls.push('append');
        timeline.push(...entries);
        return true;
      },
      byCustomer: async () => {
        calls.push('history');
        return options.history?.() ?? { items: [] };
      },
      recordCategoryOccurrence: async () => {
        calls.push('recurring');
        return 1;
      },
      save: async (next: Complaint, entries: TimelineEntry[]) => {
        calls.push('save');
        saved.push({ next, entries });
      },
      saveWithSentMail: async (next: Complaint, entries: TimelineEntry[], sent: SentMail) => {
        calls.push('saveWithSentMail');
        const outcome = (await options.together?.()) ?? 'saved';
        if (outcome === 'saved') {
          saved.push({ next, entries, sent });
          timeline.push(sent.entry);
        }
        return outcome;
      },
    },
    ledger: {
      // The lease, the cap and the address check in one write: by default answered as if the mail went
      // out before.
      beginAutomaticOutbound: async () => {
        calls.push('acknowledge');
        return options.acknowledgement
          ? options.acknowledgement()
          : { state: 'sent', sesMessageId: 'ses-1', at: now.toISOString() };
      },
      completeOutbound: async (_id: string, _lease: string, result: { entry: TimelineEntry }) => {
        calls.push('completeOutbound');
        timeline.push(result.entry);
        return true;
      },
      recordOutboundMail: async () => {
        calls.push('recordOutboundMail');
      },
    },
    mailer: {
      send: async () => {
        calls.push('send');
        return 'ses-2';
      },
    },
    settings: testSettings(),
    clock: () => now,
    logger: { warn: () => undefined, info: () => undefined },
  } as unknown as Deps;
  return { deps, timeline, calls, saved };
}

/** The acknowledgement's send lease taken now: the mail goes to SES in this step. */
const leased = async (): Promise<OutboundIntent> => ({
  state: 'acquired',
  lease: 'lease-1',
  at: now.toISOString(),
});

describe('acknowledgeAndInvestigate', () => {
  it('hands a failing investigation back instead of throwing, after the acknowledgement', async () => {
    const h = harness({
      history: () => {
        throw new ConflictError('changed meanwhile');
      },
    });
    await expect(acknowledgeAndInvestigate(h.deps, 'c1')).resolves.toEqual({
      complaintId: 'c1',
      investigationPending: true,
    });
    // The acknowledgement found sent: its entry was recorded with it, and is not written again.
    expect(h.calls).toEqual(['history', 'acknowledge']);
  });

  it('throws a failing acknowledgement and saves no state change', async () => {
    const h = harness({
      acknowledgement: async () => {
        throw Object.assign(new Error('Daily message quota exceeded'), { name: 'LimitExceededException' });
      },
    });
    await expect(acknowledgeAndInvestigate(h.deps, 'c1')).rejects.toThrow('quota');
    // The investigation's requests came first: a read and a set add, both harmless to repeat.
    expect(h.calls).toEqual(['history', 'recurring', 'acknowledge']);
    expect(h.saved).toEqual([]);
  });

  it('saves the state change in the transaction that records the mail sent', async () => {
    const h = harness({ acknowledgement: leased });
    const state = await acknowledgeAndInvestigate(h.deps, 'c1');
    expect(state).toMatchObject({ complaintId: 'c1', known: { status: 'investigating' } });
    expect(h.calls).toEqual(['history', 'recurring', 'acknowledge', 'send', 'saveWithSentMail']);
    expect(h.saved).toHaveLength(1);
    expect(h.saved[0]).toMatchObject({
      next: { status: 'investigating', version: 2 },
      entries: [{ action: 'startInvestigation' }],
      sent: { id: acknowledgementId('c1'), lease: 'lease-1', sesMessageId: 'ses-2', complaintId: 'c1' },
    });
    // The acknowledgement's entry is not later than the investigation's.
    const sent = h.saved[0]?.sent?.entry;
    expect(sent && sent.at <= (h.saved[0]?.entries[0]?.at ?? '')).toBe(true);
  });

  it('records the mail alone and hands the investigation back when the complaint changed meanwhile', async () => {
    const h = harness({ acknowledgement: leased, together: async () => 'complaintChanged' });
    await expect(acknowledgeAndInvestigate(h.deps, 'c1')).resolves.toEqual({
      complaintId: 'c1',
      investigationPending: true,
    });
    expect(h.calls).toEqual([
      'history',
      'recurring',
      'acknowledge',
      'send',
      'saveWithSentMail',
      'completeOutbound',
    ]);
    expect(h.saved).toEqual([]);
    expect(h.timeline.map((e) => e.id)).toEqual([acknowledgementId('c1')]);
  });

  it('records the mail alone when the transaction fails otherwise (it may have been written)', async () => {
    const h = harness({
      acknowledgement: leased,
      together: async () => {
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
    });
    await expect(acknowledgeAndInvestigate(h.deps, 'c1')).resolves.toEqual({
      complaintId: 'c1',
      investigationPending: true,
    });
    expect(h.calls.slice(-2)).toEqual(['saveWithSentMail', 'completeOutbound']);
  });

  it('maps its copy and saves the change alone when its send lease was taken over', async () => {
    const h = harness({ acknowledgement: leased, together: async () => 'leaseLost' });
    await expect(acknowledgeAndInvestigate(h.deps, 'c1')).resolves.toMatchObject({
      known: { status: 'investigating' },
    });
    expect(h.calls.slice(-3)).toEqual(['saveWithSentMail', 'recordOutboundMail', 'save']);
    expect(h.saved).toHaveLength(1);
  });

  it('saves the change alone when the mail was found sent, or acknowledged before', async () => {
    const found = harness();
    await acknowledgeAndInvestigate(found.deps, 'c1');
    expect(found.calls).toEqual(['history', 'recurring', 'acknowledge', 'save']);
    const before = harness({ acknowledged: true });
    await acknowledgeAndInvestigate(before.deps, 'c1');
    expect(before.calls).toEqual(['history', 'recurring', 'save']);
  });
});

describe('recordAcknowledgementFailure', () => {
  const failure = { Error: 'MessageRejected', Cause: 'Email address is not verified.' };

  it('records the failure once', async () => {
    const h = harness({});
    await recordAcknowledgementFailure(h.deps, 'c1', failure);
    await recordAcknowledgementFailure(h.deps, 'c1', failure);
    expect(h.timeline).toMatchObject([
      {
        id: `${acknowledgementId('c1')}-failed`,
        action: 'acknowledgementFailed',
        details: { error: 'MessageRejected' },
      },
    ]);
  });

  it('records nothing when the acknowledgement was sent or suppressed: the step failed after it', async () => {
    for (const id of [acknowledgementId('c1'), `${acknowledgementId('c1')}-suppressed`]) {
      const h = harness({});
      h.timeline.push({ id, kind: 'audit' } as TimelineEntry);
      await recordAcknowledgementFailure(h.deps, 'c1', failure);
      expect(h.timeline.map((e) => e.id)).toEqual([id]);
    }
  });
});
