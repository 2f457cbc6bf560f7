import { link, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A start failure whose message is the one line a person needs (no stack trace worth printing). */
export class LocalStartError extends Error {
  override name = 'LocalStartError';
}

/**
 * Takes the data folder for this process: a lock file created only if absent (`link` fails on an
 * existing name, and the file it links holds the pid before it becomes visible). A lock whose process is
 * gone (`kill -9`, a crash) is stale and taken over. Returns whether it was, and the release.
 */
export async function lockDataDir(dataDir: string): Promise<{ stale: boolean; release(): Promise<void> }> {
  await mkdir(dataDir, { recursive: true });
  const lock = join(dataDir, 'stack.lock');
  const mine = `${lock}.${process.pid}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    for (let stale = false; ; stale = true) {
      try {
        await link(mine, lock);
        return { stale, release: () => rm(lock, { force: true }) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
      if (processAlive(holder)) {
        throw new LocalStartError(
          `The data folder ${dataDir} is in use by another local stack (pid ${holder}); stop it first, or use another COMPLAINTS_DATA_DIR.`,
        );
      }
      await rm(lock, { force: true });
    }
  } finally {
    await unlink(mine);
  }
}

/** Signal 0 checks existence only; EPERM means it exists under another user. */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
