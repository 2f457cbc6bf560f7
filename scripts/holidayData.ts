/**
 * Extracts the holiday rules of a few countries from date-holidays' worldwide data into
 * functions/core/holidayData.json, the only rules the Lambda bundles carry: the worldwide data adds
 * about 440 kB to every minified bundle, Germany 7 kB.
 *
 * Usage: npm run holidays:data -- DE AT
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface WorldData {
  version: string;
  license: string;
  holidays: Record<string, unknown>;
  names: Record<string, unknown>;
}

const countries = process.argv.slice(2).map((c) => c.toUpperCase());
if (countries.length === 0) throw new Error('Name the countries to keep, e.g. DE AT');

const packageDir = dirname(createRequire(import.meta.url).resolve('date-holidays/package.json'));
const world = JSON.parse(readFileSync(join(packageDir, 'data', 'holidays.json'), 'utf8')) as WorldData;

/** The shared names (`_name` references) a country's rules use, so that the subset stays self-contained. */
function referencedNames(node: unknown, found: Set<string>): Set<string> {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '_name' && typeof value === 'string') found.add(value);
      else referencedNames(value, found);
    }
  }
  return found;
}

const holidays = Object.fromEntries(
  countries.map((country) => {
    const rules = world.holidays[country];
    if (!rules) throw new Error(`date-holidays has no country "${country}"`);
    return [country, rules];
  }),
);
/** Shared names carry dozens of translations: keep English and the kept countries' own languages. */
const languages = new Set([
  'en',
  ...Object.values(holidays).flatMap((rules) => (rules as { langs?: string[] }).langs ?? []),
]);
function inLanguages(entry: unknown): unknown {
  const { name, ...rest } = entry as { name?: Record<string, string> };
  if (!name) return entry;
  return { ...rest, name: Object.fromEntries(Object.entries(name).filter(([lang]) => languages.has(lang))) };
}

const names = [...referencedNames(holidays, new Set())].sort();
const subset: WorldData = {
  version: world.version,
  license: world.license,
  holidays,
  names: Object.fromEntries(
    names.flatMap((name) => (world.names[name] ? [[name, inLanguages(world.names[name])]] : [])),
  ),
};
const target = new URL('../functions/core/holidayData.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(subset, null, 2)}\n`);
// Formatted like the rest of the repository, so that `npm run lint` passes on the generated file.
execFileSync('npx', ['biome', 'format', '--write', target.pathname], { stdio: 'inherit' });
console.log(`Wrote ${countries.join(', ')} (date-holidays data ${world.version}) to ${target.pathname}`);
