/**
 * A local Step Functions endpoint in a process of its own, so that a test can kill it with SIGKILL and
 * start it again on the same data folder. Prints `{"endpoint": ...}` on stdout once it serves. Every
 * invocation of a function is appended to `LOG_FILE` as a JSON line, which outlives the process.
 *
 * Environment: DATA_DIR, LOG_FILE, STATE_MACHINE_ARN, and optionally LOCAL_CRASH_AT (see scripts/local/crashPoints.ts).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalStepFunctions } from '../../scripts/local/stepFunctions/localStepFunctions';

const functionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

// Route by mode, wait for a callback (timeout from the input), pause, finish with a plain Lambda task.
const definition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.mode', StringEquals: 'wait', Next: 'Pause' },
        { Variable: '$.mode', StringEquals: 'slow', Next: 'Slow' },
      ],
      Default: 'Await',
    },
    Await: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: functionArn('notify'),
        Payload: { 'id.$': '$.id', 'taskToken.$': '$$.Task.Token' },
      },
      TimeoutSecondsPath: '$.awaitSeconds',
      ResultPath: '$.decision',
      Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Finish' }],
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'Finish' },
    Slow: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: functionArn('slow'), 'Payload.$': '$' },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 2 }],
      Next: 'Finish',
    },
    Finish: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: functionArn('finish'), 'Payload.$': '$' },
      OutputPath: '$.Payload',
      End: true,
    },
  },
};

class Flaky extends Error {
  override name = 'Flaky';
}

const logFile = process.env.LOG_FILE as string;
const log = (fn: string, event: unknown) =>
  appendFileSync(logFile, `${JSON.stringify({ fn, at: Date.now(), event })}\n`);
const local = await startLocalStepFunctions({
  definition,
  stateMachineArn: process.env.STATE_MACHINE_ARN as string,
  dataDir: process.env.DATA_DIR as string,
  lambdas: {
    [functionArn('notify')]: async (event) => {
      log('notify', event);
      return {};
    },
    // Runs for 2 s, then fails with Flaky as long as it has been called no more than `failures` times.
    [functionArn('slow')]: async (event) => {
      log('slow', event);
      const { id, failures } = event as { id: string; failures: number };
      const calls = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"fn":"slow"') && line.includes(`"id":"${id}"`)).length;
      await sleep(2000);
      if (calls <= failures) throw new Flaky(`call ${calls}`);
      return {};
    },
    [functionArn('finish')]: async (event) => {
      log('finish', event);
      return { ...(event as object), finished: true };
    },
  },
});
process.stdout.write(`${JSON.stringify({ endpoint: local.endpoint })}\n`);
