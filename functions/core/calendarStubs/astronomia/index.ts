/**
 * Stands in for astronomia in the Lambda bundles (`lambdaBundling` aliases it here). The holiday rules
 * engine imports astronomia for equinox and Julian-calendar rules only (date-chinese, for Chinese
 * calendar rules, has its own stand-in), which none of the bundled countries' rules use, and it costs
 * 165 kB of every bundle. Importing the engine must still work (its equinox module builds a `Planet`
 * when it is loaded); computing anything throws, so rules that need astronomia fail loudly instead of
 * yielding wrong dates. test/infra/bundle.test.ts checks that
 * the bundled holidays equal the ones computed from the sources.
 */

function notBundled(): never {
  throw new Error(
    'astronomia is not bundled: equinox and Julian-calendar holiday rules are unavailable in the Lambda bundles',
  );
}

class NotBundled {
  constructor() {
    notBundled();
  }
}

/** Built when the engine is loaded and only read by the solstice functions, which throw. */
class Planet {}

export const julian = { Calendar: NotBundled, CalendarJulian: NotBundled };
export const solstice = {
  march2: notBundled,
  june2: notBundled,
  september2: notBundled,
  december2: notBundled,
};
export const planetposition = { Planet };
