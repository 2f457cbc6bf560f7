import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseThread,
  referencedMessageIds,
  replyTokensIn,
  routeThreadedMail,
  sesMessageIdOf,
  subjectTagReferences,
  type ThreadSignal,
} from '../../functions/core/mail/threading';

const customer = 'ann@example.org';
const kinds = ['replyToken', 'messageReference', 'subjectTag'] as const;

const signalArb: fc.Arbitrary<ThreadSignal> = fc
  .record({
    kind: fc.constantFrom(...kinds),
    complaintId: fc.constantFrom('c-a', 'c-b', 'c-c', 'c-d'),
    rank: fc.nat({ max: 20 }),
    customerEmail: fc.constantFrom(customer, 'ANN@example.org', 'mallory@example.net'),
  })
  .map(({ kind, complaintId, rank, customerEmail }) =>
    kind === 'subjectTag' ? { kind, complaintId, rank, customerEmail } : { kind, complaintId, rank },
  );
// Signals are distinct per (kind, rank): one address, one header position, one tag each.
const signalsArb = fc.uniqueArray(signalArb, { selector: (s) => `${s.kind}#${s.rank}`, maxLength: 12 });

const trustedFor = (sender: string) => (s: ThreadSignal) =>
  s.kind !== 'subjectTag' || s.customerEmail.toLowerCase() === sender.toLowerCase();

describe('chooseThread', () => {
  it('takes the reply token over a reference over a subject tag', () => {
    const signals: ThreadSignal[] = [
      { kind: 'subjectTag', complaintId: 'tagged', rank: 0, customerEmail: customer },
      { kind: 'messageReference', complaintId: 'referenced', rank: 0 },
      { kind: 'replyToken', complaintId: 'tokened', rank: 0 },
    ];
    expect(chooseThread(customer, signals)).toEqual({
      thread: true,
      complaintId: 'tokened',
      via: 'replyToken',
    });
    expect(chooseThread(customer, signals.slice(0, 2))).toMatchObject({ complaintId: 'referenced' });
    expect(chooseThread(customer, signals.slice(0, 1))).toMatchObject({ complaintId: 'tagged' });
  });

  it('prefers In-Reply-To (rank 0) to older References', () => {
    expect(
      chooseThread(customer, [
        { kind: 'messageReference', complaintId: 'older', rank: 3 },
        { kind: 'messageReference', complaintId: 'replied-to', rank: 0 },
      ]),
    ).toMatchObject({ complaintId: 'replied-to' });
  });

  it("ignores a subject tag unless the sender is that complaint's customer (case-insensitive)", () => {
    const tag: ThreadSignal = { kind: 'subjectTag', complaintId: 'c1', rank: 0, customerEmail: customer };
    expect(chooseThread('mallory@example.net', [tag])).toEqual({ thread: false });
    expect(chooseThread('Ann@Example.org', [tag])).toMatchObject({ thread: true, complaintId: 'c1' });
  });

  it('property: the winner is the strongest trusted signal; untrusted tags never win', () => {
    fc.assert(
      fc.property(signalsArb, fc.constantFrom(customer, 'mallory@example.net'), (signals, sender) => {
        const decision = chooseThread(sender, signals);
        const trusted = signals.filter(trustedFor(sender));
        if (trusted.length === 0) {
          expect(decision).toEqual({ thread: false });
          return;
        }
        const strongestKind = kinds.find((k) => trusted.some((s) => s.kind === k));
        const bestRank = Math.min(...trusted.filter((s) => s.kind === strongestKind).map((s) => s.rank));
        const expected = trusted.find((s) => s.kind === strongestKind && s.rank === bestRank);
        expect(decision).toEqual({ thread: true, complaintId: expected?.complaintId, via: strongestKind });
      }),
    );
  });

  it('property: the order signals are found in does not matter', () => {
    fc.assert(
      fc.property(signalsArb, fc.infiniteStream(fc.double()), (signals, noise) => {
        const shuffled = signals
          .map((s) => ({ s, k: noise.next().value }))
          .sort((a, b) => a.k - b.k)
          .map(({ s }) => s);
        expect(chooseThread(customer, shuffled)).toEqual(chooseThread(customer, signals));
      }),
    );
  });

  it('property: a weaker signal added never changes a decision', () => {
    fc.assert(
      fc.property(signalsArb, signalArb, (signals, extra) => {
        const before = chooseThread(customer, signals);
        if (!before.thread) return;
        const weaker = kinds.indexOf(extra.kind) > kinds.indexOf(before.via);
        fc.pre(weaker && !signals.some((s) => s.kind === extra.kind && s.rank === extra.rank));
        expect(chooseThread(customer, [...signals, extra])).toEqual(before);
      }),
    );
  });
});

describe('threading signals', () => {
  it('finds reply tokens only on the support address and domain, lower-cased', () => {
    expect(
      replyTokensIn(
        [
          'support+abc_12-x@shop.example',
          'Support+UPPER@Shop.Example',
          'support+evil@other.example',
          'sales+nope@shop.example',
          'support@shop.example',
          'support+bad token@shop.example',
        ],
        'support@shop.example',
      ),
    ).toEqual(['abc_12-x', 'upper']);
  });

  it('lists In-Reply-To first, then References newest first, without repeats', () => {
    expect(referencedMessageIds({ inReplyTo: 'c@x', references: ['a@x', 'b@x', 'c@x'] })).toEqual([
      'c@x',
      'b@x',
      'a@x',
    ]);
    expect(referencedMessageIds({ references: [] })).toEqual([]);
  });

  it('reads SES MessageIds from every amazonses.com form and from bare ids', () => {
    const id = '0100019357aa1b2c-3d4e5f60-7182-4394-a5b6-c7d8e9f00112-000000';
    expect(sesMessageIdOf(`${id}@email.amazonses.com`)).toBe(id);
    expect(sesMessageIdOf(`${id}@eu-west-1.amazonses.com`)).toBe(id);
    expect(sesMessageIdOf(`${id}@EMAIL.AMAZONSES.COM`)).toBe(id);
    expect(sesMessageIdOf(id)).toBe(id);
    expect(sesMessageIdOf('CAKx7f@mail.gmail.com')).toBeUndefined();
    expect(sesMessageIdOf('x@amazonses.com.evil.example')).toBeUndefined();
  });

  it('reads bracketed CMP tags from a subject, upper-cased, once each', () => {
    expect(
      subjectTagReferences('Re: AW: late [cmp-4f7k2q] and [CMP-4F7K2Q] [CMP-ABCDEU] CMP-0000AA'),
    ).toEqual(['CMP-4F7K2Q']);
    expect(subjectTagReferences('[CMP-4F7K2Q] / [CMP-0000AA]')).toEqual(['CMP-4F7K2Q', 'CMP-0000AA']);
  });

  it('reads the tag in brackets with spaces or in parentheses, never bare or broken', () => {
    expect(subjectTagReferences('[ CMP-4F7K2Q ] more info')).toEqual(['CMP-4F7K2Q']);
    expect(subjectTagReferences('Re: late (cmp-4f7k2q)')).toEqual(['CMP-4F7K2Q']);
    expect(subjectTagReferences('CMP-4F7K2Q more info')).toEqual([]);
    expect(subjectTagReferences('[CMP-4F7K2Q) (CMP-4F7K2QX) [CMP-4F7K2] [CMPX4F7K2Q]')).toEqual([]);
  });

  it('reads a tag as a customer types it from a letter or a call', () => {
    expect(subjectTagReferences('my complaint [CMP4F7K2Q]')).toEqual(['CMP-4F7K2Q']);
    expect(subjectTagReferences('(cmp 4f7k2q) again')).toEqual(['CMP-4F7K2Q']);
    // No I, L, O or U in a reference: O and I, L are the 0 and 1 a reader took them for; U is none.
    expect(subjectTagReferences('[CMP-O1LKIQ] [CMP-4F7K2U]')).toEqual(['CMP-011K1Q']);
  });
});

describe('routeThreadedMail', () => {
  it('stores automated mail without reaction whatever the status', () => {
    for (const status of ['awaiting_customer', 'resolved', 'closed'] as const) {
      expect(routeThreadedMail({ status }, { automated: true, withinReopenWindow: false })).toBe('automated');
    }
  });

  it('opens a linked complaint only for a closed complaint outside the reopen window', () => {
    expect(routeThreadedMail({ status: 'closed' }, { automated: false, withinReopenWindow: false })).toBe(
      'linked',
    );
    expect(routeThreadedMail({ status: 'closed' }, { automated: false, withinReopenWindow: true })).toBe(
      'reply',
    );
    expect(routeThreadedMail({ status: 'resolved' }, { automated: false, withinReopenWindow: false })).toBe(
      'reply',
    );
  });
});
