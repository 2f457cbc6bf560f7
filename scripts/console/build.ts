import { randomBytes } from 'node:crypto';
import { cp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { consoleSourceHash, sharedSources } from './sourceHash';

const consoleDir = fileURLToPath(new URL('../../console/', import.meta.url));
const defaultDist = join(consoleDir, 'dist');
const repo = fileURLToPath(new URL('../../', import.meta.url));

export interface ConsoleBuild {
  dir: string;
  /** Whether this call built it (false: the output was current). */
  built: boolean;
  /** index.html plus the script and style it loads, gzipped (what a first visit downloads). */
  firstLoadGzipBytes: number;
}

const gzipSize = async (file: string) => gzipSync(await readFile(file), { level: 9 }).length;

/**
 * Builds the agent console with esbuild (already the project's Lambda bundler): one minified ES module
 * and one stylesheet, named by content hash so a CDN may cache them for good, and an index.html that
 * loads them. The output is `console/dist/<hash of the sources>/`: `npm start`, the tests and `cdk synth`
 * build it on a fresh clone and reuse it after; builders running at once (parallel test files) each
 * build into a folder of their own and the first rename wins, so nobody serves a half-written build.
 */
export async function buildConsole(
  options: { force?: boolean; outDir?: string } = {},
): Promise<ConsoleBuild> {
  const hash = consoleSourceHash();
  const target = options.outDir ?? join(defaultDist, hash.slice(0, 16));
  const sizeFile = join(target, '.first-load-gzip-bytes');
  const known = await readFile(sizeFile, 'utf8').catch(() => '');
  if (!options.force && known) return { dir: target, built: false, firstLoadGzipBytes: Number(known) };

  const work = options.outDir ?? `${target}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await rm(work, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: join(consoleDir, 'src/main.tsx'), style: join(consoleDir, 'src/app.css') },
    outdir: join(work, 'assets'),
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome120', 'firefox121', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: join(consoleDir, 'tsconfig.json'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Packages aside (wherever node_modules resolves to), only the console's own files and the shared ones.
  const outside = Object.keys(result.metafile.inputs)
    .map((i) => relative(repo, resolve(i)))
    .filter((i) => !/(^|\/)node_modules\//.test(i))
    .filter((i) => !i.startsWith('console/') && !sharedSources.includes(i));
  if (outside.length > 0) {
    await rm(work, { recursive: true, force: true });
    throw new Error(
      `The console bundles ${outside.join(', ')} from outside console/: a module shared with the functions is listed in sharedSources (scripts/console/sourceHash.ts) and imports nothing, so that the build's hash covers it and no server code reaches the browser`,
    );
  }
  const outputs = Object.keys(result.metafile.outputs).map((o) => relative(work, resolve(o)));
  const script = outputs.find((o) => o.endsWith('.js')) as string;
  const style = outputs.find((o) => o.endsWith('.css')) as string;
  const html = (await readFile(join(consoleDir, 'index.html'), 'utf8'))
    .replace('/assets/app.css', `/${style}`)
    .replace('/assets/app.js', `/${script}`);
  await writeFile(join(work, 'index.html'), html);
  let size = 0;
  for (const file of ['index.html', script, style]) size += await gzipSize(join(work, file));
  await writeFile(join(work, '.first-load-gzip-bytes'), String(size));
  if (work !== target) {
    try {
      await rename(work, target);
      // Builds of earlier sources are not served any more.
      for (const old of await readdir(defaultDist)) {
        if (!target.endsWith(old) && !old.includes('.'))
          await rm(join(defaultDist, old), { recursive: true, force: true });
      }
    } catch {
      // Another builder renamed the same build into place first.
      await rm(work, { recursive: true, force: true });
    }
  }
  return { dir: target, built: true, firstLoadGzipBytes: size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const out = await buildConsole({ force: process.argv.includes('--force') });
  // `--out <dir>`: a copy of the build for the CDK asset (infra/constructs/AgentConsole.ts).
  const copyTo = process.argv[process.argv.indexOf('--out') + 1];
  if (process.argv.includes('--out') && copyTo) {
    await cp(out.dir, copyTo, { recursive: true, filter: (src) => !src.endsWith('.first-load-gzip-bytes') });
  }
  console.log(
    `console ${out.built ? 'built' : 'up to date'} in ${Math.round(performance.now() - started)} ms: ${out.dir}, first load ${(out.firstLoadGzipBytes / 1024).toFixed(1)} KB gzipped`,
  );
}
