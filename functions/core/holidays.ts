/// <reference path="../../node_modules/date-holidays-parser/types/index.d.ts" />
import HolidaysParser from 'date-holidays-parser';
import moment from 'moment-timezone';
import type { DayClosures } from './businessCalendar';
import holidayData from './holidayData.json';
import holidayTimeZones from './holidayTimeZones.json';

/**
 * Public holidays from date-holidays' maintained rules (country, state and region; any year), turned
 * into the plain per-year data the business-time functions read. Only the countries in
 * holidayData.json are bundled (see scripts/holidayData.ts): the worldwide rules would add about
 * 440 kB to every Lambda bundle.
 *
 * Computing a year is pure (rules in, dates out: no I/O, no clock) and happens at most once per year
 * and cold start: the resolver caches every year it was asked for.
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

/*
 * The rules engine computes holidays in the country's time zone with moment-timezone. The Lambda
 * bundles alias `moment-timezone` to its build without the zone database (733 kB, see lambdaBundling),
 * so the zones the bundled rules name are loaded here, before any holiday is computed. Run from the
 * sources (tests, local stack), `moment-timezone` is the full build and this reloads the same zones.
 */
moment.tz.load(holidayTimeZones);

const MINUTES_PER_DAY = 1440;
const MS_PER_MINUTE = 60_000;

/** date-holidays' own lists, used to name the valid codes in an error. */
const catalogue = new HolidaysParser(holidayData);

/** The countries whose rules are bundled. */
export const bundledHolidayCountries: readonly string[] = Object.keys(holidayData.holidays);

/**
 * Why a holiday source cannot be used, as `[key, message]` pairs (key relative to the source), or an
 * empty list. Unknown codes must be reported: the library silently falls back to the country's
 * national holidays for an unknown state and to no holidays at all for an unknown country.
 */
export function holidaySourceProblems(source: HolidaySource): [key: keyof HolidaySource, message: string][] {
  const { country, state, region } = source;
  if (!bundledHolidayCountries.includes(country)) {
    return [
      [
        'country',
        `no holiday rules bundled for "${country}" (bundled: ${bundledHolidayCountries.join(', ')}); ` +
          `add it with \`npm run holidays:data -- ${[...bundledHolidayCountries, country].join(' ')}\``,
      ],
    ];
  }
  if (state === undefined) {
    return region === undefined ? [] : [['region', 'a region needs its state']];
  }
  const states = catalogue.getStates(country) ?? {};
  if (!(state in states)) {
    return [['state', `unknown state "${state}" for ${country} (known: ${Object.keys(states).join(', ')})`]];
  }
  if (region === undefined) return [];
  const regions = catalogue.getRegions(country, state) ?? {};
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
 * The closures public holidays cause in one year: ISO date → minute of the day at which the business
 * closes (0: the whole day). date-holidays writes a holiday that starts in the afternoon as e.g.
 * `2026-12-24 14:00:00` (a half day: closed from 14:00) and a multi-day holiday as one entry with a
 * longer span; every further day it spans is closed all day.
 */
function holidayClosuresIn(holidays: HolidaysParser, year: number): Map<string, number> {
  const closures = new Map<string, number>();
  for (const holiday of holidays.getHolidays(year)) {
    const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})/.exec(holiday.date);
    if (!match) throw new Error(`date-holidays returned an unreadable date "${holiday.date}"`);
    const [, y, m, d, hh, mm] = match.map(Number) as [number, number, number, number, number, number];
    const startMinute = hh * 60 + mm;
    // The span in local minutes from midnight of the first day; rounding to whole days absorbs a DST shift.
    const spanMinutes = startMinute + (holiday.end.getTime() - holiday.start.getTime()) / MS_PER_MINUTE;
    const days = Math.max(1, Math.round(spanMinutes / MINUTES_PER_DAY));
    for (let i = 0; i < days; i++) {
      const date = new Date(Date.UTC(y, m - 1, d + i)).toISOString().slice(0, 10);
      const closesAt = i === 0 ? startMinute : 0;
      closures.set(date, Math.min(closures.get(date) ?? MINUTES_PER_DAY, closesAt));
    }
  }
  return closures;
}

/**
 * A year → public-holiday closures function for a (validated) source, caching each year it computes.
 * Years are computed on demand, so no year is ever missing; a holiday of the year before that runs
 * past New Year closes its days in January too.
 */
export function publicHolidayResolver(source: HolidaySource): (year: number) => DayClosures {
  const problems = holidaySourceProblems(source);
  if (problems.length > 0) throw new Error(problems.map(([key, message]) => `${key}: ${message}`).join('; '));
  const { country, state, region } = source;
  const holidays = new HolidaysParser(holidayData, { country, state, region }, { types: [...source.types] });
  // Each year's rules are evaluated once: a year's closures also need the year before (spill-over).
  const evaluated = new Map<number, Map<string, number>>();
  const evaluate = (year: number) => {
    let closures = evaluated.get(year);
    if (!closures) {
      closures = holidayClosuresIn(holidays, year);
      evaluated.set(year, closures);
    }
    return closures;
  };
  const years = new Map<number, DayClosures>();
  return (year) => {
    let closures = years.get(year);
    if (!closures) {
      if (!Number.isInteger(year)) throw new RangeError(`Not a year: ${year}`);
      const prefix = `${year}-`;
      const days = new Map<string, number>();
      for (const [date, minute] of [...evaluate(year - 1), ...evaluate(year)]) {
        if (date.startsWith(prefix)) days.set(date, Math.min(days.get(date) ?? MINUTES_PER_DAY, minute));
      }
      closures = days;
      years.set(year, closures);
    }
    return closures;
  };
}
