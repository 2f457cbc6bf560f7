import type { DayClosures } from './businessCalendar';
import holidayCalendarJson from './holidayCalendar.json';

/**
 * Public holidays, resolved at build time from date-holidays' maintained rules (country, state and
 * region) into holidayCalendar.json by `npm run holidays:data` (scripts/holidayCalendar.ts), for a
 * bounded span of years. The bundles carry those dates only, not the rules engine (date-holidays with
 * moment and the time zone data: about 165 kB and 60 ms of import per bundle). A year outside the span
 * fails loudly (at synth and cold start for the current and next year, see {@link holidaySpanProblem})
 * rather than passing as a year without holidays.
 */

/**
 * The holiday types that close the business. `public`: statutory days off. `bank`: days banks and
 * most offices close, in Germany the afternoons of 24 and 31 December (from 14:00). The library's
 * `optional`, `school` and `observance` days are working days for a company and never close it.
 */
export const closingHolidayTypes = ['public', 'bank'] as const;
export type ClosingHolidayType = (typeof closingHolidayTypes)[number];

/** Where the public holidays come from: date-holidays' codes, e.g. Berlin is country DE, state BE. */
export interface HolidaySource {
  /** ISO 3166-1 alpha-2 country code, e.g. DE. */
  country: string;
  /** The library's state code within the country (ISO 3166-2 suffix), e.g. BE for Berlin, BY for Bavaria. */
  state?: string | undefined;
  /** The library's region code within the state, e.g. A (Augsburg) in DE-BY. */
  region?: string | undefined;
  /** Which holiday types close the business. */
  types: readonly ClosingHolidayType[];
}

/**
 * Closures by holiday type, each type's as year groups: `"2027 0326 0329"` closes 26 and 29 March 2027
 * all day, `"2027 1224@14:00"` closes 24 December 2027 from 14:00, and `"* 0101 1003"` closes 1 January
 * and 3 October in every year of the calendar's span. Why not full dates: the calendar is in every
 * bundle's cold start, and written so (a date that recurs every year once, the others under their year)
 * it is 3.4 KB instead of 8.2 for Germany. {@link holidayEntries} reads a type's groups back as full dates.
 */
export type HolidayEntries = Partial<Record<ClosingHolidayType, string[]>>;

/** A country, state or region: the closures it adds to and removes from its parent's, and its sub-areas. */
export interface HolidayArea {
  added?: HolidayEntries;
  removed?: HolidayEntries;
  /** States of a country, regions of a state, by date-holidays' code. */
  areas?: Record<string, HolidayArea>;
}

/** The resolved calendar (holidayCalendar.json). */
export interface HolidayCalendarData {
  /** The date-holidays release the dates were computed with. */
  source: string;
  /** The years resolved, both included. */
  years: { from: number; to: number };
  countries: Record<string, HolidayArea>;
}

const holidayCalendar: HolidayCalendarData = holidayCalendarJson;

/** The years whose public holidays are resolved, both included. */
export const holidayYears = holidayCalendar.years;

/** The countries whose holidays are resolved. */
export const bundledHolidayCountries: readonly string[] = Object.keys(holidayCalendar.countries);

const regenerate = `regenerate them with \`npm run holidays:data -- ${bundledHolidayCountries.join(' ')}\``;

/**
 * Why a calendar with public holidays cannot serve a deployment running in `year`: its SLA deadlines
 * reach into the next year, so the span must hold both. Undefined when it can.
 */
export function holidaySpanProblem(year: number): string | undefined {
  const { from, to } = holidayYears;
  return year >= from && year + 1 <= to
    ? undefined
    : `public holidays are resolved for ${from}-${to}, not for ${year} and ${year + 1}: ${regenerate}`;
}

const MINUTES_PER_DAY = 1440;

/**
 * Why a holiday source cannot be used, as `[key, message]` pairs (key relative to the source), or an
 * empty list. Unknown codes must be reported: a source that names no resolved area has no holidays.
 */
export function holidaySourceProblems(source: HolidaySource): [key: keyof HolidaySource, message: string][] {
  const { country, state, region } = source;
  const countryArea = holidayCalendar.countries[country];
  if (!countryArea) {
    return [
      [
        'country',
        `no holidays resolved for "${country}" (resolved: ${bundledHolidayCountries.join(', ')}); ` +
          `add it with \`npm run holidays:data -- ${[...bundledHolidayCountries, country].join(' ')}\``,
      ],
    ];
  }
  if (state === undefined) {
    return region === undefined ? [] : [['region', 'a region needs its state']];
  }
  const states = countryArea.areas ?? {};
  const stateArea = states[state];
  if (!stateArea) {
    return [['state', `unknown state "${state}" for ${country} (known: ${Object.keys(states).join(', ')})`]];
  }
  if (region === undefined) return [];
  const regions = stateArea.areas ?? {};
  return region in regions
    ? []
    : [
        [
          'region',
          `unknown region "${region}" for ${country}-${state}` +
            (Object.keys(regions).length > 0
              ? ` (known: ${Object.keys(regions).join(', ')})`
              : ' (it has none)'),
        ],
      ];
}

/**
 * The closures that year groups ({@link HolidayEntries}) stand for, in date order, as entries:
 * `YYYY-MM-DD` (closed all day) or `YYYY-MM-DD HH:mm` (closed from then on).
 */
export function holidayEntries(groups: readonly string[], years: HolidayCalendarData['years']): string[] {
  const every: string[] = [];
  const byYear = new Map<number, string[]>();
  for (const group of groups) {
    const [year, ...days] = group.split(' ') as [string, ...string[]];
    if (year === '*') every.push(...days);
    else byYear.set(Number(year), [...(byYear.get(Number(year)) ?? []), ...days]);
  }
  const entries: string[] = [];
  for (let year = years.from; year <= years.to; year++) {
    const days = [...every, ...(byYear.get(year) ?? [])].sort();
    for (const day of days) {
      const [monthDay, closesAt] = day.split('@') as [string, string?];
      const date = `${year}-${monthDay.slice(0, 2)}-${monthDay.slice(2)}`;
      entries.push(closesAt === undefined ? date : `${date} ${closesAt}`);
    }
  }
  return entries;
}

/** The closure entries of an area of the given types: its parents' with its own added and removed. */
function entriesOf(source: HolidaySource): string[] {
  const { country, state, region } = source;
  const countryArea = holidayCalendar.countries[country];
  const stateArea = state === undefined ? undefined : countryArea?.areas?.[state];
  const regionArea = region === undefined ? undefined : stateArea?.areas?.[region];
  const entries = new Set<string>();
  const listed = (groups: string[] | undefined) => holidayEntries(groups ?? [], holidayYears);
  for (const area of [countryArea, stateArea, regionArea]) {
    for (const type of source.types) {
      for (const entry of listed(area?.removed?.[type])) entries.delete(`${type} ${entry}`);
      for (const entry of listed(area?.added?.[type])) entries.add(`${type} ${entry}`);
    }
  }
  return [...entries].map((entry) => entry.slice(entry.indexOf(' ') + 1));
}

/**
 * A year → public-holiday closures function for a (validated) source: local date → minute of the day
 * at which the business closes (0: the whole day; a half day such as 24 December closes at 14:00). When
 * several holidays close the same date, the earliest closing wins. Each year is built once, from the
 * resolved dates; a year outside {@link holidayYears} throws.
 */
export function publicHolidayResolver(source: HolidaySource): (year: number) => DayClosures {
  const problems = holidaySourceProblems(source);
  if (problems.length > 0) throw new Error(problems.map(([key, message]) => `${key}: ${message}`).join('; '));
  const entries = entriesOf(source);
  const years = new Map<number, DayClosures>();
  return (year) => {
    let closures = years.get(year);
    if (!closures) {
      if (!Number.isInteger(year)) throw new RangeError(`Not a year: ${year}`);
      if (year < holidayYears.from || year > holidayYears.to) {
        throw new RangeError(
          `No public holidays resolved for ${year} (resolved: ${holidayYears.from}-${holidayYears.to}); ${regenerate}`,
        );
      }
      const prefix = `${year}-`;
      const days = new Map<string, number>();
      for (const entry of entries) {
        if (!entry.startsWith(prefix)) continue;
        const date = entry.slice(0, 10);
        const closesAt =
          entry.length > 10 ? Number(entry.slice(11, 13)) * 60 + Number(entry.slice(14, 16)) : 0;
        days.set(date, Math.min(days.get(date) ?? MINUTES_PER_DAY, closesAt));
      }
      closures = days;
      years.set(year, closures);
    }
    return closures;
  };
}
