import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';

/**
 * Captures aws-local-stepfunctions' own `States.Timeout` error class, which it does not export. Its
 * Retry/Catch treat that class specially: `States.TaskFailed` does not match a timeout (as in AWS), while
 * any other error named `States.Timeout` would be matched. A probe Task with a 1 ms timeout produces one.
 */
export async function captureStatesTimeoutError(): Promise<() => Error> {
  const probe = {
    StartAt: 'Probe',
    States: { Probe: { Type: 'Task', Resource: 'probe', TimeoutSeconds: 0.001, End: true } },
  };
  const machine = new StateMachine(probe as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  const never = () => new Promise<never>(() => undefined);
  const outcome = await machine
    .run(null, { overrides: { taskResourceLocalHandlers: { Probe: never } } })
    .result.then(
      () => undefined,
      (error: unknown) => error,
    );
  const timeout = outcome instanceof ExecutionError ? outcome.cause : undefined;
  if (!(timeout instanceof Error) || timeout.name !== 'States.Timeout') {
    throw new Error('aws-local-stepfunctions no longer reports task timeouts as expected', {
      cause: outcome,
    });
  }
  const TimeoutError = timeout.constructor as new () => Error;
  return () => new TimeoutError();
}
