import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  investigateComplaint,
  isRecurring,
  isSimilarSubject,
  type PastComplaint,
  recurringWindow,
} from '../../functions/core/investigation';
import { policyProfiles } from '../../functions/core/policy';

const policy = policyProfiles.standard;
const now = new Date('2026-11-23T09:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
const run = (subject: string, text: string, history: PastComplaint[] = []) =>
  investigateComplaint({
    complaintId: 'c0',
    subject,
    text,
    createdAt: now.toISOString(),
    now,
    history,
    policy,
  });

describe('triage', () => {
  it.each([
    ['Double charge on my invoice', 'You charged my credit card twice.', 'billing'],
    ['Parcel never arrived', 'Tracking says delivered but nothing came.', 'delivery'],
    ['Kettle broken', 'It stopped working after two days, the lid is cracked.', 'product_defect'],
    ['Rude staff', 'Your customer service agent hung up on me.', 'service'],
    ['Cannot log in', 'My account is locked and the password reset fails.', 'account'],
    ['Hello', 'I have a question about your opening times.', 'other'],
    ['Paket nicht angekommen', 'Die Lieferung fehlt seit einer Woche.', 'delivery'],
  ])('%s -> %s', (subject, text, category) => {
    expect(run(subject, text).category).toBe(category);
  });

  it('finds risk signals and starts them at tier 2 or 3', () => {
    const legal = run('Final warning', 'My lawyer will take legal action.');
    expect(legal).toMatchObject({ minimumTier: 3, priority: 'urgent' });
    expect(legal.riskSignals[0]).toMatchObject({ signal: 'legal_threat', evidence: 'My lawyer' });
    expect(run('Complaint', 'I will contact the ombudsman.').riskSignals.map((r) => r.signal)).toEqual([
      'regulator_or_press',
    ]);
    const cancel = run('Leaving', 'Please cancel my subscription, I am switching to a competitor.');
    expect(cancel).toMatchObject({ minimumTier: 2, priority: 'high' });
  });

  it('does not mistake near misses for risk', () => {
    expect(run('Order', 'You cancelled my order without telling me.').riskSignals).toEqual([]);
    expect(run('Thanks', 'Thank you for your courtesy on the phone.').riskSignals).toEqual([]);
    expect(run('Press', 'The press button on the blender is stuck.').riskSignals).toEqual([]);
  });

  it('sets priority from safety, sentiment and mildness', () => {
    expect(run('Heater', 'The heater started to smoke.').priority).toBe('urgent');
    expect(run('Idea', 'Just a suggestion: a dark mode would be lovely, great app!').priority).toBe('low');
    expect(run('Late', 'My parcel is late.').priority).toBe('normal');
  });
});

describe('customer history', () => {
  const past = (id: string, days: number, over: Partial<PastComplaint> = {}): PastComplaint => ({
    id,
    createdAt: daysAgo(days),
    status: 'closed',
    subject: `Old ${id}`,
    ...over,
  });

  it('counts complaints in the window (this one included) and flags repeat complainers', () => {
    const inv = run('Late again', 'Late again.', [past('a', 10), past('b', 89), past('c', 91)]);
    expect(inv.history).toMatchObject({ complaintsInWindow: 3, open: 0 });
    expect(inv.riskSignals.map((r) => r.signal)).toContain('repeat_complainer');
    expect(inv.atRisk).toBe(true);
  });

  it('is at risk after an unhappy follow-up, with the reason', () => {
    const inv = run('Question', 'A question.', [past('a', 200, { csat: 'unsatisfied' })]);
    expect(inv.history.lastCsat).toBe('unsatisfied');
    expect(inv.atRiskReasons).toContain('unhappy after a previous follow-up');
  });

  it('links open complaints with a similar subject from the last 7 days as possible duplicates', () => {
    const history = [
      past('open-similar', 2, { status: 'awaiting_agent', subject: 'Re: Parcel not delivered [CMP-4F7K2Q]' }),
      past('closed-similar', 2, { subject: 'Parcel not delivered' }),
      past('old-similar', 8, { status: 'awaiting_agent', subject: 'Parcel not delivered' }),
      past('open-other', 1, { status: 'awaiting_agent', subject: 'Invoice wrong' }),
    ];
    expect(run('Parcel not delivered', 'Where is it?', history).possibleDuplicates).toEqual(['open-similar']);
    expect(isSimilarSubject('Broken kettle', 'Fwd: kettle broken again')).toBe(true);
    expect(isSimilarSubject('Broken kettle', 'Late invoice')).toBe(false);
  });
});

describe('recurring issues', () => {
  it('aligns windows to the policy size and counts distinct customers', () => {
    const w = recurringWindow('delivery', new Date('2026-11-23T13:45:00Z'), policy);
    expect(w).toEqual({
      key: 'delivery#2026-11-23T00:00:00.000Z',
      windowStart: '2026-11-23T00:00:00.000Z',
      windowEnd: '2026-11-24T00:00:00.000Z',
    });
    expect(isRecurring(4, policy)).toBe(false);
    expect(isRecurring(5, policy)).toBe(true);
  });
});

describe('properties', () => {
  it('never throws, and starts above tier 1 exactly when a risk signal fired', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (subject, text) => {
        const inv = run(subject, text);
        expect(inv.minimumTier >= 2).toBe(inv.riskSignals.length > 0);
      }),
      { numRuns: 500 },
    );
  });

  it('more complaints in the window never lower the priority', () => {
    const order = ['low', 'normal', 'high', 'urgent'];
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 8 }), (text, n) => {
        const history = (k: number) =>
          Array.from({ length: k }, (_, i) => ({
            id: `p${i}`,
            createdAt: daysAgo(i + 1),
            status: 'closed',
            subject: 's',
          }));
        const fewer = run('Subject', text, history(n)).priority;
        const more = run('Subject', text, history(n + 1)).priority;
        expect(order.indexOf(more)).toBeGreaterThanOrEqual(order.indexOf(fewer));
      }),
      { numRuns: 300 },
    );
  });
});
