import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SfnWorkflowClient } from '../../functions/adapters/workflowClient';
import { ConflictError } from '../../functions/core/errors';
import {
  type LocalLambdaHandler,
  type LocalStepFunctions,
  startLocalStepFunctions,
} from '../../scripts/local/stepFunctions/localStepFunctions';

const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Orders';
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const thirtyDays = 30 * 24 * 3600;

// Exercises the three Lambda task patterns, a callback timeout caught as States.Timeout, a named error
// retried then caught, Choice, Wait, Pass, Succeed and Fail.
const definition = {
  StartAt: 'Prepare',
  States: {
    Prepare: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: functionArn('prepare'), 'Payload.$': '$' },
      OutputPath: '$.Payload',
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.mode', StringEquals: 'callback', Next: 'AwaitDecision' },
        { Variable: '$.mode', StringEquals: 'busy', Next: 'Escalate' },
        { Variable: '$.mode', StringEquals: 'wait', Next: 'Pause' },
      ],
      Default: 'Rejected',
    },
    AwaitDecision: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: functionArn('notify'),
        Payload: { 'orderId.$': '$.orderId', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSecondsPath: '$.awaitSeconds',
      ResultPath: '$.decision',
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Escalate' },
        { ErrorEquals: ['CustomerWithdrew'], ResultPath: '$.failure', Next: 'Withdrawn' },
      ],
      Next: 'Decide',
    },
    Decide: {
      Type: 'Choice',
      Choices: [{ Variable: '$.decision.approved', BooleanEquals: true, Next: 'Approved' }],
      Default: 'Rejected',
    },
    Escalate: {
      Type: 'Task',
      Resource: functionArn('escalate'),
      Retry: [{ ErrorEquals: ['ComplaintBusyError'], IntervalSeconds: 1, MaxAttempts: 1 }],
      Catch: [{ ErrorEquals: ['ComplaintBusyError'], ResultPath: '$.busy', Next: 'StillBusy' }],
      Next: 'Approved',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'Approved' },
    StillBusy: { Type: 'Pass', End: true },
    Withdrawn: { Type: 'Pass', End: true },
    Approved: { Type: 'Succeed' },
    Rejected: { Type: 'Fail', Error: 'Rejected', Cause: 'The order was not approved' },
  },
};

class ComplaintBusyError extends Error {
  override name = 'ComplaintBusyError';
}

/** The test's stand-ins for the Lambda functions; `notify` keeps every task token it receives. */
function testLambdas() {
  const tokens = new Map<string, string[]>();
  const prepared: string[] = [];
  const escalations: string[] = [];
  const lambdas: Record<string, LocalLambdaHandler> = {
    [functionArn('prepare')]: async (event) => {
      prepared.push((event as { orderId: string }).orderId);
      return { ...(event as object), prepared: true };
    },
    [functionArn('notify')]: async (event) => {
      const { orderId, taskToken } = event as { orderId: string; taskToken: string };
      tokens.set(orderId, [...(tokens.get(orderId) ?? []), taskToken]);
      return { notified: orderId };
    },
    [functionArn('escalate')]: async (event) => {
      const { orderId, mode } = event as { orderId: string; mode: string };
      escalations.push(orderId);
      if (mode === 'busy') throw new ComplaintBusyError(`order ${orderId} is being edited`);
      return { ...(event as object), escalated: true };
    },
  };
  return { lambdas, tokens, prepared, escalations };
}

/** Polls `probe` until it returns a value, failing after `timeoutMs`. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function sfnClient(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('local Step Functions endpoint', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-sfn-'));
  const { lambdas, tokens, escalations } = testLambdas();
  let local: LocalStepFunctions;
  let sfn: SFNClient;

  beforeAll(async () => {
    local = await startLocalStepFunctions({ definition, stateMachineArn, lambdas, dataDir, port: 0 });
    sfn = sfnClient(local.endpoint);
  });
  afterAll(async () => {
    sfn?.destroy();
    await local?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (name: string, input: object) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  const describeExecution = (executionArn: string) =>
    sfn.send(new DescribeExecutionCommand({ executionArn }));
  const untilStatus = (executionArn: string, status: ExecutionStatus) =>
    eventually(async () => {
      const execution = await describeExecution(executionArn);
      return execution.status === status ? execution : undefined;
    });
  const tokenFor = (orderId: string, count = 1) =>
    eventually(async () => {
      const received = tokens.get(orderId) ?? [];
      return received.length >= count ? received[count - 1] : undefined;
    });
  const history = async (executionArn: string, reverseOrder = false) => {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 4, reverseOrder, nextToken }),
      );
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  };

  it('completes a callback task with SendTaskSuccess and records the AWS history', async () => {
    const { executionArn, startDate } = await start('approve-1', {
      orderId: 'o1',
      mode: 'callback',
      awaitSeconds: 60,
    });
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Orders:approve-1');
    expect(startDate).toBeInstanceOf(Date);
    const token = await tokenFor('o1');
    expect((await describeExecution(executionArn as string)).status).toBe('RUNNING');

    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }),
    );

    const done = await untilStatus(executionArn as string, 'SUCCEEDED');
    expect(done).toMatchObject({ name: 'approve-1', stateMachineArn, stopDate: expect.any(Date) });
    expect(JSON.parse(done.output as string)).toEqual({
      orderId: 'o1',
      mode: 'callback',
      awaitSeconds: 60,
      prepared: true,
      decision: { approved: true },
    });

    const events = await history(executionArn as string);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).toEqual(events.map((_, i) => i));
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect(events[1]?.stateEnteredEventDetails).toMatchObject({ name: 'Prepare' });
    expect(JSON.parse(events[1]?.stateEnteredEventDetails?.input as string)).toMatchObject({ orderId: 'o1' });
    // lambda:invoke returns Lambda's Invoke response; OutputPath $.Payload unwraps it, as in AWS.
    expect(JSON.parse(events[4]?.taskSucceededEventDetails?.output as string)).toMatchObject({
      StatusCode: 200,
      Payload: { orderId: 'o1', prepared: true },
    });
    expect(events[9]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      timeoutInSeconds: 60,
    });
    expect((await history(executionArn as string, true)).map((e) => e.id)).toEqual(
      events.map((e) => e.id).reverse(),
    );

    // The task is over: AWS answers TaskTimedOut to any further callback on its token.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('routes a SendTaskFailure to the Catch for its error name', async () => {
    const { executionArn } = await start('withdraw-1', { orderId: 'o2', mode: 'callback', awaitSeconds: 60 });
    const token = await tokenFor('o2');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'CustomerWithdrew', cause: 'changed mind' }),
    );

    const done = await untilStatus(executionArn as string, 'SUCCEEDED');
    expect(JSON.parse(done.output as string).failure).toEqual({
      Error: 'CustomerWithdrew',
      Cause: 'changed mind',
    });
    expect((await history(executionArn as string)).map((e) => e.type)).toContain('TaskFailed');
  });

  it('times a callback out via TimeoutSecondsPath into the States.Timeout Catch; the late token gets TaskTimedOut', async () => {
    const { executionArn } = await start('timeout-1', { orderId: 'o3', mode: 'callback', awaitSeconds: 1 });
    const token = await tokenFor('o3');

    const done = await untilStatus(executionArn as string, 'SUCCEEDED');
    const output = JSON.parse(done.output as string);
    expect(output.timeout.Error).toBe('States.Timeout');
    expect(output.escalated).toBe(true);
    const events = await history(executionArn as string);
    expect(events.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails?.error).toBe(
      'States.Timeout',
    );

    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it("tells a task another callback completed from one that timed out, both answered TaskTimedOut (the workflow client's received)", async () => {
    const workflow = new SfnWorkflowClient(stateMachineArn, sfn, 10);
    const since = new Date();
    const { executionArn } = await start('twin-1', { orderId: 'o9', mode: 'callback', awaitSeconds: 60 });
    const token = await tokenFor('o9');
    await workflow.succeed(token, { approved: true, decisionId: 'decision-1' });
    // The twin's callback is refused as a timed-out one would be: the history says which it was.
    await expect(workflow.succeed(token, { approved: true, decisionId: 'decision-1' })).rejects.toThrow(
      ConflictError,
    );
    await untilStatus(executionArn as string, 'SUCCEEDED');
    expect(await workflow.received('twin-1', 'decision-1', since)).toBe(true);
    expect(await workflow.received('twin-1', 'decision-2', since)).toBe(false);
    // Only what happened since the decision was accepted counts.
    expect(await workflow.received('twin-1', 'decision-1', new Date(Date.now() + 120_000))).toBe(false);
    expect(await workflow.received('timeout-1', 'decision-1', since)).toBe(false);
    expect(await workflow.received('never-started', 'decision-1', since)).toBe(false);
  });

  it('retries a named error thrown by a handler, then catches it', async () => {
    const { executionArn } = await start('busy-1', { orderId: 'o4', mode: 'busy' });

    const done = await untilStatus(executionArn as string, 'SUCCEEDED');
    expect(escalations.filter((id) => id === 'o4')).toHaveLength(2);
    const { busy } = JSON.parse(done.output as string);
    expect(busy.Error).toBe('ComplaintBusyError');
    // Lambda's error object travels in the Cause, as AWS reports a function error.
    expect(JSON.parse(busy.Cause)).toMatchObject({
      errorType: 'ComplaintBusyError',
      errorMessage: 'order o4 is being edited',
    });
    const types = (await history(executionArn as string)).map((e) => e.type);
    expect(types.filter((type) => type === 'LambdaFunctionFailed')).toHaveLength(2);
  });

  it('fails the execution in a Fail state', async () => {
    const { executionArn } = await start('reject-1', { orderId: 'o5', mode: 'other' });
    const done = await untilStatus(executionArn as string, 'FAILED');
    expect(done).toMatchObject({ error: 'Rejected', cause: 'The order was not approved' });
  });

  it('treats a repeated start with the same name and input as the same execution', async () => {
    const input = { orderId: 'o6', mode: 'callback', awaitSeconds: 60 };
    const first = await start('repeat-1', input);
    const again = await start('repeat-1', input);
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(start('repeat-1', { ...input, orderId: 'other' })).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
  });

  it('keeps a 30-day callback timeout open and stops the execution with StopExecution', async () => {
    const { executionArn } = await start('stop-1', {
      orderId: 'o7',
      mode: 'callback',
      awaitSeconds: thirtyDays,
    });
    const token = await tokenFor('o7');
    // Above 2^31-1 ms a bare setTimeout fires at once: the task must still be waiting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));

    const { stopDate } = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'customer cancelled' }),
    );
    expect(stopDate).toBeInstanceOf(Date);
    expect(await describeExecution(executionArn as string)).toMatchObject({
      status: 'ABORTED',
      error: 'Cancelled',
      cause: 'customer cancelled',
    });
    expect((await history(executionArn as string)).at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Cancelled', cause: 'customer cancelled' },
    });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('holds a 30-day Wait and lists executions by status', async () => {
    const { executionArn } = await start('wait-1', { orderId: 'o8', mode: 'wait', waitSeconds: thirtyDays });
    await eventually(async () =>
      (await history(executionArn as string)).some((e) => e.type === 'WaitStateEntered') ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await describeExecution(executionArn as string)).status).toBe('RUNNING');

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
    expect(running.executions?.map((e) => e.name)).toContain('wait-1');
    expect(running.executions?.every((e) => e.status === 'RUNNING')).toBe(true);
    const firstPage = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
    expect(firstPage.executions).toHaveLength(2);
    expect(firstPage.executions?.[0]?.name).toBe('wait-1');
    expect(firstPage.nextToken).toBeDefined();
    await sfn.send(new StopExecutionCommand({ executionArn }));
  });

  it('describes the state machine with the definition it was given', async () => {
    const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    expect(machine).toMatchObject({ name: 'Orders', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(machine.definition as string)).toEqual(definition);
  });

  it('answers unknown executions and tokens with the AWS errors', async () => {
    await expect(
      describeExecution('arn:aws:states:us-east-1:000000000000:execution:Orders:nope'),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'not a token', output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'A'.repeat(64), output: '{}' })),
    ).rejects.toBeInstanceOf(TaskDoesNotExist);
  });
});

describe('local Step Functions endpoint across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-sfn-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('resumes a RUNNING execution waiting for a callback on the same token, without invoking its function again', async () => {
    const before = testLambdas();
    const first = await startLocalStepFunctions({
      definition,
      stateMachineArn,
      lambdas: before.lambdas,
      dataDir,
    });
    const firstClient = sfnClient(first.endpoint);
    const input = JSON.stringify({ orderId: 'r1', mode: 'callback', awaitSeconds: 600 });
    const { executionArn } = await firstClient.send(
      new StartExecutionCommand({ stateMachineArn, name: 'restart-1', input }),
    );
    const token = await eventually(async () => before.tokens.get('r1')?.[0]);
    firstClient.destroy();
    await first.close();

    const after = testLambdas();
    const second = await startLocalStepFunctions({
      definition,
      stateMachineArn,
      lambdas: after.lambdas,
      dataDir,
    });
    const sfn = sfnClient(second.endpoint);
    try {
      await sfn.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }),
      );
      const done = await eventually(async () => {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return execution.status === 'SUCCEEDED' ? execution : undefined;
      });
      expect(JSON.parse(done.output as string).decision).toEqual({ approved: true });
      expect(done.startDate?.getTime()).toBeLessThan(done.stopDate?.getTime() as number);
      // The resumed run starts at the callback state, whose function had received the token already.
      expect(after.prepared).toEqual([]);
      expect(after.tokens.size).toBe(0);
      const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(events.map((e) => e.type)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'ChoiceStateEntered',
        'ChoiceStateExited',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'ChoiceStateEntered',
        'ChoiceStateExited',
        'SucceedStateEntered',
        'SucceedStateExited',
        'ExecutionSucceeded',
      ]);
    } finally {
      sfn.destroy();
      await second.close();
    }
  });
});

describe('local Step Functions endpoint parking waiting executions', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'local-sfn-park-'));
  // Parked after 20-40 ms of rest, so every wait below is parked before it ends.
  const options = { definition, stateMachineArn, dataDir, parkAfterMs: 20 };
  const executionArn = (name: string) =>
    `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const withEndpoint = async (
    lambdas: Record<string, LocalLambdaHandler>,
    use: (local: LocalStepFunctions, sfn: SFNClient) => Promise<void>,
  ) => {
    const local = await startLocalStepFunctions({ ...options, lambdas });
    const sfn = sfnClient(local.endpoint);
    try {
      await use(local, sfn);
    } finally {
      sfn.destroy();
      await local.close();
    }
  };
  const start = (sfn: SFNClient, name: string, input: object) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  const finished = (sfn: SFNClient, name: string) =>
    eventually(async () => {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(name) }));
      return execution.status === 'RUNNING' ? undefined : execution;
    });
  const parked = (local: LocalStepFunctions, name: string) =>
    eventually(async () => (local.isParked(name) ? true : undefined));

  it('resumes a parked callback task on its token: once for two concurrent callbacks, after a heartbeat', async () => {
    const test = testLambdas();
    await withEndpoint(test.lambdas, async (local, sfn) => {
      await start(sfn, 'park-callback', { orderId: 'p1', mode: 'callback', awaitSeconds: 600 });
      const token = await eventually(async () => test.tokens.get('p1')?.[0]);
      await parked(local, 'park-callback');
      // A parked execution is described and listed from what is kept of it.
      const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
      expect(running.executions?.map((e) => e.name)).toContain('park-callback');

      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      await parked(local, 'park-callback');
      const answers = await Promise.allSettled(
        ['first', 'second'].map((by) =>
          sfn.send(
            new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true, by }) }),
          ),
        ),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(answers.find((answer) => answer.status === 'rejected')?.reason).toBeInstanceOf(TaskTimedOut);

      // The answer that was accepted decided; the function ran once, before the execution was parked.
      const done = await finished(sfn, 'park-callback');
      expect(done.status).toBe('SUCCEEDED');
      const winner = answers[0]?.status === 'fulfilled' ? 'first' : 'second';
      expect(JSON.parse(done.output as string).decision).toEqual({ approved: true, by: winner });
      expect(test.prepared).toEqual(['p1']);
      expect(test.tokens.get('p1')).toHaveLength(1);
      const { events = [] } = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: executionArn('park-callback') }),
      );
      expect(events.filter((e) => e.type === 'TaskScheduled')).toHaveLength(2);
      expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    });
  });

  it('wakes parked executions when their wait ends: a callback timeout and a Wait state', async () => {
    const test = testLambdas();
    await withEndpoint(test.lambdas, async (local, sfn) => {
      await start(sfn, 'park-timeout', { orderId: 'p2', mode: 'callback', awaitSeconds: 1 });
      await start(sfn, 'park-wait', { orderId: 'p3', mode: 'wait', waitSeconds: 1 });
      await Promise.all([parked(local, 'park-timeout'), parked(local, 'park-wait')]);
      expect(local.pendingWait('park-wait')).toEqual({ stateName: 'Pause', until: expect.any(Number) });

      const timedOut = await finished(sfn, 'park-timeout');
      expect(timedOut.status).toBe('SUCCEEDED');
      expect(JSON.parse(timedOut.output as string).timeout.Error).toBe('States.Timeout');
      expect((await finished(sfn, 'park-wait')).status).toBe('SUCCEEDED');
      expect(test.escalations).toEqual(['p2']);
    });
  });

  it('keeps a parked execution across a restart; keeps closed ones on disk only, refusing their names', async () => {
    const before = testLambdas();
    await withEndpoint(before.lambdas, async (local, sfn) => {
      await start(sfn, 'park-restart', { orderId: 'p4', mode: 'callback', awaitSeconds: 600 });
      await start(sfn, 'park-stop', { orderId: 'p5', mode: 'callback', awaitSeconds: 600 });
      await Promise.all([parked(local, 'park-restart'), parked(local, 'park-stop')]);
    });
    const token = before.tokens.get('p4')?.[0] as string;

    const after = testLambdas();
    await withEndpoint(after.lambdas, async (local, sfn) => {
      await parked(local, 'park-restart');
      await sfn.send(new StopExecutionCommand({ executionArn: executionArn('park-stop') }));
      expect((await finished(sfn, 'park-stop')).status).toBe('ABORTED');
      await sfn.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }),
      );
      expect((await finished(sfn, 'park-restart')).status).toBe('SUCCEEDED');
      expect(after.tokens.size).toBe(0);
      expect(after.prepared).toEqual([]);
    });

    // A crash between a close's two steps (closed file written, open file not yet removed): the
    // closed file wins.
    const closed = JSON.parse(readFileSync(join(dataDir, 'closed', 'park-restart.json'), 'utf8'));
    writeFileSync(
      join(dataDir, 'park-restart.jsonl'),
      `${JSON.stringify({ record: { ...closed, status: 'RUNNING' } })}\n`,
    );

    await withEndpoint(testLambdas().lambdas, async (_, sfn) => {
      expect(existsSync(join(dataDir, 'park-restart.jsonl'))).toBe(false);
      await expect(
        start(sfn, 'park-restart', { orderId: 'p4', mode: 'callback', awaitSeconds: 600 }),
      ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
      const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
      expect(Object.fromEntries((listed.executions ?? []).map((e) => [e.name, e.status]))).toMatchObject({
        'park-restart': 'SUCCEEDED',
        'park-stop': 'ABORTED',
      });
      const closed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }));
      expect(closed.executions).toEqual([]);
    });
  });
});
