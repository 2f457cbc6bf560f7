import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

// The endpoint runs in a child process (test/support/stepFunctionsChild.ts) that is killed with SIGKILL,
// by the test or by itself at a named crash point (LOCAL_CRASH_AT), then started again on the same folder.
const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Crashy';
const childScript = fileURLToPath(new URL('../support/stepFunctionsChild.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'local-sfn-crash-'));
const dataDir = join(root, 'executions');
const logFile = join(root, 'invocations.jsonl');

interface Child {
  sfn: SFNClient;
  /** When it started serving, epoch ms (it resumed its executions just before). */
  servingSince: number;
  process: ChildProcess;
  exited: Promise<NodeJS.Signals | null>;
}

const children = new Set<Child>();

/** Starts the endpoint in a child process (one node process: SIGKILL reaches the endpoint itself). */
async function startChild(crashAt = ''): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_FILE: logFile,
      STATE_MACHINE_ARN: stateMachineArn,
      LOCAL_CRASH_AT: crashAt,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { endpoint: string }).endpoint));
    exited.then((signal) => reject(new Error(`the endpoint process ended (${signal}) before serving`)));
  });
  const started = {
    servingSince: Date.now(),
    process: child,
    exited,
    sfn: new SFNClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // A killed endpoint must fail the call, not be retried against the next one.
      maxAttempts: 1,
    }),
  };
  children.add(started);
  return started;
}

async function kill(child: Child): Promise<void> {
  child.process.kill('SIGKILL');
  expect(await child.exited).toBe('SIGKILL');
  child.sfn.destroy();
  children.delete(child);
}

/** The function invocations of one execution, from the log that outlives the processes. */
function invocations(id: string): { fn: string; at: number; event: { taskToken?: string } }[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.event.id === id);
}

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const executionArn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:Crashy:${name}`;

async function start(child: Child, input: { id: string } & Record<string, unknown>) {
  await child.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: input.id, input: JSON.stringify(input) }),
  );
}

const finished = (child: Child, id: string, status: ExecutionStatus = 'SUCCEEDED') =>
  eventually(async () => {
    const execution = await child.sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(id) }));
    return execution.status === status ? execution : undefined;
  });

async function history(child: Child, id: string): Promise<HistoryEvent[]> {
  const { events = [] } = await child.sfn.send(
    new GetExecutionHistoryCommand({ executionArn: executionArn(id), maxResults: 1000 }),
  );
  return events;
}

/** When the first event of `type` happened, epoch ms. */
function at(events: HistoryEvent[], type: string): number {
  const event = events.find((candidate) => candidate.type === type);
  if (!event?.timestamp) throw new Error(`no ${type} event`);
  return event.timestamp.getTime();
}

/**
 * A clock that survived the restart ends at its original time, or (if the restart took longer) as soon
 * as the endpoint is back; a clock started over would end its full duration after the restart.
 */
function endsAtOriginalTime(originalEnd: number, ended: number, restartedAt: number): void {
  expect(ended).toBeGreaterThanOrEqual(originalEnd - 50);
  expect(ended).toBeLessThan(Math.max(originalEnd, restartedAt) + 1000);
}

// Each test starts the endpoint process twice; on a busy machine one start takes seconds.
describe('local Step Functions endpoint killed with SIGKILL', { timeout: 120_000 }, () => {
  afterEach(async () => {
    for (const child of children) await kill(child);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps an execution whose StartExecution was answered, and answers a repeated start as AWS does', async () => {
    const first = await startChild();
    const input = { id: 'started', mode: 'callback', awaitSeconds: 60, waitSeconds: 0 };
    const { startDate } = await first.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'started', input: JSON.stringify(input) }),
    );
    await kill(first);

    const second = await startChild();
    const again = await second.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'started', input: JSON.stringify(input) }),
    );
    expect(again).toMatchObject({ executionArn: executionArn('started'), startDate });
    await expect(
      second.sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: 'started',
          input: JSON.stringify({ ...input, x: 1 }),
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const token = await eventually(() => invocations('started').at(-1)?.event.taskToken);
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await finished(second, 'started');
  });

  it('continues after a SendTaskSuccess that was answered, with its output, never waiting on the task again', async () => {
    const first = await startChild('sfn.afterTaskSuccess');
    await start(first, { id: 'answered', mode: 'callback', awaitSeconds: 60, waitSeconds: 0 });
    const token = await eventually(
      () => invocations('answered').find((i) => i.fn === 'notify')?.event.taskToken,
    );

    // Answered 200, then the process kills itself before the next state runs.
    await first.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    expect(await first.exited).toBe('SIGKILL');
    children.delete(first);
    expect(invocations('answered').map((i) => i.fn)).toEqual(['notify']);

    const second = await startChild();
    const done = await finished(second, 'answered');
    expect(JSON.parse(done.output as string)).toMatchObject({ decision: { approved: true }, finished: true });
    expect(invocations('answered').map((i) => i.fn)).toEqual(['notify', 'finish']);
    const types = (await history(second, 'answered')).map((event) => event.type);
    expect(types.filter((type) => type === 'TaskSucceeded')).toHaveLength(2);
    expect(types.filter((type) => type === 'TaskStateEntered')).toHaveLength(2);
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('keeps a waiting callback task on the same token, its timeout counted from the original start', async () => {
    const first = await startChild();
    await start(first, { id: 'waiting', mode: 'callback', awaitSeconds: 60, waitSeconds: 0 });
    await start(first, { id: 'timing', mode: 'callback', awaitSeconds: 4, waitSeconds: 0 });
    const token = await eventually(
      () => invocations('waiting').find((i) => i.fn === 'notify')?.event.taskToken,
    );
    await eventually(() => invocations('timing').find((i) => i.fn === 'notify'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await kill(first);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const second = await startChild();
    const restartedAt = second.servingSince;
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    const done = await finished(second, 'waiting');
    expect(JSON.parse(done.output as string).decision).toEqual({ approved: true });
    // The function had the token: it is not invoked again.
    expect(invocations('waiting').map((i) => i.fn)).toEqual(['notify', 'finish']);

    const timedOut = await finished(second, 'timing');
    expect(JSON.parse(timedOut.output as string).timeout.Error).toBe('States.Timeout');
    const events = await history(second, 'timing');
    endsAtOriginalTime(at(events, 'TaskStarted') + 4000, at(events, 'TaskTimedOut'), restartedAt);
    expect(invocations('timing').map((i) => i.fn)).toEqual(['notify', 'finish']);
  });

  it('ends an interrupted Wait at its original end time', async () => {
    const first = await startChild();
    await start(first, { id: 'pause', mode: 'wait', waitSeconds: 4 });
    const events = await eventually(async () => {
      const sofar = await history(first, 'pause');
      return sofar.some((event) => event.type === 'WaitStateEntered') ? sofar : undefined;
    });
    const waitStarted = at(events, 'WaitStateEntered');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await kill(first);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const second = await startChild();
    await finished(second, 'pause');
    const after = await history(second, 'pause');
    endsAtOriginalTime(waitStarted + 4000, at(after, 'WaitStateExited'), second.servingSince);
    expect(after.filter((event) => event.type === 'WaitStateEntered')).toHaveLength(1);
  });

  it('runs a Lambda task that was running again, with the retries it had used', async () => {
    const first = await startChild();
    // Always fails after 2 s; Retry allows 2 retries 1 s apart. Killed during the third (last) attempt.
    await start(first, { id: 'slow', mode: 'slow', failures: 99 });
    await eventually(() => (invocations('slow').length === 3 ? true : undefined));
    await kill(first);

    const second = await startChild();
    const failed = await finished(second, 'slow', 'FAILED');
    expect(failed.error).toBe('Flaky');
    // The interrupted attempt ran again (at least once, as Lambda) and, its retries used up, was not retried.
    expect(invocations('slow').map((i) => i.fn)).toEqual(['slow', 'slow', 'slow', 'slow']);
    const events = await history(second, 'slow');
    expect(events.filter((event) => event.type === 'TaskStateEntered')).toHaveLength(1);
  });
});
