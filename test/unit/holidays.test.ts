import Holidays from 'date-holidays';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBusinessSeconds,
  type BusinessCalendar,
  businessSecondsBetween,
  isBusinessTime,
  nextBusinessOpening,
} from '../../functions/core/businessCalendar';
import holidayCalendar from '../../functions/core/holidayCalendar.json';
import {
  bundledHolidayCountries,
  holidayEntries,
  holidaySpanProblem,
  holidayYears,
  publicHolidayResolver,
} from '../../functions/core/holidays';
import { loadPolicy, type Policy, policyProfiles } from '../../functions/core/policy';
import { pauseSlaClock, resumeSlaClock, startSlaClock } from '../../functions/core/sla';
import { resolveHolidayCalendar } from '../../scripts/holidayCalendar';

const hour = 3600;
const standard = policyProfiles.standard;
const withCalendar = (calendar: object): Policy => loadPolicy('standard', JSON.stringify({ calendar }));
const bavaria = withCalendar({ holidays: { country: 'DE', state: 'BY' } });
/** Berlin plus a company day off, a company half day and Berlin's 8 March worked as usual. */
const company = withCalendar({
  holidays: { country: 'DE', state: 'BE' },
  closures: [{ date: '2027-06-04' }, { date: '2027-06-11', closesAt: '12:00' }],
  workedHolidays: ['2027-03-08'],
});

const closuresIn = (policy: Policy, year: number) => Object.fromEntries(policy.calendar.closuresIn(year));

describe('public holidays from date-holidays', () => {
  it("closes Berlin's public holidays of 2027, with 24 and 31 December closing at 14:00", () => {
    expect(closuresIn(standard, 2027)).toEqual({
      '2027-01-01': 0, // New Year
      '2027-03-08': 0, // International Women's Day (Berlin only)
      '2027-03-26': 0, // Good Friday
      '2027-03-29': 0, // Easter Monday
      '2027-05-01': 0, // Labour Day
      '2027-05-06': 0, // Ascension
      '2027-05-17': 0, // Whit Monday
      '2027-10-03': 0, // German Unity Day
      '2027-12-24': 14 * 60,
      '2027-12-25': 0,
      '2027-12-26': 0,
      '2027-12-31': 14 * 60,
    });
  });

  it("follows the state: Bavaria closes on Epiphany and Corpus Christi but not on Berlin's 8 March", () => {
    const days = closuresIn(bavaria, 2027);
    expect(days['2027-01-06']).toBe(0);
    expect(days['2027-05-27']).toBe(0);
    expect(days['2027-11-01']).toBe(0);
    expect(days['2027-03-08']).toBeUndefined();
  });

  it('resolves any year: Easter-dependent holidays move, fixed ones stay', () => {
    expect(closuresIn(standard, 2030)).toMatchObject({ '2030-04-19': 0, '2030-04-22': 0, '2030-10-03': 0 });
    expect(closuresIn(standard, 2035)).toMatchObject({ '2035-03-23': 0, '2035-03-26': 0, '2035-05-14': 0 });
  });

  it('adds company closures and half days and drops worked holidays', () => {
    const days = closuresIn(company, 2027);
    expect(days['2027-06-04']).toBe(0);
    expect(days['2027-06-11']).toBe(12 * 60);
    expect(days['2027-03-08']).toBeUndefined();
    expect(days['2027-03-29']).toBe(0);
    // Only the configured year is affected.
    expect(closuresIn(company, 2028)['2028-03-08']).toBe(0);
  });

  it('keeps the fast profile round the clock, without any closure', () => {
    expect(policyProfiles.fast.calendar.closuresIn(2027).size).toBe(0);
    expect(addBusinessSeconds(new Date('2027-12-25T10:00:00Z'), 20, policyProfiles.fast.calendar)).toEqual(
      new Date('2027-12-25T10:00:20Z'),
    );
  });

  it('computes each year once per resolver', () => {
    const resolver = publicHolidayResolver({ country: 'DE', state: 'BE', types: ['public'] });
    expect(resolver(2031)).toBe(resolver(2031));
  });

  it('resolves for every state and region the closures date-holidays computes, over the whole span', () => {
    expect(bundledHolidayCountries).toEqual(['DE']);
    const full = new Holidays();
    const areas = Object.keys(full.getStates('DE') ?? {}).flatMap((state) => [
      [state, undefined],
      ...Object.keys(full.getRegions('DE', state) ?? {}).map((region) => [state, region]),
    ]);
    expect(areas.length).toBeGreaterThan(16);
    for (const [state, region] of [[undefined, undefined], ...areas]) {
      for (const types of [['public'], ['bank'], ['public', 'bank']] as const) {
        const reference = new Holidays('DE', state as string, region as string, { types: [...types] });
        const resolver = publicHolidayResolver({ country: 'DE', state, region, types });
        for (let year = holidayYears.from; year <= holidayYears.to; year++) {
          const expected = reference
            .getHolidays(year)
            .map((h) => [
              h.date.slice(0, 10),
              h.date.slice(11, 16) === '00:00' ? 0 : Number(h.date.slice(11, 13)) * 60,
            ]);
          expect([...resolver(year)].sort(), `DE-${state}-${region} ${types} ${year}`).toEqual(
            expected.sort(),
          );
        }
      }
    }
  });

  it('reads the year groups of the calendar back as dates, in date order', () => {
    expect(holidayEntries(['* 0101 1003', '2026 0403 1224@14:00'], { from: 2025, to: 2026 })).toEqual([
      '2025-01-01',
      '2025-10-03',
      '2026-01-01',
      '2026-04-03',
      '2026-10-03',
      '2026-12-24 14:00',
    ]);
  });

  it('carries exactly the data `npm run holidays:data` generates from the installed date-holidays', () => {
    expect(resolveHolidayCalendar(['DE'], holidayYears)).toEqual(holidayCalendar);
  });

  it('spans the year before this one to ten years ahead, and fails loudly past it', () => {
    expect(holidayYears.to - holidayYears.from).toBe(11);
    expect(holidaySpanProblem(new Date().getUTCFullYear())).toBeUndefined();
    expect(holidaySpanProblem(holidayYears.to)).toMatch(
      /resolved for \d{4}-\d{4}.*npm run holidays:data -- DE/,
    );
    const resolver = publicHolidayResolver({ country: 'DE', state: 'BE', types: ['public'] });
    expect(() => resolver(holidayYears.to + 1)).toThrow(RangeError);
    expect(() => resolver(holidayYears.from - 1)).toThrow(/No public holidays resolved/);
  });
});

describe('due times on real holidays (standard policy, normal priority first response: 8 business hours)', () => {
  const due = (iso: string, policy: Policy = standard) =>
    startSlaClock(new Date(iso), 8 * hour, 'firstResponse', policy).dueAt;

  it('Maundy Thursday 2027 16:30 in Berlin is due on the Tuesday after Easter at 16:30', () => {
    // 30 minutes on Thursday; Good Friday, the weekend and Easter Monday are closed; 7.5 h on Tuesday.
    expect(due('2027-03-25T15:30:00Z')).toBe('2027-03-30T14:30:00.000Z');
  });

  it('skips Whit Monday 2027, German Unity Day 2029 and Berlin’s 8 March 2028', () => {
    // Friday 14 May 2027 10:00 CEST: 7 h on Friday, Monday 17 May closed, 1 h on Tuesday.
    expect(due('2027-05-14T08:00:00Z')).toBe('2027-05-18T08:00:00.000Z');
    // Tuesday 2 Oct 2029 10:00: 7 h, Wednesday 3 October closed, 1 h on Thursday.
    expect(due('2029-10-02T08:00:00Z')).toBe('2029-10-04T08:00:00.000Z');
    // Tuesday 7 March 2028 10:00 CET: 7 h, Wednesday 8 March closed in Berlin, not in Bavaria.
    expect(due('2028-03-07T09:00:00Z')).toBe('2028-03-09T09:00:00.000Z');
    expect(due('2028-03-07T09:00:00Z', bavaria)).toBe('2028-03-08T09:00:00.000Z');
  });

  it('stops the clock at 14:00 on Christmas Eve 2027 and 12:00 on a company half day', () => {
    // Friday 24 Dec 2027 09:00: 5 h until 14:00, the weekend (25/26 Dec), 3 h on Monday 27 Dec.
    expect(due('2027-12-24T08:00:00Z')).toBe('2027-12-27T11:00:00.000Z');
    // Friday 11 June 2027 09:00 CEST in the company calendar: 3 h until 12:00, 5 h on Monday.
    expect(due('2027-06-11T07:00:00Z', company)).toBe('2027-06-14T12:00:00.000Z');
  });
});

// --- Properties over 2026-2035 with the resolved calendars -------------------------------------

/** Independent oracle: the full date-holidays package, asked whether a holiday is running at an instant. */
const oracles = new Map<Policy, Holidays>([
  [standard, new Holidays('DE', 'BE', { types: ['public', 'bank'] })],
  [bavaria, new Holidays('DE', 'BY', { types: ['public', 'bank'] })],
  [company, new Holidays('DE', 'BE', { types: ['public', 'bank'] })],
]);
const berlinFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin',
  hourCycle: 'h23',
  weekday: 'short',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

function local(t: Date) {
  const part = Object.fromEntries(berlinFormat.formatToParts(t).map((p) => [p.type, p.value]));
  return {
    date: `${part.year}-${part.month}-${part.day}`,
    time: `${part.hour}:${part.minute}`,
    weekend: part.weekday === 'Sat' || part.weekday === 'Sun',
  };
}

/** Open at `t` by the oracle: a weekday, 09:00-17:00 Berlin, no public holiday (or its afternoon) running. */
function openByOracle(t: Date, policy: Policy): boolean {
  const { date, time, weekend } = local(t);
  if (weekend || time < '09:00' || time >= '17:00') return false;
  // An instant, not a date string: date-holidays compares it with a half day's start time.
  const holiday = oracles.get(policy)?.isHoliday(t);
  const worked = policy.calendar.workedHolidays.includes(date);
  const closure = policy.calendar.closures.find((c) => c.date === date);
  if (closure && (closure.closesAt === undefined || time >= closure.closesAt)) return false;
  return worked || !holiday || holiday.every((h) => h.type !== 'public' && h.type !== 'bank');
}

/** Every closed or shortened date of the calendars below in 2026-2035. */
const closureDates = [standard, bavaria, company].flatMap((policy) =>
  Array.from({ length: 10 }, (_, i) => [...policy.calendar.closuresIn(2026 + i).keys()]).flat(),
);
/**
 * Instants in 2026-2035: anywhere, or (as holidays are rare) within a day and a half from the start of
 * a closed or shortened date; either any millisecond or on a quarter hour (openings, closings).
 */
const decade = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2035, 11, 31) }),
      fc
        .tuple(fc.constantFrom(...closureDates), fc.integer({ min: 0, max: 36 * 3_600_000 }))
        .map(([date, ms]) => Date.parse(`${date}T00:00:00Z`) - 2 * 3_600_000 + ms),
    ),
    fc.boolean(),
  )
  .map(([ms, onQuarter]) => new Date(onQuarter ? ms - (ms % 900_000) : ms));
const policies = fc.constantFrom(standard, bavaria, company);
/** Up to 10 business days, in seconds. */
const budget = fc.integer({ min: 0, max: 10 * 8 * hour });
const calendarOf = (policy: Policy): BusinessCalendar => policy.calendar;

describe('business time with public holidays, 2026-2035 (properties)', () => {
  it('never falls due on a holiday, a weekend, outside working hours or after a half-day close', () => {
    fc.assert(
      fc.property(decade, policies, budget, (start, policy, x) => {
        const due = addBusinessSeconds(start, x, calendarOf(policy));
        // x > 0 may end exactly at a closing instant: the clock was running right up to it.
        const lastCounted = x > 0 ? new Date(due.getTime() - 1) : due;
        expect(openByOracle(lastCounted, policy)).toBe(true);
        expect(businessSecondsBetween(start, due, calendarOf(policy))).toBe(x);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with the oracle at any instant, and opens at an instant the oracle calls open', () => {
    fc.assert(
      fc.property(decade, policies, (t, policy) => {
        expect(isBusinessTime(t, calendarOf(policy))).toBe(openByOracle(t, policy));
        expect(openByOracle(nextBusinessOpening(t, calendarOf(policy)), policy)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('is monotonic: more business time never gives an earlier due time', () => {
    fc.assert(
      fc.property(decade, policies, budget, budget, (start, policy, x1, x2) => {
        const [low, high] = x1 <= x2 ? [x1, x2] : [x2, x1];
        const a = addBusinessSeconds(start, low, calendarOf(policy)).getTime();
        const b = addBusinessSeconds(start, high, calendarOf(policy)).getTime();
        expect(a).toBeLessThanOrEqual(b);
        if (low < high) expect(a).toBeLessThan(b);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps SLA pause/resume exact: the business time left at the pause runs from the resume', () => {
    fc.assert(
      fc.property(
        decade,
        policies,
        budget.filter((x) => x > 0),
        fc.integer({ min: 0, max: 20 * 86_400_000 }),
        fc.integer({ min: 0, max: 30 * 86_400_000 }),
        (start, policy, budgetSeconds, untilPause, pausedFor) => {
          const clock = startSlaClock(start, budgetSeconds, 'resolution', policy);
          const pausedAt = new Date(start.getTime() + untilPause);
          const paused = pauseSlaClock(clock, pausedAt, policy);
          const resumedAt = new Date(pausedAt.getTime() + pausedFor);
          const resumed = resumeSlaClock(paused, resumedAt, policy);
          const left = paused.remainingSeconds ?? -1;
          expect(left).toBe(businessSecondsBetween(pausedAt, new Date(clock.dueAt), policy.calendar));
          expect(resumed.dueAt).toBe(addBusinessSeconds(resumedAt, left, policy.calendar).toISOString());
          // Business time used before the pause plus after the resume is the whole budget.
          const used =
            businessSecondsBetween(start, pausedAt, policy.calendar) +
            businessSecondsBetween(resumedAt, new Date(resumed.dueAt), policy.calendar);
          if (pausedAt.getTime() < Date.parse(clock.dueAt)) expect(used).toBeCloseTo(budgetSeconds, 3);
        },
      ),
      { numRuns: 500 },
    );
  });
});
