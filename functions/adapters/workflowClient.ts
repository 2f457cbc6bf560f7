import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  type SFNClientConfig,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { ConflictError } from '../core/errors';
import type { WorkflowClient } from './ports';
import { withoutCommandLog } from './sdkClient';

/** A workflow client with a Step Functions client of its own (what the composition roots import on first use). */
export const sfnWorkflowClientWith = (stateMachineArn: string, config: SFNClientConfig) =>
  new SfnWorkflowClient(stateMachineArn, withoutCommandLog(new SFNClient(config)));

/** Step Functions adapter: executions are named after the complaint (a repeated start is harmless). */
export class SfnWorkflowClient implements WorkflowClient {
  constructor(
    private readonly stateMachineArn: string,
    private readonly sfn: SFNClient = withoutCommandLog(new SFNClient({})),
    /** How long `received` waits before it reads a history that lacked the decision once more. */
    private readonly historySettleMs = 1000,
  ) {}

  async start(executionName: string, input: Record<string, unknown>) {
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName,
          input: JSON.stringify(input),
        }),
      );
      return out.executionArn as string;
    } catch (e) {
      // A Standard workflow keeps execution names for 90 days: the complaint already has its execution.
      if (e instanceof ExecutionAlreadyExists) return this.executionArnFor(executionName);
      throw e;
    }
  }

  async stop(executionName: string, cause: string) {
    try {
      await this.sfn.send(
        new StopExecutionCommand({ executionArn: this.executionArnFor(executionName), cause }),
      );
    } catch (e) {
      // Already ended (or never started under this name): nothing left to stop.
      if (e instanceof ExecutionDoesNotExist) return;
      throw e;
    }
  }

  async succeed(taskToken: string, output: Record<string, unknown>) {
    await this.complete(() =>
      this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string) {
    await this.complete(() => this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }

  async received(executionName: string, decisionId: string, since: Date) {
    // Step Functions documents no ordering between one callback's answer and the history event of
    // another's: a decision not found is looked for once more, a moment later, before the caller
    // releases it for good.
    if (await this.inHistory(executionName, decisionId, since)) return true;
    await new Promise((r) => setTimeout(r, this.historySettleMs));
    return this.inHistory(executionName, decisionId, since);
  }

  private async inHistory(executionName: string, decisionId: string, since: Date) {
    // The clocks of the caller and of Step Functions may differ a little: a minute earlier is searched too.
    const earliest = since.getTime() - 60_000;
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: this.executionArnFor(executionName),
            reverseOrder: true,
            maxResults: 100,
            nextToken,
          }),
        );
        for (const event of page.events ?? []) {
          if ((event.timestamp?.getTime() ?? 0) < earliest) return false;
          const output = event.type === 'TaskSucceeded' ? event.taskSucceededEventDetails?.output : undefined;
          if (output !== undefined && decisionIdIn(output) === decisionId) return true;
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return false;
      throw e;
    }
    return false;
  }

  private executionArnFor(name: string) {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private async complete(send: () => Promise<unknown>) {
    try {
      await send();
    } catch (e) {
      // TaskTimedOut: the callback's timeout fired (e.g. the complaint was escalated) or it was already
      // completed. The caller acted on a state that no longer exists, which is a conflict, not a fault.
      if (e instanceof TaskTimedOut || e instanceof TaskDoesNotExist || e instanceof InvalidToken) {
        throw new ConflictError('The workflow has moved on from this task', { reason: e.name });
      }
      throw e;
    }
  }
}

/** The decision id a callback's output names (see `taskOutputOf`), if it names one. */
function decisionIdIn(output: string): unknown {
  try {
    return (JSON.parse(output) as { decisionId?: unknown } | null)?.decisionId;
  } catch {
    return undefined;
  }
}
