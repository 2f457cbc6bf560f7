import { createRequire } from 'node:module';
import Holidays from 'date-holidays';

import {
  type ClosingHolidayType,
  closingHolidayTypes,
  type HolidayArea,
  type HolidayCalendarData,
  type HolidayEntries,
  holidayEntries,
} from '../functions/core/holidays';

const MINUTES_PER_DAY = 1440;
const MS_PER_MINUTE = 60_000;

/** The closures one kind of holiday causes in a year: ISO date → minute the business closes at. */
type Closures = Map<string, number>;

/**
 * The closures a year's holidays cause: ISO date → minute of the day at which the business closes
 * (0: the whole day). date-holidays writes a holiday that starts in the afternoon as e.g.
 * `2026-12-24 14:00:00` (a half day: closed from 14:00) and a multi-day holiday as one entry with a
 * longer span; every further day it spans is closed all day.
 */
function closuresOfYear(holidays: Holidays, year: number): Closures {
  const closures: Closures = new Map();
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

const clock = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/**
 * Every closure of one holiday type in one area over the years, as entries: `YYYY-MM-DD` (closed all
 * day) or `YYYY-MM-DD HH:mm` (closed from then). A holiday of the year before the first that runs past
 * New Year is included.
 */
function entriesOf(path: string[], type: ClosingHolidayType, years: HolidayCalendarData['years']): string[] {
  const [country, state, region] = path;
  const holidays = new Holidays(country as string, state as string, region as string, { types: [type] });
  const evaluated = new Map<number, Closures>();
  const evaluate = (year: number) => {
    const closures = evaluated.get(year) ?? closuresOfYear(holidays, year);
    evaluated.set(year, closures);
    return closures;
  };
  const closures: Closures = new Map();
  for (let year = years.from; year <= years.to; year++) {
    for (const [date, minute] of [...evaluate(year - 1), ...evaluate(year)]) {
      if (date.startsWith(`${year}-`))
        closures.set(date, Math.min(closures.get(date) ?? MINUTES_PER_DAY, minute));
    }
  }
  return [...closures]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, minute]) => (minute === 0 ? date : `${date} ${clock(minute)}`));
}

/** An area's closures by type, as entries (`YYYY-MM-DD`, `YYYY-MM-DD HH:mm`) in date order. */
type ClosureEntries = Partial<Record<ClosingHolidayType, string[]>>;

/**
 * Entries as the year groups the calendar holds ({@link HolidayEntries}): a day closed alike in every
 * year of the span once, under `*`, every other under its year. Read back, they must give the same
 * entries in the same order, or nothing is written.
 */
function yearGroups(entries: string[], years: HolidayCalendarData['years']): string[] {
  const dayOf = (entry: string) =>
    entry.slice(5, 7) + entry.slice(8, 10) + (entry.length > 10 ? `@${entry.slice(11)}` : '');
  const yearsOf = new Map<string, number>();
  for (const entry of entries) yearsOf.set(dayOf(entry), (yearsOf.get(dayOf(entry)) ?? 0) + 1);
  // An area closes a day at most once a year: a day listed as often as the span has years recurs.
  const yearly = (day: string) => yearsOf.get(day) === years.to - years.from + 1;
  const everyYear = [...yearsOf.keys()].filter(yearly).sort();
  const byYear = new Map<string, string[]>();
  for (const entry of entries) {
    const day = dayOf(entry);
    if (!yearly(day)) byYear.set(entry.slice(0, 4), [...(byYear.get(entry.slice(0, 4)) ?? []), day]);
  }
  const groups = [
    ...(everyYear.length > 0 ? [`* ${everyYear.join(' ')}`] : []),
    ...[...byYear].map(([year, days]) => `${year} ${days.join(' ')}`),
  ];
  if (holidayEntries(groups, years).join('\n') !== entries.join('\n'))
    throw new Error(`The year groups ${JSON.stringify(groups)} do not read back as ${entries.join(', ')}`);
  return groups;
}

/** The entries a child area adds to and removes from its parent's, per type (absent when none). */
function difference(
  parent: ClosureEntries,
  child: ClosureEntries,
  years: HolidayCalendarData['years'],
): Pick<HolidayArea, 'added' | 'removed'> {
  const added: HolidayEntries = {};
  const removed: HolidayEntries = {};
  for (const type of closingHolidayTypes) {
    const inParent = new Set(parent[type] ?? []);
    const inChild = new Set(child[type] ?? []);
    const more = [...inChild].filter((e) => !inParent.has(e));
    const fewer = [...inParent].filter((e) => !inChild.has(e));
    if (more.length > 0) added[type] = yearGroups(more, years);
    if (fewer.length > 0) removed[type] = yearGroups(fewer, years);
  }
  return {
    ...(Object.keys(added).length > 0 ? { added } : {}),
    ...(Object.keys(removed).length > 0 ? { removed } : {}),
  };
}

function areaOf(
  path: string[],
  parent: ClosureEntries,
  years: HolidayCalendarData['years'],
  subAreas: (path: string[]) => string[],
): HolidayArea {
  const own: ClosureEntries = {};
  for (const type of closingHolidayTypes) {
    const entries = entriesOf(path, type, years);
    if (entries.length > 0) own[type] = entries;
  }
  const children = subAreas(path);
  return {
    ...difference(parent, own, years),
    ...(children.length > 0
      ? {
          areas: Object.fromEntries(
            children.map((code) => [code, areaOf([...path, code], own, years, subAreas)]),
          ),
        }
      : {}),
  };
}

const dateHolidaysVersion = (
  createRequire(import.meta.url)('date-holidays/package.json') as { version: string }
).version;

/**
 * The public and bank holiday closures of `countries` (with every state and region date-holidays knows)
 * for `years`, as the data `functions/core/holidayCalendar.json` holds: each area lists the entries it
 * adds to or removes from its parent's (a state's from its country's), so the national holidays are
 * written once, each type's as year groups ({@link HolidayEntries}).
 */
export function resolveHolidayCalendar(
  countries: string[],
  years: HolidayCalendarData['years'],
): HolidayCalendarData {
  const catalogue = new Holidays();
  const subAreas = ([country, state, region]: string[]) =>
    region !== undefined
      ? []
      : Object.keys(
          (state === undefined
            ? catalogue.getStates(country as string)
            : catalogue.getRegions(country as string, state)) ?? {},
        );
  return {
    source: `date-holidays ${dateHolidaysVersion}`,
    years,
    countries: Object.fromEntries(
      countries.map((country) => {
        if (!catalogue.getCountries()[country]) throw new Error(`date-holidays has no country "${country}"`);
        return [country, areaOf([country], {}, years, subAreas)];
      }),
    ),
  };
}
