import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { escapeRegExp } from '../functions/core/text';

/**
 * An esbuild plugin: where an SDK client imports its own `package.json` only to read `.version`, the
 * bundle gets `{ "version": ... }` instead of the whole manifest.
 *
 * Why: every client's `runtimeConfig.js` does `import packageInfo from "../package.json"` for the
 * version in its user agent. A default import of JSON bundles the whole object (esbuild cannot tell
 * which properties are read), so each function carried the DynamoDB client's manifest, 2.3 KB of
 * dependencies, scripts and repository links, in its cold start; the other clients' in their chunks.
 *
 * Narrow on purpose: only a default import of a `package.json` from the SDK's published ES modules, and
 * only when the importing module reads nothing of it but `<name>.version` (checked in its source on
 * every build). Any other use, e.g. a later SDK that also reads `.name`, gets the whole file as before.
 */
export const sdkPackageVersion: Plugin = {
  name: 'sdk-package-version',
  setup(build) {
    build.onResolve({ filter: packageJson }, async ({ path, importer, resolveDir, kind }) => {
      if (kind !== 'import-statement' || !sdkModule.test(importer)) return undefined;
      const source = await readFile(importer, 'utf8');
      if (!readsOnlyVersion(source, path)) return undefined;
      return { path: join(resolveDir, path), namespace };
    });
    build.onLoad({ filter: /.*/, namespace }, async ({ path }) => {
      const { version } = JSON.parse(await readFile(path, 'utf8')) as { version: unknown };
      if (typeof version !== 'string') throw new Error(`${path} has no version`);
      return { contents: JSON.stringify({ version }), loader: 'json' };
    });
  },
};

const namespace = 'sdk-package-version';
/** A relative import of a package's manifest (`../package.json`, `../../../package.json`). */
const packageJson = /^\.\.?\/(?:\.\.\/)*package\.json$/;
/** The SDK's ES modules (`dist-es`) of the AWS packages. */
const sdkModule = /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/].*\.js$/;

/** Whether `source` imports `spec` as a default import and uses that binding only as `<binding>.version`. */
function readsOnlyVersion(source: string, spec: string): boolean {
  const from = `from\\s*["']${escapeRegExp(spec)}["']`;
  const imports = [...source.matchAll(new RegExp(`^import\\s+([\\w$]+)\\s+${from}`, 'gm'))];
  if (imports.length !== 1) return false;
  const binding = (imports[0] as RegExpMatchArray)[1] as string;
  const word = escapeRegExp(binding);
  // Every occurrence of the name (as a whole identifier) but the import itself is a read of `.version`.
  const uses = source.match(new RegExp(`(?<![\\w$.])${word}(?![\\w$])`, 'g'))?.length ?? 0;
  const versionReads = source.match(new RegExp(`(?<![\\w$.])${word}\\.version(?![\\w$])`, 'g'))?.length ?? 0;
  return versionReads > 0 && uses === versionReads + 1;
}
