import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { cdkJsonContext } from '../../infra/appContext';
import { buildComplaintsStack } from '../../infra/complaintsApp';
import type { WorkflowStep } from '../../workflows/ComplaintWorkflow';

/** Account and region of every fake ARN the local stack uses. */
export const localAccount = '000000000000';
export const localRegion = 'us-east-1';

/** The ARN the local runtime knows a Lambda function by: its CloudFormation logical id in a fake account. */
export function localFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${localRegion}:${localAccount}:function:${logicalId}`;
}

/** A `Ref` or `Fn::GetAtt` found in a template value. */
export type CfnReference =
  | { kind: 'Ref'; logicalId: string }
  | { kind: 'GetAtt'; logicalId: string; attribute: string };
export type ReferenceResolver = (reference: CfnReference) => string;

/**
 * Turns a synthesized `DefinitionString` (a plain string, or the `Fn::Join` CDK emits when the definition
 * holds ARNs) into the ASL text, resolving each `Ref`/`Fn::GetAtt` with `resolveReference`. Any other
 * intrinsic throws: the local runtime cannot execute what it cannot resolve.
 */
export function resolveDefinitionString(
  definitionString: unknown,
  resolveReference: ReferenceResolver,
): string {
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value);
      const [name, args] = entries[0] ?? [];
      if (entries.length === 1 && name === 'Fn::Join' && Array.isArray(args) && Array.isArray(args[1])) {
        return (args[1] as unknown[]).map(resolve).join(String(args[0]));
      }
      if (entries.length === 1 && name === 'Ref' && typeof args === 'string') {
        return resolveReference({ kind: 'Ref', logicalId: args });
      }
      if (entries.length === 1 && name === 'Fn::GetAtt') {
        // GetAtt is `[logicalId, attribute]`, or the short string form `logicalId.attribute`.
        const [logicalId, attribute] = Array.isArray(args) ? args : String(args).split(/\.(.*)/);
        return resolveReference({
          kind: 'GetAtt',
          logicalId: String(logicalId),
          attribute: String(attribute),
        });
      }
    }
    throw new Error(`Unsupported value in DefinitionString: ${JSON.stringify(value)}`);
  };
  return resolve(definitionString);
}

interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

const pseudoParameters: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': localRegion,
  'AWS::AccountId': localAccount,
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * Resolves references the way the local stack names things: pseudo parameters to the fake account and
 * region, a Lambda function's `Arn` to `localFunctionArn(logicalId)`.
 */
export function localReferenceResolver(template: CfnTemplate): ReferenceResolver {
  return (reference) => {
    if (reference.kind === 'Ref' && reference.logicalId in pseudoParameters) {
      return pseudoParameters[reference.logicalId] as string;
    }
    const type = template.Resources[reference.logicalId]?.Type;
    if (reference.kind === 'GetAtt' && reference.attribute === 'Arn' && type === 'AWS::Lambda::Function') {
      return localFunctionArn(reference.logicalId);
    }
    throw new Error(
      `No local stand-in for ${JSON.stringify(reference)} (resource type ${type ?? 'unknown'})`,
    );
  };
}

/** The one state machine of a synthesized template, with its definition resolved for the local runtime. */
export function workflowDefinitionOf(template: CfnTemplate): {
  logicalId: string;
  definition: Record<string, unknown>;
} {
  const machines = Object.entries(template.Resources).filter(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  const [machine, ...others] = machines;
  if (!machine || others.length > 0) {
    throw new Error(`Expected one AWS::StepFunctions::StateMachine, found ${machines.length}`);
  }
  const [logicalId, resource] = machine;
  const asl = resolveDefinitionString(
    resource.Properties?.DefinitionString,
    localReferenceResolver(template),
  );
  return { logicalId, definition: JSON.parse(asl) as Record<string, unknown> };
}

/** How Lambda's event source hands a queue's messages to a function: batch size and window. */
export interface QueueBatching {
  batchSize: number;
  windowMs: number;
}

/** The batching of the one event source mapping that invokes function `logicalId` (a queue's). */
export function queueBatchingOf(template: CfnTemplate, logicalId: string): QueueBatching {
  const mappings = Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: logicalId }),
  );
  const [mapping, ...others] = mappings;
  if (!mapping || others.length > 0) {
    throw new Error(`Expected one event source mapping of ${logicalId}, found ${mappings.length}`);
  }
  const { BatchSize, MaximumBatchingWindowInSeconds } = mapping.Properties ?? {};
  return { batchSize: Number(BatchSize ?? 10), windowMs: Number(MaximumBatchingWindowInSeconds ?? 0) * 1000 };
}

/**
 * A queue between a rule of the bus and a function, as the template has it: the rule's event pattern,
 * the event source's batching, and the queue's redelivery of a message the function failed on (each
 * receive a visibility timeout after the last, until `maxReceiveCount`, then its dead-letter queue).
 */
export interface QueueConsumer {
  batching: QueueBatching;
  eventPattern: Record<string, unknown>;
  /** The waits between a message's receives: the visibility timeout, `maxReceiveCount - 1` times. */
  retryDelaysMs: number[];
}

/** The queue, rule and event source mapping that hand bus events to function `logicalId`. */
export function queueConsumerOf(template: CfnTemplate, logicalId: string): QueueConsumer {
  const mapping = Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(r.Properties?.FunctionName) === JSON.stringify({ Ref: logicalId }),
  );
  const queueId = (mapping?.Properties?.EventSourceArn as { 'Fn::GetAtt'?: string[] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  const queue = queueId ? template.Resources[queueId] : undefined;
  const rules = Object.values(template.Resources).filter(
    (r) =>
      r.Type === 'AWS::Events::Rule' &&
      (r.Properties?.Targets as { Arn?: unknown }[] | undefined)?.some(
        (t) => JSON.stringify(t.Arn) === JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }),
      ),
  );
  const [rule, ...others] = rules;
  if (queue?.Type !== 'AWS::SQS::Queue' || !rule || others.length > 0) {
    throw new Error(`Expected one queue and one rule in front of ${logicalId}`);
  }
  const { VisibilityTimeout, RedrivePolicy } = queue.Properties ?? {};
  const receives = Number((RedrivePolicy as { maxReceiveCount?: number } | undefined)?.maxReceiveCount ?? 1);
  return {
    batching: queueBatchingOf(template, logicalId),
    eventPattern: rule.Properties?.EventPattern as Record<string, unknown>,
    retryDelaysMs: Array.from({ length: receives - 1 }, () => Number(VisibilityTimeout ?? 30) * 1000),
  };
}

/**
 * Whether an event matches an EventBridge event pattern of exact values (what the stack's rules use):
 * each field the pattern names holds one of the values listed, nested objects alike.
 */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(pattern).every(([field, wanted]) => {
    const value = (event as Record<string, unknown> | undefined)?.[field];
    if (Array.isArray(wanted)) return wanted.includes(value);
    return matchesEventPattern(wanted as Record<string, unknown>, value);
  });
}

/**
 * Synthesizes the deployable `ComplaintsStack` in-process (no asset bundling, no CloudFormation validation:
 * about a second) and returns its state machine definition for the local Step Functions endpoint, so the
 * local stack executes exactly the ASL that CDK deploys (and the report projector's queue batching, as
 * its event source mapping has it, and the reply outbox's queue: rule, batching and redelivery).
 * `functionArns` gives the fake ARN each workflow step's Lambda has in that definition.
 */
export function synthesizeWorkflow(options: { policyProfile?: string } = {}): {
  definition: Record<string, unknown>;
  stateMachineName: string;
  functionArns: Record<WorkflowStep, string>;
  /** How the report projector takes its queue's events. */
  projectorBatching: QueueBatching;
  /** How the reply outbox's function takes the first responses' events. */
  owedReplies: QueueConsumer;
} {
  const outdir = mkdtempSync(join(tmpdir(), 'complaints-synth-'));
  try {
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: {
        ...cdkJsonContext(),
        ...(options.policyProfile ? { policyProfile: options.policyProfile } : {}),
        // An empty list of stacks to bundle skips esbuild: the definition does not depend on the code.
        'aws:cdk:bundling-stacks': [],
      },
    });
    const stack = buildComplaintsStack(app);
    const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
    const { logicalId, definition } = workflowDefinitionOf(template);
    const functionArns = Object.fromEntries(
      Object.entries(stack.workflowFunctions).map(([step, fn]) => [
        step,
        localFunctionArn(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement)),
      ]),
    ) as Record<WorkflowStep, string>;
    const projector = stack.domainEvents.reportProjector;
    const projectorBatching = queueBatchingOf(
      template,
      Stack.of(projector).getLogicalId(projector.node.defaultChild as CfnElement),
    );
    const mailer = stack.domainEvents.owedReplyMailer;
    const owedReplies = queueConsumerOf(
      template,
      Stack.of(mailer).getLogicalId(mailer.node.defaultChild as CfnElement),
    );
    return { definition, stateMachineName: logicalId, functionArns, projectorBatching, owedReplies };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
