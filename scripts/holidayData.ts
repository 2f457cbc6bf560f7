/**
 * Extracts the holiday rules of a few countries from date-holidays' worldwide data into
 * functions/core/holidayData.json, the only rules the Lambda bundles carry: the worldwide data adds
 * about 440 kB to every minified bundle, Germany 7 kB.
 *
 * Also extracts the time zones those rules name from moment-timezone's packed database into
 * functions/core/holidayTimeZones.json: the rules engine computes in the country's zone, and the
 * bundles carry moment-timezone without its database (733 kB; see lambdaBundling), Germany's zone
 * is 6 kB.
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

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('date-holidays/package.json'));
const momentTimezoneDir = dirname(require.resolve('moment-timezone/package.json'));
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

interface PackedTimeZones {
  version: string;
  /** `Name|abbreviations|offsets|indices|diffs|population`, one per zone. */
  zones: string[];
  /** `Target|Alias`, one per link. */
  links: string[];
}

/** The time zones the rules name (a country's, a state's or a region's `zones`). */
function referencedZones(node: unknown, found: Set<string>): Set<string> {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'zones' && Array.isArray(value)) for (const zone of value) found.add(String(zone));
      else referencedZones(value, found);
    }
  }
  return found;
}

const timeZoneDatabase = JSON.parse(
  readFileSync(join(momentTimezoneDir, 'data', 'packed', 'latest.json'), 'utf8'),
) as PackedTimeZones;
const packedZones = new Map(timeZoneDatabase.zones.map((packed) => [packed.split('|', 1)[0], packed]));
const zones = new Set<string>();
const links = new Set<string>();
for (const name of referencedZones(holidays, new Set())) {
  // A name may be a link (an alias) to another zone: keep the link and the zone it points to.
  const link = timeZoneDatabase.links.find((entry) => entry.endsWith(`|${name}`));
  const zone = link ? (link.split('|', 1)[0] as string) : name;
  if (!packedZones.has(zone)) throw new Error(`moment-timezone has no time zone "${name}"`);
  zones.add(zone);
  if (link) links.add(link);
}
const timeZones: PackedTimeZones = {
  version: timeZoneDatabase.version,
  zones: [...zones].sort().map((zone) => packedZones.get(zone) as string),
  links: [...links].sort(),
};

const targets = [
  [new URL('../functions/core/holidayData.json', import.meta.url), subset],
  [new URL('../functions/core/holidayTimeZones.json', import.meta.url), timeZones],
] as const;
for (const [target, data] of targets) {
  writeFileSync(target, `${JSON.stringify(data, null, 2)}\n`);
  // Formatted like the rest of the repository, so that `npm run lint` passes on the generated file.
  execFileSync('npx', ['biome', 'format', '--write', target.pathname], { stdio: 'inherit' });
}
console.log(
  `Wrote ${countries.join(', ')} (date-holidays data ${world.version}) and their time zones ` +
    `${[...zones, ...links].join(', ')} (tz ${timeZones.version}) to functions/core`,
);
