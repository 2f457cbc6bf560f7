import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalEndpoints } from '../local/localStack';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A local stack (`npm start`) running in a child process of its own, in its own process group. */
export interface StackProcess {
  endpoints: LocalEndpoints;
  pid: number;
  /** Resolves when the process has exited, with its signal (`SIGKILL` after a kill or a crash point). */
  exited: Promise<NodeJS.Signals | number | null>;
  /** `kill -9` of the whole process group (the stack, DynamoDB Local's JVM, everything it started). */
  kill(): Promise<void>;
  /** A clean stop (SIGTERM), as Ctrl-C would. */
  stop(): Promise<void>;
  /** The last lines the process printed, for error reports. */
  output(): string;
}

export interface StackProcessOptions {
  dataDir: string;
  profile?: 'fast' | 'standard';
  /** Extra environment, e.g. `LOCAL_CRASH_AT`. */
  env?: Record<string, string>;
  /** How long the stack may take to come up. */
  startTimeoutMs?: number;
}

/**
 * Starts `scripts/start.ts` (what `npm start` runs) on `dataDir` with random free ports, on the same Node
 * binary as the caller, and waits for the endpoints file it writes once everything is up.
 */
export async function startStackProcess(options: StackProcessOptions): Promise<StackProcess> {
  const dataDir = resolve(options.dataDir);
  const endpointsFile = join(dataDir, 'endpoints.json');
  await rm(endpointsFile, { force: true });
  const ports = [
    'SMTP_PORT',
    'API_PORT',
    'MAILBOX_PORT',
    'DYNAMODB_PORT',
    'STEPFUNCTIONS_PORT',
    'CONSOLE_PORT',
    'EVENTS_PORT',
    'LAMBDA_PORT',
    'SNS_PORT',
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/start.ts')], {
    cwd: repoRoot,
    // Its own process group: `kill -9` of the group takes every process the stack started with it.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      COMPLAINTS_DATA_DIR: dataDir,
      COMPLAINTS_PROFILE: options.profile ?? 'fast',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ...Object.fromEntries(ports.map((p) => [p, '0'])),
      ...options.env,
    },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n'));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = exitOf(child);
  const pid = child.pid as number;
  const output = () => lines.join('\n');
  const endpoints = await waitForEndpoints(endpointsFile, exited, options.startTimeoutMs ?? 300_000).catch(
    async (e: unknown) => {
      killGroup(pid, 'SIGKILL');
      await exited;
      throw new Error(`${(e as Error).message}\n--- stack output ---\n${output()}`);
    },
  );
  return {
    endpoints,
    pid,
    exited,
    output,
    async kill() {
      killGroup(pid, 'SIGKILL');
      await exited;
    },
    async stop() {
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function exitOf(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  return new Promise((done) => child.once('exit', (code, signal) => done(signal ?? code)));
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function waitForEndpoints(
  file: string,
  exited: Promise<unknown>,
  timeoutMs: number,
): Promise<LocalEndpoints> {
  let gone = false;
  let exit: unknown;
  void exited.then((e) => {
    gone = true;
    exit = e;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the local stack exited (${String(exit)}) before it was up`);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as LocalEndpoints;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the local stack was not up within ${timeoutMs} ms`);
}
