import { tzOffset } from '@date-fns/tz';

/**
 * Business time: SLA targets and follow-up delays only run during the working hours of working days
 * in the calendar's time zone, minus closed days (public holidays, company days off) and minus the
 * afternoons of half days. Pure functions over epoch milliseconds: closures arrive as plain data per
 * year through the calendar's `closuresIn`, resolved outside (see holidays.ts).
 *
 * A local calendar day is numbered like an epoch day (days since 1970-01-01 of the *local* date), so
 * a local wall-clock time is `day * DAY_MS + minutes * MINUTE_MS` "as if UTC"; the zone's offset turns
 * it into an instant. Each working day contributes one window `[open, close)` of instants, and every
 * function below walks those windows a day at a time, never a second or minute at a time.
 */

/**
 * Closed and shortened days of one local year: ISO date → minute of the day at which business closes
 * (0 closes the whole day, 720 closes at 12:00). Dates missing from the map are ordinary days.
 */
export type DayClosures = ReadonlyMap<string, number>;

/** A business calendar with its closures resolved into plain data. */
export interface BusinessCalendar {
  /** IANA time zone the working hours and closure dates are read in. */
  timeZone: string;
  /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
  workingDays: readonly number[];
  /** HH:mm, end exclusive; '24:00' runs to midnight. */
  workingHours: { start: string; end: string };
  /**
   * Every closure of a local year. Called once per year a computation walks into (so it should cache)
   * and must answer for any year, or throw: a year it cannot resolve must never pass for holiday-free.
   */
  closuresIn(year: number): DayClosures;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** A calendar without a single business window in this many days is misconfigured (e.g. all closed). */
const MAX_DAYS_WITHOUT_BUSINESS_TIME = 3 * 366;

/** One stretch of business time, as epoch ms: open inclusive, close exclusive. */
interface Window {
  open: number;
  close: number;
}

/** The calendar in the shape the day walk needs, parsed once per call. */
interface CompiledCalendar {
  timeZone: string;
  workingDays: ReadonlySet<number>;
  closuresIn: (year: number) => DayClosures;
  startMinute: number;
  endMinute: number;
}

function minutesOfDay(clock: string): number {
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  return hours * 60 + minutes;
}

function compile(calendar: BusinessCalendar): CompiledCalendar {
  return {
    timeZone: calendar.timeZone,
    workingDays: new Set(calendar.workingDays),
    // Bound, so that a resolver written as a class method keeps its `this`.
    closuresIn: (year) => calendar.closuresIn(year),
    startMinute: minutesOfDay(calendar.workingHours.start),
    // '24:00' becomes 1440 minutes, i.e. 00:00 of the next local day: no special case needed.
    endMinute: minutesOfDay(calendar.workingHours.end),
  };
}

/** ISO weekday (1 = Monday ... 7 = Sunday) of a local day number; day 0 (1970-01-01) was a Thursday. */
function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/**
 * The minute at which business ends on a local day: the working hours' end, earlier on a half day,
 * 0 on a closed or non-working day. The year's closures are fetched once per year of the walk.
 */
function closingMinute(day: number, cal: CompiledCalendar, closures: YearClosures): number {
  if (!cal.workingDays.has(isoWeekday(day))) return 0;
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
  const year = Number(date.slice(0, 4));
  if (closures.year !== year) {
    closures.year = year;
    closures.days = cal.closuresIn(year);
  }
  return Math.min(cal.endMinute, closures.days.get(date) ?? cal.endMinute);
}

/** The closures of the year the walk is in (a walk crosses a year boundary at most a few times). */
interface YearClosures {
  year: number;
  days: DayClosures;
}

/**
 * UTC offsets of one zone. The offset is sampled once per local day and reused by neighbouring days,
 * so the walk costs about one Intl lookup per day (~5 µs each, the main cost of the walk).
 */
class ZoneOffsets {
  readonly #samples = new Map<number, number>();

  constructor(readonly timeZone: string) {}

  /** Offset (ms, local minus UTC) in force at an instant. */
  at(instant: number): number {
    const minutes = tzOffset(this.timeZone, new Date(instant));
    if (Number.isNaN(minutes)) throw new RangeError(`Unknown time zone "${this.timeZone}"`);
    // Historical offsets can carry seconds (fractional minutes): keep them, at ms precision.
    return Math.round(minutes * 60) * 1000;
  }

  /**
   * Local day number of an instant. Where the samples around it agree there is no offset change near
   * it (the assumption of `instantOf`), so no Intl lookup is needed.
   */
  dayOf(instant: number): number {
    const utcDay = Math.floor(instant / DAY_MS);
    const before = this.#sample(utcDay - 1);
    const offset = before === this.#sample(utcDay + 2) ? before : this.at(instant);
    return Math.floor((instant + offset) / DAY_MS);
  }

  /**
   * The instant of a local wall-clock time. Like Temporal's 'compatible' disambiguation (and `Date`):
   * a time repeated when clocks fall back is its first occurrence; a time skipped when clocks spring
   * forward is read with the offset before the change, i.e. moved forward by the size of the gap.
   */
  instantOf(day: number, minute: number): number {
    const wall = day * DAY_MS + minute * MINUTE_MS;
    // Offsets never reach a day, so the day before and two days after bracket every instant of `day`.
    // Like Temporal's reference implementation, this assumes at most one offset change in between.
    const before = this.#sample(day - 1);
    const after = this.#sample(day + 2);
    if (before === after) return wall - before;
    const candidates = [wall - before, wall - after].filter((instant) => this.at(instant) === wall - instant);
    return candidates.length > 0 ? Math.min(...candidates) : wall - before;
  }

  #sample(day: number): number {
    let offset = this.#samples.get(day);
    if (offset === undefined) {
      offset = this.at(day * DAY_MS);
      this.#samples.set(day, offset);
    }
    return offset;
  }
}

/**
 * The offsets of each zone, kept across calls: a zone's offset on a given day never changes, and an SLA
 * clock is computed many times per complaint (a workload simulation computes millions).
 */
const offsetsByZone = new Map<string, ZoneOffsets>();

function zoneOffsets(timeZone: string): ZoneOffsets {
  let offsets = offsetsByZone.get(timeZone);
  if (!offsets) {
    offsets = new ZoneOffsets(timeZone);
    offsetsByZone.set(timeZone, offsets);
  }
  return offsets;
}

/**
 * The business windows that end after `from`, in order and without end, starting with the local day
 * of `from` (a window never outlasts its local day). Throws a RangeError when three years pass
 * without business time, so that callers can rely on the next window to exist.
 */
function* windowsAfter(from: number, calendar: BusinessCalendar): Generator<Window, never> {
  const offsets = zoneOffsets(calendar.timeZone);
  const windows = dayWindowsOf(calendar);
  // Compiled only when a day's window is not known yet (most calls find every day they walk).
  let cal: CompiledCalendar | undefined;
  let closures: YearClosures | undefined;
  let daysWithoutBusinessTime = 0;
  for (let day = offsets.dayOf(from); ; day++) {
    if (daysWithoutBusinessTime++ > MAX_DAYS_WITHOUT_BUSINESS_TIME) {
      throw new RangeError(
        `No business time within ${MAX_DAYS_WITHOUT_BUSINESS_TIME} days after ${new Date(from).toISOString()} ` +
          `in the ${calendar.timeZone} calendar: check its workingDays, workingHours, holidays and closures`,
      );
    }
    let window = windows.get(day);
    if (window === undefined) {
      cal ??= compile(calendar);
      closures ??= { year: Number.NaN, days: new Map() };
      window = dayWindow(day, cal, offsets, closures);
      windows.set(day, window);
    }
    if (window === null) continue;
    daysWithoutBusinessTime = 0;
    if (window.close > from) yield window;
  }
}

/** The business window of a local day, or null when the day has no business time. */
function dayWindow(
  day: number,
  cal: CompiledCalendar,
  offsets: ZoneOffsets,
  closures: YearClosures,
): Window | null {
  const endMinute = closingMinute(day, cal, closures);
  if (endMinute <= cal.startMinute) return null;
  const open = offsets.instantOf(day, cal.startMinute);
  // Hours that start inside a DST gap and end just after it map out of order: no business time then.
  const close = Math.max(offsets.instantOf(day, endMinute), open);
  return close === open ? null : { open, close };
}

/**
 * Each calendar's windows by local day, kept as long as the calendar object lives: a calendar's days
 * never change (its closures are resolved data), and the same few days are walked over and over.
 */
const dayWindowsByCalendar = new WeakMap<BusinessCalendar, Map<number, Window | null>>();

function dayWindowsOf(calendar: BusinessCalendar): Map<number, Window | null> {
  let windows = dayWindowsByCalendar.get(calendar);
  if (!windows) {
    windows = new Map();
    dayWindowsByCalendar.set(calendar, windows);
  }
  return windows;
}

/** True while the business clock runs: inside working hours of a working day, before any closure. */
export function isBusinessTime(t: Date, calendar: BusinessCalendar): boolean {
  return windowsAfter(t.getTime(), calendar).next().value.open <= t.getTime();
}

/**
 * The first business instant at or after `t`: `t` itself during business time, otherwise the next
 * opening. Throws a RangeError when the calendar has no business time within three years.
 */
export function nextBusinessOpening(t: Date, calendar: BusinessCalendar): Date {
  return new Date(Math.max(windowsAfter(t.getTime(), calendar).next().value.open, t.getTime()));
}

/**
 * The instant at which `seconds` of business time have elapsed after `start` (ms precision). Outside
 * business time the count starts at the next opening, so 0 seconds gives `nextBusinessOpening(start)`.
 * A budget that runs out exactly at closing time is due at the closing instant, not the next morning.
 */
export function addBusinessSeconds(start: Date, seconds: number, calendar: BusinessCalendar): Date {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`Business seconds must be a finite number >= 0, got ${seconds}`);
  }
  let remaining = Math.round(seconds * 1000);
  const windows = windowsAfter(start.getTime(), calendar);
  for (;;) {
    const { open, close } = windows.next().value;
    const from = Math.max(open, start.getTime());
    if (remaining <= close - from) return new Date(from + remaining);
    remaining -= close - from;
  }
}

/** Business seconds between two instants (ms precision); 0 when `to` is not after `from`. */
export function businessSecondsBetween(from: Date, to: Date, calendar: BusinessCalendar): number {
  const start = from.getTime();
  const end = to.getTime();
  if (end <= start) return 0;
  let elapsed = 0;
  for (const { open, close } of windowsAfter(start, calendar)) {
    if (open >= end) break;
    elapsed += Math.min(close, end) - Math.max(open, start);
  }
  return elapsed / 1000;
}
