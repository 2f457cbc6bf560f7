import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const consoleDir = join(repo, 'console');

/**
 * The modules outside console/ that the console imports: one definition shared with the functions,
 * each free of imports, so that nothing of the server's reaches the browser (the build fails on any
 * other file from outside console/). Their content is part of the console's source hash.
 */
export const sharedSources = ['functions/core/text.ts'];

/**
 * Content hash of everything the console's build reads: its sources, the modules it shares with the
 * functions, the build scripts and the locked dependencies. The build is kept under it
 * (`console/dist/<hash>/`), and the deployed asset is fingerprinted with it (`AgentConsole`), so that a
 * change to any of them, a shared module's too, rebuilds and redeploys the console.
 */
export function consoleSourceHash(): string {
  const hash = createHash('sha256');
  const files = readdirSync(consoleDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !relative(consoleDir, join(e.parentPath, e.name)).startsWith('dist'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  const shared = sharedSources.map((file) => join(repo, file));
  const scripts = ['build.ts', 'sourceHash.ts'].map((file) => join(repo, 'scripts/console', file));
  for (const file of [...files, ...shared, ...scripts, join(repo, 'package-lock.json')]) {
    hash.update(relative(repo, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}
