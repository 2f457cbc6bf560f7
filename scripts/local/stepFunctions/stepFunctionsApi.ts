import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { crashPoint } from '../crashPoints';
import type { ExecutionSummary, Executions } from './executions';
import { SfnError } from './sfnErrors';

/** What an operation may do around its answer. */
export interface Reply {
  /** Runs `action` once the answer has been sent (or the connection is gone). */
  afterSent(action: () => void): void;
}

/** One API operation: the parsed JSON request in, the JSON response out. */
export type Operation = (request: unknown, reply: Reply) => unknown;

export interface StepFunctionsApiOptions {
  stateMachineArn: string;
  definition: Record<string, unknown>;
  createdAt: Date;
}

// Limits and defaults from the Step Functions API reference.
const pageSize = z.number().int().min(0).max(1000).optional();
const taskToken = z.string().min(1).max(2048);
const arn = z.string().min(1).max(2048);
const schemas = {
  StartExecution: z.object({
    stateMachineArn: arn,
    name: z.string().optional(),
    input: z.string().optional(),
  }),
  DescribeExecution: z.object({ executionArn: arn }),
  StopExecution: z.object({
    executionArn: arn,
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  }),
  GetExecutionHistory: z.object({
    executionArn: arn,
    maxResults: pageSize,
    reverseOrder: z.boolean().optional(),
    nextToken: z.string().optional(),
  }),
  ListExecutions: z.object({
    stateMachineArn: arn,
    statusFilter: z
      .enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'])
      .optional(),
    maxResults: pageSize,
    nextToken: z.string().optional(),
  }),
  SendTaskSuccess: z.object({ taskToken, output: z.string().max(262144) }),
  SendTaskFailure: z.object({
    taskToken,
    error: z.string().max(256).optional(),
    cause: z.string().max(32768).optional(),
  }),
  SendTaskHeartbeat: z.object({ taskToken }),
  DescribeStateMachine: z.object({ stateMachineArn: arn }),
};

const defaultPageSize = 100;
const maxInputBytes = 262144;
// AWS execution names: 1-80 characters, none of whitespace, brackets, wildcards, these specials, or control characters.
const executionName = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;

/** The Step Functions operations the endpoint serves, by the name in `X-Amz-Target`. */
export function stepFunctionsApi(
  executions: Executions,
  options: StepFunctionsApiOptions,
): Record<string, Operation> {
  const { stateMachineArn } = options;
  const requireStateMachine = (candidate: string) => {
    if (!candidate.startsWith('arn:')) throw new SfnError('InvalidArn', `Invalid Arn: '${candidate}'`);
    if (candidate !== stateMachineArn) {
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${candidate}'`);
    }
  };
  /** The execution's record (ExecutionDoesNotExist if there is none). */
  const execution = (executionArn: string) => {
    if (!executionArn.startsWith('arn:')) throw new SfnError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    return executions.load(executionArn);
  };
  const summary = (record: ExecutionSummary) => ({
    executionArn: record.executionArn,
    stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: epochSeconds(record.stopDate),
  });

  return {
    StartExecution: async (request) => {
      const { stateMachineArn: target, name = randomUUID(), input = '{}' } = parse('StartExecution', request);
      requireStateMachine(target);
      if (!executionName.test(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
      if (Buffer.byteLength(input) > maxInputBytes || !isJson(input)) {
        throw new SfnError(
          'InvalidExecutionInput',
          'Invalid State Machine Execution Input: the input must be JSON',
        );
      }
      const record = await executions.start(name, input);
      return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
    },

    DescribeExecution: async (request) => {
      const { executionArn } = parse('DescribeExecution', request);
      const record = await execution(executionArn);
      return {
        ...summary(record),
        input: record.input,
        inputDetails: { included: true },
        output: record.output,
        outputDetails: record.output === undefined ? undefined : { included: true },
        error: record.error,
        cause: record.cause,
      };
    },

    StopExecution: async (request) => {
      const { executionArn, error, cause } = parse('StopExecution', request);
      await execution(executionArn);
      return { stopDate: epochSeconds((await executions.stop(executionArn, error, cause)).stopDate) };
    },

    GetExecutionHistory: async (request) => {
      const { executionArn, maxResults, reverseOrder, nextToken } = parse('GetExecutionHistory', request);
      const { history } = await execution(executionArn);
      const page = paginate(reverseOrder ? [...history].reverse() : history, maxResults, nextToken);
      return { events: page.items, nextToken: page.nextToken };
    },

    ListExecutions: async (request) => {
      const {
        stateMachineArn: target,
        statusFilter,
        maxResults,
        nextToken,
      } = parse('ListExecutions', request);
      requireStateMachine(target);
      // No execution is PENDING_REDRIVE here (no redrive).
      const matching = statusFilter === 'PENDING_REDRIVE' ? [] : await executions.list(statusFilter);
      const page = paginate(matching, maxResults, nextToken);
      return { executions: page.items.map(summary), nextToken: page.nextToken };
    },

    // A callback is answered once its outcome is durable, and the execution goes on only after the
    // answer: a restart in between continues with that outcome, and never waits on the token again.
    SendTaskSuccess: async (request, reply) => {
      const { taskToken, output } = parse('SendTaskSuccess', request);
      const target = executions.tokens.target(taskToken);
      if (!isJson(output)) throw new SfnError('InvalidOutput', 'Invalid Output: the output must be JSON');
      const goOn = await target.succeed(JSON.parse(output));
      reply.afterSent(() => {
        crashPoint('sfn.afterTaskSuccess');
        goOn();
      });
      return {};
    },

    SendTaskFailure: async (request, reply) => {
      const { taskToken, error = '', cause = '' } = parse('SendTaskFailure', request);
      reply.afterSent(await executions.tokens.target(taskToken).fail(error, cause));
      return {};
    },

    SendTaskHeartbeat: async (request) => {
      await executions.tokens.target(parse('SendTaskHeartbeat', request).taskToken).heartbeat();
      return {};
    },

    DescribeStateMachine: (request) => {
      requireStateMachine(parse('DescribeStateMachine', request).stateMachineArn);
      return {
        stateMachineArn,
        name: stateMachineArn.split(':').at(-1),
        status: 'ACTIVE',
        definition: JSON.stringify(options.definition),
        roleArn: executions.roleArn,
        type: 'STANDARD',
        creationDate: epochSeconds(options.createdAt.getTime()),
      };
    },
  };
}

function parse<K extends keyof typeof schemas>(operation: K, request: unknown): z.infer<(typeof schemas)[K]> {
  const result = schemas[operation].safeParse(request);
  if (!result.success) throw new SfnError('ValidationException', z.prettifyError(result.error));
  return result.data as z.infer<(typeof schemas)[K]>;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// The AWS JSON protocol carries timestamps as epoch seconds.
function epochSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/** A page of `items`; `nextToken` is the opaque offset of the next page (AWS: `InvalidToken` if mangled). */
function paginate<T>(items: T[], maxResults: number | undefined, nextToken: string | undefined) {
  const start = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0)
    throw new SfnError('InvalidToken', `Invalid Token: '${nextToken}'`);
  // maxResults 0 (or none) means the default page size.
  const end = start + (maxResults || defaultPageSize);
  const next = end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined;
  return { items: items.slice(start, end), nextToken: next };
}
