import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { businessSecondsBetween } from '../../functions/core/businessCalendar';
import { loadPolicy, type Policy, policyProfiles, priorities } from '../../functions/core/policy';
import {
  addBusinessDelay,
  pauseSlaClock,
  resumeSlaClock,
  type SlaClock,
  slaBudget,
  slaStatus,
  startSlaClock,
} from '../../functions/core/sla';

const hour = 3600;
/** Europe/Berlin, Mon-Fri 09:00-17:00 with Berlin's public holidays; warning at 80%. */
const policy: Policy = policyProfiles.standard;
const fast: Policy = policyProfiles.fast;
const newYork: Policy = loadPolicy(
  'standard',
  JSON.stringify({ calendar: { timeZone: 'America/New_York', holidays: null } }),
);

const at = (iso: string) => new Date(iso);
/** Monday 2026-11-23, 10:00 in Berlin. */
const monday10 = at('2026-11-23T09:00:00Z');

describe('SLA budgets and clocks (examples)', () => {
  it('takes budgets from the policy per priority and target', () => {
    expect(slaBudget('normal', 'firstResponse', policy)).toBe(8 * hour);
    expect(slaBudget('low', 'resolution', policy)).toBe(80 * hour);
    expect(slaBudget('urgent', 'firstResponse', fast)).toBe(5);
  });

  it('sets dueAt at the end of the budget and warnAt at 80% of it, in business time', () => {
    const clock = startSlaClock(monday10, 8 * hour, 'firstResponse', policy);
    expect(clock).toEqual({
      target: 'firstResponse',
      startedAt: '2026-11-23T09:00:00.000Z',
      budgetSeconds: 8 * hour,
      // 6 h 24 min after 10:00 Berlin.
      warnAt: '2026-11-23T15:24:00.000Z',
      // 7 hours on Monday, the last one on Tuesday 09:00-10:00 Berlin.
      dueAt: '2026-11-24T09:00:00.000Z',
    });
  });

  it('starts a clock opened at the weekend on Monday morning', () => {
    const clock = startSlaClock(at('2026-11-28T10:00:00Z'), hour, 'approval', policy);
    expect(clock).toMatchObject({ warnAt: '2026-11-30T08:48:00.000Z', dueAt: '2026-11-30T09:00:00.000Z' });
  });

  it('moves ok -> warning -> breached at warnAt and dueAt', () => {
    const clock = startSlaClock(monday10, 8 * hour, 'firstResponse', policy);
    expect(slaStatus(clock, monday10)).toBe('ok');
    expect(slaStatus(clock, at('2026-11-23T15:23:59.999Z'))).toBe('ok');
    expect(slaStatus(clock, at('2026-11-23T15:24:00Z'))).toBe('warning');
    // Overnight nothing is used: still a warning, not a breach.
    expect(slaStatus(clock, at('2026-11-24T08:59:59.999Z'))).toBe('warning');
    expect(slaStatus(clock, at('2026-11-24T09:00:00Z'))).toBe('breached');
  });

  it('keeps the remaining budget while paused and moves the deadlines by the business time spent paused', () => {
    const clock = startSlaClock(monday10, 8 * hour, 'resolution', policy);
    // Paused at 12:00 Berlin after 2 hours: 6 left.
    const paused = pauseSlaClock(clock, at('2026-11-23T11:00:00Z'), policy);
    expect(paused).toMatchObject({ pausedAt: '2026-11-23T11:00:00.000Z', remainingSeconds: 6 * hour });
    expect(slaStatus(paused, at('2026-11-30T00:00:00Z'))).toBe('paused');
    // Resumed Wednesday 11:00 Berlin: due 6 h later, warned when 6.4 h of 8 are used (4.4 h later).
    const resumed = resumeSlaClock(paused, at('2026-11-25T10:00:00Z'), policy);
    expect(resumed).toEqual({
      target: 'resolution',
      startedAt: clock.startedAt,
      budgetSeconds: 8 * hour,
      warnAt: '2026-11-25T14:24:00.000Z',
      dueAt: '2026-11-25T16:00:00.000Z',
    });
  });

  it('warns as soon as a clock resumes when 80% was already used before the pause', () => {
    const clock = startSlaClock(monday10, 8 * hour, 'firstResponse', policy);
    // Paused at closing time, 7 hours used.
    const paused = pauseSlaClock(clock, at('2026-11-23T16:00:00Z'), policy);
    expect(paused.remainingSeconds).toBe(hour);
    const resumed = resumeSlaClock(paused, at('2026-11-25T10:00:00Z'), policy);
    expect(resumed).toMatchObject({ warnAt: '2026-11-25T10:00:00.000Z', dueAt: '2026-11-25T11:00:00.000Z' });
    expect(slaStatus(resumed, at('2026-11-25T10:00:00Z'))).toBe('warning');
  });

  it('pauses a breached clock with nothing left, so it is breached again when resumed', () => {
    const clock = startSlaClock(monday10, hour, 'followUpCall', policy);
    const paused = pauseSlaClock(clock, at('2026-11-23T12:00:00Z'), policy);
    expect(paused.remainingSeconds).toBe(0);
    const resumed = resumeSlaClock(paused, at('2026-11-24T12:00:00Z'), policy);
    expect(slaStatus(resumed, at('2026-11-24T12:00:00Z'))).toBe('breached');
  });

  it('ignores a second pause and a resume of a running clock', () => {
    const clock = startSlaClock(monday10, 8 * hour, 'firstResponse', policy);
    expect(resumeSlaClock(clock, at('2026-11-24T12:00:00Z'), policy)).toBe(clock);
    const paused = pauseSlaClock(clock, at('2026-11-23T11:00:00Z'), policy);
    expect(pauseSlaClock(paused, at('2026-11-23T15:00:00Z'), policy)).toBe(paused);
  });

  it('adds business delays such as the follow-up delay, and wall-clock seconds in the fast profile', () => {
    // Friday 15:00 Berlin + 2 business days = Tuesday 15:00 Berlin.
    expect(
      addBusinessDelay(at('2026-11-27T14:00:00Z'), policy.followUp.delaySeconds, policy).toISOString(),
    ).toBe('2026-12-01T14:00:00.000Z');
    expect(addBusinessDelay(at('2026-11-28T03:00:00Z'), fast.followUp.delaySeconds, fast).toISOString()).toBe(
      '2026-11-28T03:00:05.000Z',
    );
    const clock = startSlaClock(at('2026-11-28T03:00:00Z'), 20, 'firstResponse', fast);
    expect(clock).toMatchObject({ warnAt: '2026-11-28T03:00:16.000Z', dueAt: '2026-11-28T03:00:20.000Z' });
  });
});

/** Business milliseconds between two instants, as an exact integer. */
const businessMs = (from: Date | string, to: Date | string, p: Policy) =>
  Math.round(businessSecondsBetween(new Date(from), new Date(to), p.calendar) * 1000);

const day = 86_400_000;

describe('SLA clock properties', () => {
  it('never counts time spent paused: business time counted from start to breach equals the budget', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(policy, newYork, fast),
        fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 11, 31) }),
        fc.oneof(
          fc.tuple(
            fc.constantFrom(...priorities),
            fc.constantFrom('firstResponse' as const, 'resolution' as const),
          ),
          fc.integer({ min: 1, max: 40 * hour }),
        ),
        // Alternating wall-clock stretches: running, then paused awaiting the customer.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * day }), fc.integer({ min: 1, max: 5 * day })), {
          maxLength: 6,
        }),
        (p, startMs, budgetChoice, stretches) => {
          const budget = typeof budgetChoice === 'number' ? budgetChoice : slaBudget(...budgetChoice, p);
          const start = new Date(startMs);
          let clock: SlaClock = startSlaClock(start, budget, 'resolution', p);
          let pausedMs = 0;
          let usedAtLastPauseMs = 0;
          let t = startMs;
          for (const [running, waiting] of stretches) {
            const pauseAt = t + running;
            // The customer answered too late: the clock had already run out.
            if (pauseAt >= Date.parse(clock.dueAt)) break;
            clock = pauseSlaClock(clock, new Date(pauseAt), p);
            usedAtLastPauseMs = budget * 1000 - Math.round((clock.remainingSeconds ?? 0) * 1000);
            expect(slaStatus(clock, new Date(pauseAt + waiting - 1))).toBe('paused');
            t = pauseAt + waiting;
            clock = resumeSlaClock(clock, new Date(t), p);
            pausedMs += businessMs(new Date(pauseAt), new Date(t), p);
          }
          expect(businessMs(start, clock.dueAt, p) - pausedMs).toBe(budget * 1000);
          // The warning falls once 80% of the budget is used, or at the resume if that was already so.
          expect(businessMs(start, clock.warnAt, p) - pausedMs).toBe(
            Math.max(Math.round(budget * p.sla.warningRatio * 1000), usedAtLastPauseMs),
          );
          expect(slaStatus(clock, new Date(Date.parse(clock.dueAt) - 1))).not.toBe('breached');
          expect(slaStatus(clock, new Date(clock.dueAt))).toBe('breached');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('moves through ok, warning, breached in that order as time passes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 11, 31) }),
        fc.integer({ min: 1, max: 40 * hour }),
        fc.array(fc.integer({ min: 0, max: 20 * day }), { minLength: 2, maxLength: 8 }),
        (startMs, budget, offsets) => {
          const clock = startSlaClock(new Date(startMs), budget, 'firstResponse', policy);
          const order = { ok: 0, warning: 1, breached: 2, paused: -1 };
          const seen = [...offsets]
            .sort((a, b) => a - b)
            .map((offset) => order[slaStatus(clock, new Date(startMs + offset))]);
          expect(seen).toEqual([...seen].sort((a, b) => a - b));
        },
      ),
      { numRuns: 500 },
    );
  });
});
