import { describe, expect, it } from 'vitest';
import type { OutboundIntent } from '../../functions/adapters/ports';
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

function harness(options: { acknowledgement?: () => Promise<OutboundIntent>; history?: () => never }) {
  const timeline: TimelineEntry[] = [];
  const calls: string[] = [];
  const deps = {
    store: {
      withTimeline: async () => ({ complaint, timeline: [...timeline] }),
      append: async (_id: string, entries: TimelineEntry[]) => {
        calls.push('append');
        timeline.push(...entries);
      },
      byCustomer: async () => {
        calls.push('history');
        return options.history?.() ?? { items: [] };
      },
      save: async () => {
        calls.push('save');
      },
    },
    ledger: {
      // The lease, the cap and the address check in one write: answered as if the mail went out before.
      beginAutomaticOutbound: async () => {
        calls.push('acknowledge');
        return options.acknowledgement?.() ?? { state: 'sent', sesMessageId: 'ses-1', at: now.toISOString() };
      },
    },
    settings: testSettings(),
    clock: () => now,
    logger: { warn: () => undefined, info: () => undefined },
  } as unknown as Deps;
  return { deps, timeline, calls };
}

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
    expect(h.calls).toEqual(['acknowledge', 'append', 'history']);
    expect(h.timeline.map((e) => e.id)).toEqual([acknowledgementId('c1')]);
  });

  it('throws a failing acknowledgement and investigates nothing', async () => {
    const h = harness({
      acknowledgement: async () => {
        throw Object.assign(new Error('Daily message quota exceeded'), { name: 'LimitExceededException' });
      },
    });
    await expect(acknowledgeAndInvestigate(h.deps, 'c1')).rejects.toThrow('quota');
    expect(h.calls).toEqual(['acknowledge']);
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
