import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Replaces `path` with `data` so that after a crash (process or machine) the file holds either its old
 * content or all of the new one: a temporary file is written and fsynced, renamed over `path`, and the
 * directory is fsynced so the rename itself survives.
 */
export async function writeDurably(path: string, data: string | Buffer): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomUUID()}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** Moves `from` to `to` and makes both directory entries durable. */
export async function moveDurably(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
  await syncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) await syncDirectory(dirname(from));
}

/** Deletes `path` (if present) and makes the deletion durable. */
export async function removeDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDirectory(dirname(path));
}

/** A leftover of a write interrupted by a crash: never a complete record. */
export function isTemporaryFile(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/** The complete JSON records (`*.json`, no leftover of an interrupted write) in `dir`; none if it is absent. */
export async function readJsonRecords<T>(dir: string): Promise<T[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return Promise.all(
    names
      .filter((name) => name.endsWith('.json') && !isTemporaryFile(name))
      .map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as T),
  );
}

// A created, renamed or deleted directory entry is durable only once the directory itself is flushed.
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
