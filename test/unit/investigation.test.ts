import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessSentiment,
  classifyCategory,
  investigateComplaint,
  isRecurring,
  isSimilarSubject,
  type PastComplaint,
  recurringWindow,
  subjectWords,
} from '../../functions/core/investigation';
import { matchesWholeWords, phrasePattern } from '../../functions/core/investigation/phraseMatching';
import { type Policy, policyProfiles, priorities } from '../../functions/core/policy';

const policy: Policy = policyProfiles.standard;
const dayMs = 86_400_000;
const now = new Date('2026-11-23T09:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const daysAgo = (d: number) => ago(d * dayMs);

const investigate = (subject: string, text: string, history: PastComplaint[] = [], automated = false) =>
  investigateComplaint({
    complaintId: 'c0',
    subject,
    text,
    createdAt: now.toISOString(),
    now,
    history,
    automated,
    policy,
  });
const signalsOf = (subject: string, text: string) =>
  investigate(subject, text).riskSignals.map((r) => r.signal);

const past = (id: string, days: number, over: Partial<PastComplaint> = {}): PastComplaint => ({
  id,
  createdAt: daysAgo(days),
  status: 'closed',
  subject: `Earlier matter ${id}`,
  ...over,
});

describe('category', () => {
  it.each([
    ['Double charge on my invoice', 'You charged my credit card twice for the same order.', 'billing'],
    ['Still no refund', 'I returned the jacket three weeks ago and the money is not back.', 'billing'],
    [
      'Parcel never arrived',
      'Tracking says delivered but nothing came, the courier left no card.',
      'delivery',
    ],
    ['Where is my order?', 'It was dispatched ten days ago and still has not arrived.', 'delivery'],
    ['Kettle broken', 'It stopped working after two days and the lid is cracked.', 'product_defect'],
    ['Toaster', 'I got an electric shock when I unplugged it.', 'product_defect'],
    ['Rude staff', 'Your agent hung up on me after I had been on hold for an hour.', 'service'],
    ['Cannot log in', 'My account is locked and the password reset email never comes.', 'account'],
    ['Opening times', 'Are you open on Sundays?', 'other'],
    ['Paket nicht angekommen', 'Die Lieferung fehlt seit einer Woche.', 'delivery'],
    ['Rückerstattung', 'Die Rechnung wurde doppelt abgebucht.', 'billing'],
    ['Colis endommagé', 'La livraison est arrivée avec un colis ouvert.', 'delivery'],
  ])('%s: %s -> %s', (subject, body, category) => {
    expect(classifyCategory(subject, body)).toBe(category);
    expect(investigate(subject, body).category).toBe(category);
  });

  it('weighs the subject twice the body', () => {
    // Subject "invoice" (2) beats one delivery word in the body (1).
    expect(classifyCategory('Wrong invoice', 'It came with the parcel.')).toBe('billing');
    // Two distinct delivery words in the body (2) tie with the subject word: the fixed order decides.
    expect(classifyCategory('Wrong invoice', 'The courier lost the parcel.')).toBe('billing');
    expect(classifyCategory('Parcel', 'The invoice is wrong.')).toBe('delivery');
  });

  it('breaks ties in the fixed order: product defect, billing, delivery, account, service', () => {
    expect(classifyCategory('Refund for a broken kettle', '')).toBe('product_defect');
    expect(classifyCategory('', 'I never received my refund.')).toBe('billing');
  });

  it('matches whole words only', () => {
    // "charger" is no charge, "pays" no payment, "delivery" inside a longer word does not count.
    expect(
      classifyCategory('Question', 'Does the charger fit the older model? My friend says it pays off.'),
    ).toBe('other');
    expect(classifyCategory('Question', 'Is the undeliverable-looking box yours?')).toBe('other');
  });
});

describe('sentiment', () => {
  it('labels with a neutral band around zero', () => {
    expect(assessSentiment('My parcel never arrived.').label).toBe('neutral');
    expect(assessSentiment('I am very disappointed, it broke after two days.').label).toBe('negative');
    expect(assessSentiment('Great app, thanks, I love it.').label).toBe('positive');
  });

  it('reads words separated by tabs and line breaks', () => {
    expect(assessSentiment('terrible\tawful').score).toBe(assessSentiment('terrible awful').score);
  });
});

describe('risk signals', () => {
  it.each([
    ['Final warning', 'My solicitor will be in touch.', 'solicitor'],
    ['Refund', 'Refund me or I will sue you.', 'will sue'],
    ['Refund', 'Pay up or see you in court.', 'see you in court'],
    ['Refund', 'I am filing a claim in the small claims court next week.', 'small claims'],
    ['Erstattung', 'Ich werde meinen Anwalt einschalten.', 'Anwalt'],
    ['Remboursement', 'Ceci est une mise en demeure.', 'mise en demeure'],
  ])('legal threat: %s / %s', (subject, text, evidence) => {
    const inv = investigate(subject, text);
    expect(inv.riskSignals).toContainEqual({ signal: 'legal_threat', evidence });
    expect(inv).toMatchObject({ priority: 'urgent', minimumTier: 3 });
  });

  it.each([
    'Sue from your team was very helpful, thank you.',
    'I waited at the food court for the courier for an hour.',
    'I hold power of attorney for my father and cannot open his account.',
    'I am not threatening legal action, I just want my money back.',
    'The court of appeal ruled on my neighbour, nothing to do with you.',
  ])('no legal threat: %s', (text) => {
    expect(signalsOf('Question', text)).not.toContain('legal_threat');
  });

  it.each([
    ['I will report you to Trading Standards.', 'Trading Standards'],
    ['The ombudsman will hear about this.', 'ombudsman'],
    ['I am going to tell the press.', 'tell the press'],
    ['I will post this on X for everyone to see.', 'post this on X'],
    ['A journalist friend is interested in this story.', 'journalist'],
    ['Ich wende mich an die Verbraucherzentrale.', 'Verbraucherzentrale'],
  ])('regulator or press: %s', (text, evidence) => {
    const inv = investigate('Complaint', text);
    expect(inv.riskSignals).toContainEqual({ signal: 'regulator_or_press', evidence });
    expect(inv).toMatchObject({ priority: 'urgent', minimumTier: 3 });
  });

  it.each([
    'The press button on the blender is stuck.',
    'I pressed the power button and nothing happened.',
    'The media player does not start.',
    'The X-ray of the parcel was not needed.',
  ])('no regulator or press: %s', (text) => {
    expect(signalsOf('Blender', text)).not.toContain('regulator_or_press');
  });

  it.each([
    ['Please cancel my subscription today.', 'cancel my subscription'],
    ['Close my account, I am done.', 'Close my account'],
    ['I am switching to a competitor next month.', 'switching to a competitor'],
    ['I will never buy from you again.', 'never buy from you again'],
    ["If you don't refund me, I'll cancel my contract.", 'cancel my contract'],
    ['Hiermit kündige ich meinen Vertrag.', 'kündige'],
    ['Je veux résilier mon abonnement.', 'résilier'],
  ])('cancel intent: %s', (text, evidence) => {
    const inv = investigate('Service', text);
    expect(inv.riskSignals).toContainEqual({ signal: 'cancel_intent', evidence });
    expect(inv).toMatchObject({ priority: 'high', minimumTier: 2, atRisk: true });
    expect(inv.atRiskReasons).toContain(`wants to leave: "${evidence}"`);
  });

  it.each([
    'I cancelled the order because it was late.',
    'Please cancel the order and refund me.',
    'My subscription was cancelled by mistake.',
    'I do not want to cancel my subscription, just fix the app.',
    'I had to switch to the mobile app because the website is down.',
  ])('no cancel intent: %s', (text) => {
    expect(signalsOf('Order', text)).not.toContain('cancel_intent');
  });

  it('flags a repeat complainer at the threshold, this complaint included', () => {
    const twoBefore = [past('a', 10), past('b', 50)];
    expect(investigate('Late', 'Late.', twoBefore).riskSignals).toEqual([
      { signal: 'repeat_complainer', evidence: '3 complaints in 90 days' },
    ]);
    expect(investigate('Late', 'Late.', twoBefore).minimumTier).toBe(2);
    expect(signalsOf('Late', 'Late.')).toEqual([]);
    expect(investigate('Late', 'Late.', [past('a', 10)]).riskSignals).toEqual([]);
  });

  it('ignores quoted lines: they are usually our own words', () => {
    const text = 'Thanks, that is fine.\n> We are sorry you want to cancel your subscription.\n> Legal team';
    expect(investigate('Re: your complaint', text).riskSignals).toEqual([]);
  });

  it('reports every signal once, with the first phrase as evidence', () => {
    const inv = investigate('Lawyer letter', 'My lawyer and my attorney agree: I will cancel my membership.');
    expect(inv.riskSignals).toEqual([
      { signal: 'legal_threat', evidence: 'Lawyer' },
      { signal: 'cancel_intent', evidence: 'cancel my membership' },
    ]);
  });
});

describe('priority', () => {
  it.each([
    ['Heater', 'The heater caught fire in the living room.', 'urgent'],
    ['Toaster', 'I got an electric shock from it!', 'urgent'],
    ['Hair dryer', 'My daughter has a burn on her hand.', 'urgent'],
    ['Charger', 'Luckily nobody was injured.', 'normal'],
    ['Service', 'Close my account now.', 'high'],
    ['Service', 'This is disgusting service. You are useless, incompetent liars and I am furious.', 'high'],
    ['Idea', 'Just a suggestion: a dark mode would be lovely.', 'low'],
    ['Thank you', 'Sue from your team was very helpful, great work!', 'low'],
    // Polite wording does not make a missing refund less important.
    ['Refund', 'Thank you for your help, but the refund still has not arrived.', 'normal'],
    ['Late', 'My parcel is late.', 'normal'],
    // "Suggestion" does not make a negative message low.
    ['Suggestion', 'Just a suggestion, but this is the worst, most useless app I have ever used.', 'normal'],
  ])('%s: %s -> %s', (subject, text, priority) => {
    expect(investigate(subject, text).priority).toBe(priority);
  });

  it('raises an otherwise low message of an at-risk customer to high', () => {
    const unhappy = [past('a', 30, { csat: 'unsatisfied' })];
    expect(investigate('Idea', 'Just a suggestion: a dark mode.', unhappy).priority).toBe('high');
  });
});

describe('customer history', () => {
  it('counts complaints in the window, the boundary exactly at historyDays included', () => {
    const history = [past('edge', 90), { ...past('outside', 0), createdAt: ago(90 * dayMs + 1) }];
    expect(investigate('Late', 'Late.', history).history.complaintsInWindow).toBe(2);
  });

  it('counts this complaint once, whether or not the store already returned it', () => {
    const self = past('c0', 0, { status: 'investigating' });
    expect(investigate('Late', 'Late.', [self, past('a', 5)]).history.complaintsInWindow).toBe(2);
    expect(investigate('Late', 'Late.', [past('a', 5)]).history.complaintsInWindow).toBe(2);
  });

  it('counts other complaints still being worked on, whatever their age', () => {
    const history = [
      past('c0', 0, { status: 'investigating' }),
      past('queued', 3, { status: 'awaiting_agent' }),
      past('waiting', 200, { status: 'awaiting_customer' }),
      past('resolved', 2, { status: 'resolved' }),
      past('follow-up', 2, { status: 'awaiting_follow_up' }),
      past('closed', 2, { status: 'closed' }),
    ];
    expect(investigate('Late', 'Late.', history).history.open).toBe(2);
  });

  it('reports the latest follow-up outcome in the window', () => {
    const history = [
      past('older', 40, { csat: 'unsatisfied' }),
      past('newer', 10, { csat: 'satisfied' }),
      past('long-ago', 300, { csat: 'unsatisfied' }),
    ];
    expect(investigate('Late', 'Late.', history).history).toEqual({
      complaintsInWindow: 3,
      open: 0,
      lastCsat: 'satisfied',
    });
    expect(investigate('Late', 'Late.', [past('long-ago', 300, { csat: 'unsatisfied' })]).history).toEqual({
      complaintsInWindow: 1,
      open: 0,
    });
  });

  it('names the reasons a customer is at risk', () => {
    const repeat = investigate('Late', 'Late.', [past('a', 10), past('b', 20)]);
    expect(repeat.atRiskReasons).toEqual(['3 complaints in the last 90 days']);

    const angry = investigate('Awful', 'Disgusting service. Useless, incompetent liars. I am furious.');
    expect(angry.atRiskReasons).toEqual([
      expect.stringMatching(/^strongly negative tone \(sentiment score -\d+\)$/),
    ]);

    // A later satisfied follow-up does not undo a recent unhappy one.
    const unhappy = investigate('Late', 'Late.', [
      past('a', 40, { csat: 'unsatisfied' }),
      past('b', 10, { csat: 'satisfied' }),
    ]);
    expect(unhappy.atRisk).toBe(true);
    expect(unhappy.atRiskReasons).toContain('unsatisfied after the follow-up of a');
  });

  it('does not put an ordinary unhappy customer at risk', () => {
    const inv = investigate('Kettle broken', 'I am disappointed, it broke after two days.', [past('a', 100)]);
    expect(inv.sentiment.label).toBe('negative');
    expect(inv).toMatchObject({ atRisk: false, atRiskReasons: [], priority: 'normal' });
  });

  it('ignores history entries with unreadable dates', () => {
    const inv = investigate('Late', 'Late.', [
      past('a', 1, { createdAt: 'yesterday' }),
      past('b', 1, { createdAt: 'soon' }),
    ]);
    expect(inv.history.complaintsInWindow).toBe(1);
    expect(inv.riskSignals).toEqual([]);
  });
});

describe('possible duplicates', () => {
  it('lists earlier open complaints with a similar subject from the last 7 days, most recent first', () => {
    const history = [
      past('c0', 0, { status: 'investigating', subject: 'Parcel not delivered' }),
      past('older', 6, { status: 'awaiting_agent', subject: 'Parcel not delivered' }),
      past('tagged', 2, { status: 'awaiting_customer', subject: 'Re: [CMP-4F7K2Q] Parcel not delivered' }),
      past('edge', 7, { status: 'awaiting_agent', subject: 'AW: parcel not delivered' }),
      past('too-old', 7.001, { status: 'awaiting_agent', subject: 'Parcel not delivered' }),
      past('closed', 1, { status: 'closed', subject: 'Parcel not delivered' }),
      past('resolved', 1, { status: 'resolved', subject: 'Parcel not delivered' }),
      past('other-matter', 1, { status: 'awaiting_agent', subject: 'Invoice wrong' }),
      { id: 'later', createdAt: ago(-1000), status: 'received', subject: 'Parcel not delivered' },
    ];
    expect(investigate('Parcel not delivered', 'Where is it?', history).possibleDuplicates).toEqual([
      'tagged',
      'older',
      'edge',
    ]);
  });

  it.each([
    ['Broken kettle', 'Fwd: kettle broken again', true],
    ['Re: RE: Parcel late [CMP-4F7K2Q]', 'parcel late', true],
    ['WG: Rechnung falsch', 'Rechnung falsch', true],
    // Jaccard exactly 0.5: {parcel, late, damaged} and {parcel, late, refund} share 2 of 4 words.
    ['Parcel late and damaged', 'Parcel late, refund', true],
    ['Broken kettle', 'Kettle broken, still no replacement after two weeks', true],
    ['Broken kettle', 'Late invoice', false],
    ['Parcel late', 'Parcel damaged, wrong colour', false],
    ['Complaint', 'Complaint about my invoice', false],
    ['Re:', 'Re:', false],
  ])('%s ~ %s: %s', (a, b, similar) => {
    expect(isSimilarSubject(a, b)).toBe(similar);
    expect(isSimilarSubject(b, a)).toBe(similar);
  });

  it('normalises subjects to meaningful words', () => {
    expect([...subjectWords('Re: Fwd: [CMP-4F7K2Q] My parcel is STILL late!')]).toEqual(['parcel', 'late']);
    expect([...subjectWords('Re: (cmp 4f7k2q) parcel late')]).toEqual(['parcel', 'late']);
  });
});

describe('recurring issues', () => {
  it('aligns windows to the epoch in steps of the policy window', () => {
    expect(recurringWindow('delivery', new Date('2026-11-23T13:45:00Z'), policy)).toEqual({
      key: 'delivery#2026-11-23T00:00:00.000Z',
      windowStart: '2026-11-23T00:00:00.000Z',
      windowEnd: '2026-11-24T00:00:00.000Z',
    });
    const fast = policyProfiles.fast;
    expect(recurringWindow('billing', new Date('2026-11-23T13:47:59Z'), fast).key).toBe(
      'billing#2026-11-23T13:40:00.000Z',
    );
  });

  it('starts a new window exactly at the boundary', () => {
    expect(recurringWindow('delivery', new Date('2026-11-24T00:00:00.000Z'), policy).windowStart).toBe(
      '2026-11-24T00:00:00.000Z',
    );
    expect(recurringWindow('delivery', new Date('2026-11-23T23:59:59.999Z'), policy).windowStart).toBe(
      '2026-11-23T00:00:00.000Z',
    );
  });

  it('holds every instant in exactly the window it names', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 7 * 86_400 }),
        (ms, windowSeconds) => {
          const p = {
            ...policy,
            investigation: { ...policy.investigation, recurring: { windowSeconds, minCustomers: 5 } },
          };
          const w = recurringWindow('other', new Date(ms), p);
          const start = Date.parse(w.windowStart);
          expect(start % (windowSeconds * 1000)).toBe(0);
          expect(start <= ms && ms < Date.parse(w.windowEnd)).toBe(true);
          expect(Date.parse(w.windowEnd) - start).toBe(windowSeconds * 1000);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('calls an issue recurring from the policy number of distinct customers', () => {
    expect(isRecurring(4, policy)).toBe(false);
    expect(isRecurring(5, policy)).toBe(true);
    expect(isRecurring(3, policyProfiles.fast)).toBe(true);
  });
});

describe('properties', () => {
  // Words that fire rules, mixed with arbitrary text, so that properties also cover the signal paths.
  const vocabulary = fc.constantFrom(
    'lawyer',
    'ombudsman',
    'cancel my subscription',
    'never buy from you again',
    'fire',
    'not',
    'refund',
    'parcel',
    'broken',
    'useless',
    'furious',
    'great',
    'just a suggestion',
    'Sue',
    '>',
    '\n',
    ',',
  );
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.array(fc.oneof(vocabulary, fc.string()), { maxLength: 25 }).map((w) => w.join(' ')),
  );
  const pastComplaint = fc.record({
    id: fc.string({ minLength: 1, maxLength: 4 }),
    createdAt: fc.oneof(fc.integer({ min: 0, max: 200 * dayMs }).map(ago), fc.string({ maxLength: 10 })),
    status: fc.constantFrom('received', 'awaiting_agent', 'resolved', 'closed'),
    subject: text,
    csat: fc.constantFrom(undefined, 'satisfied' as const, 'unsatisfied' as const),
  });

  it('never throws, and starts above tier 1 exactly when a risk signal fired', () => {
    fc.assert(
      fc.property(text, text, fc.array(pastComplaint, { maxLength: 5 }), (subject, body, history) => {
        const inv = investigate(subject, body, history);
        expect(inv.minimumTier >= 2).toBe(inv.riskSignals.length > 0);
        expect(priorities).toContain(inv.priority);
      }),
      { numRuns: 300 },
    );
  });

  it('more complaints in the window never lower the priority', () => {
    const rank = (p: string) => priorities.indexOf(p as (typeof priorities)[number]);
    fc.assert(
      fc.property(
        text,
        fc.array(pastComplaint, { maxLength: 5 }),
        pastComplaint,
        fc.integer({ min: 0, max: 90 * dayMs }),
        (body, history, extra, age) => {
          const added = { ...extra, id: `extra-${extra.id}`, createdAt: ago(age) };
          const fewer = investigate('Subject', body, history).priority;
          const more = investigate('Subject', body, [...history, added]).priority;
          expect(rank(more)).toBeGreaterThanOrEqual(rank(fewer));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('phrase patterns', () => {
  // Each entry's whole-word pattern is built only for a text its bare phrase occurs in: the bare phrase
  // must never miss a text the whole-word pattern matches (case, accents, alternatives, wrapped lines).
  const sources = [
    'cancel(?:led)? my (?:account|subscription)',
    'kündig(?:e|en|ung)',
    '(?:résilier|resilier)',
    'never (?:buy|order) (?:\\S+ ){0,5}?again',
    'sparks?',
    'log ?in',
  ];
  const fragment = fc.constantFrom(
    ...sources.flatMap((source) => source.split(/[^\p{L}]+/u)).filter(Boolean),
    'KÜNDIGUNG',
    'Résilier',
    'x',
    'é',
    '1',
    ' ',
    '\n',
    '.',
  );
  const text = fc
    .array(fragment, { maxLength: 12 })
    .chain((words) => fc.constantFrom(words.join(''), words.join(' ')));

  it('match a text as whole words exactly when the whole-word pattern does', () => {
    fc.assert(
      fc.property(fc.constantFrom(...sources), text, (source, t) => {
        const pattern = phrasePattern(source);
        expect(matchesWholeWords(t, pattern)).toBe(t.search(pattern.wholeWords()) !== -1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('automated and list mail', () => {
  it('raises no risk signal: a mailing list quoting a regulator is no threat', () => {
    const found = investigate(
      'Weekly digest',
      'This week the regulator published new rules; our lawyers summarise them. Cancel my subscription here.',
      [],
      true,
    );
    expect(found.riskSignals).toEqual([]);
    expect(found.minimumTier).toBe(1);
  });

  it('a robot sender with many complaints is no repeat complainer', () => {
    const found = investigate(
      'Order shipped',
      'Your order shipped.',
      [past('a', 1), past('b', 2), past('c', 3)],
      true,
    );
    expect(found.riskSignals).toEqual([]);
    expect(found.atRiskReasons).toEqual([]);
  });

  it('automated complaints of a person do not count towards the repeat-complainer threshold', () => {
    const history = [past('a', 10, { automated: true }), past('b', 20, { automated: true })];
    const found = investigate('Late', 'Late.', history);
    expect(found.history.complaintsInWindow).toBe(1);
    expect(found.riskSignals.map((r) => r.signal)).not.toContain('repeat_complainer');
  });
});
