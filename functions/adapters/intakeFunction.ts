import { InvokeCommand, LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda';
import type { QuarantineReleaseEvent } from '../core/mail/quarantineRelease';
import type { IntakeFunction } from './ports';
import { withoutCommandLog } from './sdkClient';

/** The intake function with a Lambda client of its own (what the API imports on the first hand-over). */
export const lambdaIntakeFunctionWith = (functionName: string, config: LambdaClientConfig) =>
  new LambdaIntakeFunction(functionName, withoutCommandLog(new LambdaClient(config)));

/** Lambda adapter of the intake function. */
export class LambdaIntakeFunction implements IntakeFunction {
  constructor(
    private readonly functionName: string,
    private readonly lambda: LambdaClient,
  ) {}

  async fileReleased(quarantineId: string) {
    const event: QuarantineReleaseEvent = { quarantineRelease: { id: quarantineId } };
    // `Event`: Lambda queues the event durably before it answers 202, then runs the function, retries
    // a failed run twice and sends what still fails to the function's dead-letter queue.
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  }
}
