import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBusinessSeconds,
  type BusinessCalendar,
  businessSecondsBetween,
  type DayClosures,
  isBusinessTime,
  nextBusinessOpening,
} from '../../functions/core/businessCalendar';
import { policyProfiles } from '../../functions/core/policy';

const hour = 3600;
const weekdays = [1, 2, 3, 4, 5];
/**
 * Europe/Berlin, Mon-Fri 09:00-17:00, Berlin's public holidays; 24 and 31 December close at 14:00
 * (in 2026: Thu 24 half day, Fri 25 closed; Thu 31 half day, Fri 1 Jan closed).
 */
const berlin = policyProfiles.standard.calendar;
/** Around the clock in UTC: business time is wall-clock time. */
const utc247 = policyProfiles.fast.calendar;

/** A calendar closed all day on `closed` dates and from the given minute on half days. */
function withClosures(
  calendar: Omit<BusinessCalendar, 'closuresIn'>,
  closed: readonly string[] = [],
  halfDays: Readonly<Record<string, number>> = {},
): BusinessCalendar {
  const all = new Map<string, number>([
    ...closed.map((date): [string, number] => [date, 0]),
    ...Object.entries(halfDays),
  ]);
  return {
    ...calendar,
    closuresIn: (year) => new Map([...all].filter(([date]) => date.startsWith(`${year}-`))),
  };
}

const newYork = withClosures({
  timeZone: 'America/New_York',
  workingDays: weekdays,
  workingHours: { start: '09:00', end: '17:00' },
});
const berlinAllDay = withClosures({
  timeZone: 'Europe/Berlin',
  workingDays: [1, 2, 3, 4, 5, 6, 7],
  workingHours: { start: '00:00', end: '24:00' },
});
const berlinEvenings: BusinessCalendar = {
  ...berlinAllDay,
  workingDays: weekdays,
  workingHours: { start: '18:00', end: '24:00' },
};

const at = (iso: string) => new Date(iso);
const add = (iso: string, seconds: number, calendar: BusinessCalendar) =>
  addBusinessSeconds(at(iso), seconds, calendar).toISOString();

describe('addBusinessSeconds (examples)', () => {
  it('counts working hours only and skips the weekend', () => {
    // Friday 16:00 Berlin + 2 h: one hour on Friday, one on Monday (10:00 Berlin = 09:00Z).
    expect(add('2026-11-27T15:00:00Z', 2 * hour, berlin)).toBe('2026-11-30T09:00:00.000Z');
    expect(add('2026-11-23T09:00:00Z', 8 * hour, berlin)).toBe('2026-11-24T09:00:00.000Z');
  });

  it('skips holidays (local dates) and stops at the early close of a half day', () => {
    // Wednesday 23 Dec 16:00 Berlin + 2 h: one hour on Wednesday, the next from 09:00 on Thu 24.
    expect(add('2026-12-23T15:00:00Z', 2 * hour, berlin)).toBe('2026-12-24T09:00:00.000Z');
    // Thu 24 Dec 13:00 Berlin + 2 h: one hour until 14:00, Fri 25 is closed, then the weekend.
    expect(add('2026-12-24T12:00:00Z', 2 * hour, berlin)).toBe('2026-12-28T09:00:00.000Z');
    // A budget that runs out exactly at the early close is due then.
    expect(add('2026-12-24T12:00:00Z', hour, berlin)).toBe('2026-12-24T13:00:00.000Z');
  });

  it('skips moving and regional holidays: Maundy Thursday 16:30 + 8 h is due on the Tuesday after Easter', () => {
    // Thu 25 Mar 2027 16:30 CET: 30 minutes that day, Good Friday and Easter Monday closed, 7.5 h on Tuesday.
    expect(add('2027-03-25T15:30:00Z', 8 * hour, berlin)).toBe('2027-03-30T14:30:00.000Z');
    // Berlin's 8 March (International Women's Day, a Monday in 2027) is closed.
    expect(isBusinessTime(at('2027-03-08T10:00:00Z'), berlin)).toBe(false);
  });

  it('asks for the closures of every year it walks into, and fails when a year cannot be resolved', () => {
    const asked: number[] = [];
    const onlyUntil2026: BusinessCalendar = {
      ...newYork,
      closuresIn: (year) => {
        asked.push(year);
        if (year > 2026) throw new RangeError(`closures of ${year} not resolved`);
        return new Map();
      },
    };
    expect(() => add('2026-12-31T20:00:00Z', 3 * hour, onlyUntil2026)).toThrow(/closures of 2027/);
    expect(asked).toEqual([2026, 2027]);
  });

  it('starts the count at the next opening when started before opening or after closing', () => {
    expect(add('2026-11-23T06:00:00Z', hour, berlin)).toBe('2026-11-23T09:00:00.000Z');
    expect(add('2026-11-23T16:30:00Z', hour, berlin)).toBe('2026-11-24T09:00:00.000Z');
    expect(add('2026-11-28T12:00:00Z', hour, berlin)).toBe('2026-11-30T09:00:00.000Z');
  });

  it('is due at closing time when the budget runs out exactly then, not the next morning', () => {
    expect(add('2026-11-23T08:00:00Z', 8 * hour, berlin)).toBe('2026-11-23T16:00:00.000Z');
  });

  it('returns the start itself for 0 seconds in business time, else the next opening', () => {
    expect(add('2026-11-23T10:15:00Z', 0, berlin)).toBe('2026-11-23T10:15:00.000Z');
    expect(add('2026-11-23T16:00:00Z', 0, berlin)).toBe('2026-11-24T08:00:00.000Z');
  });

  it('keeps local opening hours across the Berlin DST changes of 2026-03-29 and 2026-10-25', () => {
    // Friday 16:00 CET + 2 h -> Monday 10:00 CEST (08:00Z).
    expect(add('2026-03-27T15:00:00Z', 2 * hour, berlin)).toBe('2026-03-30T08:00:00.000Z');
    // Friday 16:00 CEST + 2 h -> Monday 10:00 CET (09:00Z).
    expect(add('2026-10-23T14:00:00Z', 2 * hour, berlin)).toBe('2026-10-26T09:00:00.000Z');
    // Two full working days around the change, each 09:00-17:00 local.
    expect(businessSecondsBetween(at('2026-03-27T08:00:00Z'), at('2026-03-30T15:00:00Z'), berlin)).toBe(
      16 * hour,
    );
  });

  it('counts elapsed time on DST days: 23 h on 2026-03-29 and 25 h on 2026-10-25 for a 00:00-24:00 calendar', () => {
    expect(businessSecondsBetween(at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'), berlinAllDay)).toBe(
      23 * hour,
    );
    expect(businessSecondsBetween(at('2026-10-24T22:00:00Z'), at('2026-10-25T23:00:00Z'), berlinAllDay)).toBe(
      25 * hour,
    );
  });

  it('reads an opening time skipped by DST as after the jump and a repeated one as its first occurrence', () => {
    const night: BusinessCalendar = { ...berlinAllDay, workingHours: { start: '02:30', end: '04:00' } };
    // 02:30 does not exist on 2026-03-29: open 03:30 CEST (01:30Z) to 04:00 CEST (02:00Z).
    expect(isBusinessTime(at('2026-03-29T01:29:59Z'), night)).toBe(false);
    expect(nextBusinessOpening(at('2026-03-29T00:00:00Z'), night).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    expect(businessSecondsBetween(at('2026-03-29T00:00:00Z'), at('2026-03-29T12:00:00Z'), night)).toBe(
      0.5 * hour,
    );
    // 02:30 happens twice on 2026-10-25: open at 02:30 CEST (00:30Z) to 04:00 CET (03:00Z).
    expect(nextBusinessOpening(at('2026-10-25T00:00:00Z'), night).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(businessSecondsBetween(at('2026-10-25T00:00:00Z'), at('2026-10-25T12:00:00Z'), night)).toBe(
      2.5 * hour,
    );
  });

  it('follows America/New_York across its own DST dates (2026-03-08 and 2026-11-01)', () => {
    // Friday 16:00 EST + 2 h -> Monday 10:00 EDT (14:00Z).
    expect(add('2026-03-06T21:00:00Z', 2 * hour, newYork)).toBe('2026-03-09T14:00:00.000Z');
    // Friday 16:00 EDT + 2 h -> Monday 10:00 EST (15:00Z).
    expect(add('2026-10-30T20:00:00Z', 2 * hour, newYork)).toBe('2026-11-02T15:00:00.000Z');
  });

  it('equals wall-clock addition on a 24/7 UTC calendar', () => {
    expect(add('2026-11-28T12:34:56.789Z', 100_000, utc247)).toBe('2026-11-29T16:21:36.789Z');
  });

  it("closes at local midnight with a '24:00' end", () => {
    // Friday 23:00 Berlin + 1 h = Saturday 00:00 Berlin, the closing instant.
    expect(add('2026-11-27T22:00:00Z', hour, berlinEvenings)).toBe('2026-11-27T23:00:00.000Z');
    // One more hour waits for Monday 18:00 Berlin.
    expect(add('2026-11-27T22:00:00Z', 2 * hour, berlinEvenings)).toBe('2026-11-30T18:00:00.000Z');
    expect(isBusinessTime(at('2026-11-27T22:59:59.999Z'), berlinEvenings)).toBe(true);
    expect(isBusinessTime(at('2026-11-27T23:00:00Z'), berlinEvenings)).toBe(false);
  });

  it('rejects a negative budget and a calendar without business time', () => {
    expect(() => addBusinessSeconds(at('2026-11-23T09:00:00Z'), -1, berlin)).toThrow(RangeError);
    const everyDayClosed: DayClosures = { get: () => 0, has: () => true } as unknown as DayClosures;
    const noBusinessTime: BusinessCalendar = {
      ...berlin,
      workingDays: [1],
      closuresIn: () => everyDayClosed,
    };
    expect(() => addBusinessSeconds(at('2026-11-23T09:00:00Z'), 1, noBusinessTime)).toThrow(
      /No business time within 1098 days/,
    );
  });
});

describe('businessSecondsBetween, isBusinessTime, nextBusinessOpening (examples)', () => {
  it('counts only open hours and gives 0 for an empty or reversed range', () => {
    // Friday 15:00 Berlin to Monday 11:00 Berlin: 2 h + 2 h.
    expect(businessSecondsBetween(at('2026-11-27T14:00:00Z'), at('2026-11-30T10:00:00Z'), berlin)).toBe(
      4 * hour,
    );
    expect(businessSecondsBetween(at('2026-11-30T10:00:00Z'), at('2026-11-27T14:00:00Z'), berlin)).toBe(0);
    expect(businessSecondsBetween(at('2026-11-28T10:00:00Z'), at('2026-11-29T10:00:00Z'), berlin)).toBe(0);
  });

  it('opens at 09:00 and closes at 17:00 local time (closing instant excluded)', () => {
    expect(isBusinessTime(at('2026-11-23T07:59:59.999Z'), berlin)).toBe(false);
    expect(isBusinessTime(at('2026-11-23T08:00:00Z'), berlin)).toBe(true);
    expect(isBusinessTime(at('2026-11-23T16:00:00Z'), berlin)).toBe(false);
    expect(isBusinessTime(at('2026-12-24T12:59:59.999Z'), berlin)).toBe(true);
    expect(isBusinessTime(at('2026-12-24T13:00:00Z'), berlin)).toBe(false);
    expect(isBusinessTime(at('2026-12-25T10:00:00Z'), berlin)).toBe(false);
    expect(nextBusinessOpening(at('2026-11-23T10:00:00Z'), berlin).toISOString()).toBe(
      '2026-11-23T10:00:00.000Z',
    );
    expect(nextBusinessOpening(at('2026-12-24T13:00:00Z'), berlin).toISOString()).toBe(
      '2026-12-28T08:00:00.000Z',
    );
  });
});

// --- Properties --------------------------------------------------------------------------------

const isoWeekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const localFormats = new Map<string, Intl.DateTimeFormat>();

/** An independent oracle: the local date, ISO weekday and minute of the day of an instant, via Intl. */
function localView(t: Date, timeZone: string) {
  let format = localFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    localFormats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(t).map((p) => [p.type, p.value]));
  return {
    date: `${part.year}-${part.month}-${part.day}`,
    weekday: isoWeekdays[part.weekday ?? ''],
    minute: Number(part.hour) * 60 + Number(part.minute),
  };
}

const minuteOf = (clock: string) => {
  const [h = 0, m = 0] = clock.split(':').map(Number);
  return h * 60 + m;
};

/** The oracle for business time: local weekday, date and minute against the calendar's plain data. */
function isOpenLocally(t: Date, calendar: BusinessCalendar): boolean {
  const local = localView(t, calendar.timeZone);
  const closesAt = Math.min(
    minuteOf(calendar.workingHours.end),
    calendar.closuresIn(Number(local.date.slice(0, 4))).get(local.date) ?? Number.POSITIVE_INFINITY,
  );
  return (
    calendar.workingDays.includes(local.weekday ?? 0) &&
    local.minute >= minuteOf(calendar.workingHours.start) &&
    local.minute < closesAt
  );
}

const clock = (quarterHours: number) =>
  `${String(Math.floor(quarterHours / 4)).padStart(2, '0')}:${String((quarterHours % 4) * 15).padStart(2, '0')}`;

/** DST changes of 2026 in the zones below (UTC instants), around which instants are concentrated. */
const dstChanges = [
  '2026-03-08T05:00:00Z', // Havana
  '2026-03-08T07:00:00Z', // New York
  '2026-03-29T01:00:00Z', // Berlin
  '2026-04-04T15:00:00Z', // Lord Howe (30 minutes back)
  '2026-10-03T15:30:00Z', // Lord Howe (30 minutes forward)
  '2026-10-25T01:00:00Z', // Berlin
  '2026-11-01T05:00:00Z', // Havana
  '2026-11-01T06:00:00Z', // New York
].map(Date.parse);

/**
 * Instants in 2025-2028 or within four days of a DST change, either any millisecond or on a quarter
 * hour (to hit openings and closings exactly).
 */
const instant = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 11, 31) }),
      fc
        .tuple(fc.constantFrom(...dstChanges), fc.integer({ min: -4 * 86_400_000, max: 4 * 86_400_000 }))
        .map(([change, delta]) => change + delta),
    ),
    fc.boolean(),
  )
  .map(([ms, onQuarter]) => new Date(onQuarter ? ms - (ms % 900_000) : ms));

/**
 * Random calendars in zones with hour, half-hour and midnight DST changes (Lord Howe, Havana),
 * closed days and half days (closing on a quarter hour, possibly before opening) around the start. Hours start at 04:00 or later, after every DST change in these
 * zones, so that "local time within working hours" is an exact oracle for business time.
 */
const calendarNear = (start: Date) =>
  fc
    .record({
      timeZone: fc.constantFrom(
        'Europe/Berlin',
        'America/New_York',
        'UTC',
        'Asia/Kolkata',
        'Australia/Lord_Howe',
        'America/Havana',
      ),
      workingDays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
      hours: fc.uniqueArray(fc.integer({ min: 16, max: 96 }), { minLength: 2, maxLength: 2 }),
      holidayOffsets: fc.uniqueArray(fc.integer({ min: -1, max: 40 }), { maxLength: 12 }),
      halfDays: fc.array(fc.tuple(fc.integer({ min: -1, max: 40 }), fc.integer({ min: 0, max: 95 })), {
        maxLength: 6,
      }),
    })
    .map(({ timeZone, workingDays, hours, holidayOffsets, halfDays }): BusinessCalendar => {
      const dateAfter = (days: number) =>
        new Date(start.getTime() + days * 86_400_000).toISOString().slice(0, 10);
      return withClosures(
        {
          timeZone,
          workingDays,
          workingHours: { start: clock(Math.min(...hours)), end: clock(Math.max(...hours)) },
        },
        holidayOffsets.map(dateAfter),
        Object.fromEntries(halfDays.map(([days, quarter]) => [dateAfter(days), quarter * 15])),
      );
    });

const startAndCalendar = instant.chain((start) =>
  fc.tuple(fc.constant(start), fc.oneof(fc.constantFrom(berlin, utc247, newYork), calendarNear(start))),
);

/** Business seconds up to 10 of the calendar's working days. */
const budgetFor = (calendar: BusinessCalendar) => {
  const [startH = 0, startM = 0] = calendar.workingHours.start.split(':').map(Number);
  const [endH = 0, endM = 0] = calendar.workingHours.end.split(':').map(Number);
  return fc.integer({ min: 0, max: 10 * ((endH - startH) * 3600 + (endM - startM) * 60) });
};

const withBudgets = (count: number) =>
  startAndCalendar.chain(([start, calendar]) =>
    fc.tuple(
      fc.constant(start),
      fc.constant(calendar),
      fc.array(budgetFor(calendar), { minLength: count, maxLength: count }),
    ),
  );

describe('business calendar properties', () => {
  it('(a) counts back exactly the business seconds it added, from any start or from its next opening', () => {
    fc.assert(
      fc.property(withBudgets(1), ([start, calendar, [x = 0]]) => {
        const due = addBusinessSeconds(start, x, calendar);
        expect(businessSecondsBetween(start, due, calendar)).toBe(x);
        expect(businessSecondsBetween(nextBusinessOpening(start, calendar), due, calendar)).toBe(x);
        if (isBusinessTime(start, calendar)) expect(nextBusinessOpening(start, calendar)).toEqual(start);
      }),
      { numRuns: 1000 },
    );
  });

  it('(b) is monotonic: more business seconds never give an earlier instant, strictly later when more', () => {
    fc.assert(
      fc.property(withBudgets(2), ([start, calendar, [x1 = 0, x2 = 0]]) => {
        const [low, high] = x1 <= x2 ? [x1, x2] : [x2, x1];
        const a = addBusinessSeconds(start, low, calendar).getTime();
        const b = addBusinessSeconds(start, high, calendar).getTime();
        expect(a).toBeLessThanOrEqual(b);
        if (low < high) expect(a).toBeLessThan(b);
      }),
      { numRuns: 500 },
    );
  });

  it('(c) is additive for a positive second leg; a zero leg only moves a closing instant to the next opening', () => {
    fc.assert(
      fc.property(withBudgets(2), ([start, calendar, [a = 0, b = 0]]) => {
        const first = addBusinessSeconds(start, a, calendar);
        const twoLegs = addBusinessSeconds(first, b, calendar);
        if (b > 0) expect(twoLegs).toEqual(addBusinessSeconds(start, a + b, calendar));
        else expect(twoLegs).toEqual(nextBusinessOpening(first, calendar));
      }),
      { numRuns: 500 },
    );
  });

  it('(d) lands only in business time: on a working, unclosed local day within working hours, before an early close', () => {
    fc.assert(
      fc.property(withBudgets(1), ([start, calendar, [x = 0]]) => {
        const due = addBusinessSeconds(start, x, calendar);
        expect(due.getTime()).toBeGreaterThanOrEqual(start.getTime());
        // x > 0 may end exactly at a closing instant: the clock was running right up to it.
        const lastCounted = x > 0 ? new Date(due.getTime() - 1) : due;
        expect(isBusinessTime(lastCounted, calendar)).toBe(true);
        expect(isOpenLocally(lastCounted, calendar)).toBe(true);
        if (x === 0) expect(due).toEqual(nextBusinessOpening(start, calendar));
      }),
      { numRuns: 1000 },
    );
  });

  it('(e) equals wall-clock addition on the 24/7 UTC calendar', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 30 * 86_400 }), (start, x) => {
        const due = addBusinessSeconds(start, x, utc247);
        expect(due.getTime()).toBe(start.getTime() + x * 1000);
        expect(businessSecondsBetween(start, due, utc247)).toBe(x);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with local wall-clock time: business time is a working, unclosed date within its hours', () => {
    fc.assert(
      fc.property(startAndCalendar, ([t, calendar]) => {
        expect(isBusinessTime(t, calendar)).toBe(isOpenLocally(t, calendar));
        // Nothing counts before the next opening, and the clock runs from it.
        const opening = nextBusinessOpening(t, calendar);
        expect(businessSecondsBetween(t, opening, calendar)).toBe(0);
        expect(isBusinessTime(opening, calendar)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('splits a range anywhere: between(a, c) = between(a, b) + between(b, c)', () => {
    fc.assert(
      fc.property(
        startAndCalendar,
        fc.integer({ min: 0, max: 20 * 86_400_000 }),
        fc.integer({ min: 0, max: 20 * 86_400_000 }),
        ([a, calendar], d1, d2) => {
          const b = new Date(a.getTime() + d1);
          const c = new Date(b.getTime() + d2);
          const whole = businessSecondsBetween(a, c, calendar) * 1000;
          const parts =
            businessSecondsBetween(a, b, calendar) * 1000 + businessSecondsBetween(b, c, calendar) * 1000;
          expect(Math.round(parts)).toBe(Math.round(whole));
        },
      ),
      { numRuns: 500 },
    );
  });
});
