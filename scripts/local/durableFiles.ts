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
  await ensureDirectory(dir);
  const temp = join(dir, `.${randomUUID()}.tmp`);
  try {
    const file = await open(temp, 'wx').catch(async (error: NodeJS.ErrnoException) => {
      // The folder was removed since this process made it: make it again.
      if (error.code !== 'ENOENT') throw error;
      knownDirectories.delete(dir);
      await ensureDirectory(dir);
      return open(temp, 'wx');
    });
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
  await ensureDirectory(dirname(to));
  await rename(from, to).catch(async (error: NodeJS.ErrnoException) => {
    // The target folder was removed since this process made it: make it again (a missing `from` fails again).
    if (error.code !== 'ENOENT') throw error;
    knownDirectories.delete(dirname(to));
    await ensureDirectory(dirname(to));
    await rename(from, to);
  });
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

/** What `operation` gives, or `missing` when it fails because its file or folder does not exist. */
export function unlessMissing<T, M>(operation: Promise<T>, missing: M): Promise<T | M> {
  return operation.catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return missing;
    throw error;
  });
}

/** The complete JSON records (`*.json`, no leftover of an interrupted write) in `dir`; none if it is absent. */
export async function readJsonRecords<T>(dir: string): Promise<T[]> {
  const names = await unlessMissing(readdir(dir), []);
  return Promise.all(
    names
      .filter((name) => name.endsWith('.json') && !isTemporaryFile(name))
      .map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8')) as T),
  );
}

/** Folders this process has made or found: one `mkdir` per folder, not one per write. */
const knownDirectories = new Set<string>();

async function ensureDirectory(dir: string): Promise<void> {
  if (knownDirectories.has(dir)) return;
  await mkdir(dir, { recursive: true });
  knownDirectories.add(dir);
}

/** Per folder: a flush queued and not begun yet (callers join it), and the last one queued. */
const directoryFlushes = new Map<string, { queued?: Promise<void>; last: Promise<void> }>();

/**
 * Makes the entries created, renamed or deleted in `dir` so far durable: they are durable only once
 * the folder itself is flushed. A flush covers every entry changed before it begins, so callers
 * arriving while one runs share the next one, which begins when it ends (a group commit: one fsync of
 * the folder for all the writes that finished meanwhile, instead of one each).
 */
function syncDirectory(dir: string): Promise<void> {
  const flushes = directoryFlushes.get(dir) ?? { last: Promise.resolve() };
  directoryFlushes.set(dir, flushes);
  if (flushes.queued) return flushes.queued;
  const flush = flushes.last
    .catch(() => undefined)
    .then(() => {
      flushes.queued = undefined;
      return flushDirectory(dir);
    });
  flushes.queued = flush;
  flushes.last = flush;
  return flush;
}

async function flushDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
