/**
 * Resolves the public and bank holidays of the named countries (every state and region) into
 * functions/core/holidayCalendar.json, the dates the Lambda bundles carry instead of the rules engine:
 * for the year before the current one to ten years ahead. Run it again after upgrading date-holidays,
 * and before the span runs out (synth and cold start fail once it no longer holds the current and the
 * next year).
 *
 * Usage: npm run holidays:data -- DE AT
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolveHolidayCalendar } from './holidayCalendar';

const countries = process.argv.slice(2).map((c) => c.toUpperCase());
if (countries.length === 0) throw new Error('Name the countries to resolve, e.g. DE AT');

const year = new Date().getUTCFullYear();
const calendar = resolveHolidayCalendar(countries, { from: year - 1, to: year + 10 });
const target = new URL('../functions/core/holidayCalendar.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(calendar)}\n`);
// Formatted like the rest of the repository, so that `npm run lint` passes on the generated file.
execFileSync('npx', ['biome', 'format', '--write', target.pathname], { stdio: 'inherit' });
console.log(
  `Wrote the holidays of ${countries.join(', ')} for ${year - 1}-${year + 10} (${calendar.source})`,
);
