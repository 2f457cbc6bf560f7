import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import validateAsl from 'asl-validator';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundMailInFlightError } from '../../functions/application/customerMail';
import { awsTransientErrors, lambdaServiceErrors } from '../../functions/application/retryableErrors';
import { sendLeaseSeconds } from '../../functions/application/settings';
import { ComplaintBusyError, ConflictError } from '../../functions/core/errors';
import { abandonedDecisionSeconds } from '../../functions/core/lifecycle';
import { cdkJsonContext } from '../../infra/appContext';
import { defineComplaintsApp } from '../../infra/complaintsApp';
import { owedReplies } from '../../infra/constructs/DomainEvents';
import {
  type CfnReference,
  localFunctionArn,
  matchesEventPattern,
  resolveDefinitionString,
  synthesizeWorkflow,
  workflowDefinitionOf,
} from '../../scripts/local/synthesizedWorkflow';
import { taskRetries } from '../../workflows/ComplaintWorkflow';

// Verifies the definition the local Step Functions endpoint executes: it is the one `cdk synth` produces
// (bundled, validated, cdk-nag checked), it stays within what aws-local-stepfunctions runs (JSONPath
// only), and every wait for a person ends in a timeout that is caught.
type Json = Record<string, unknown>;
let synthesized: ReturnType<typeof synthesizeWorkflow>;

beforeAll(() => {
  synthesized = synthesizeWorkflow();
});

/** Every state of the definition, including those nested in Parallel branches and Map processors. */
function allStates(definition: Json): [string, Json][] {
  const states = Object.entries((definition.States ?? {}) as Record<string, Json>);
  return states.flatMap(([name, state]) => [
    [name, state] as [string, Json],
    ...((state.Branches ?? []) as Json[]).flatMap(allStates),
    ...[state.ItemProcessor, state.Iterator].filter(Boolean).flatMap((inner) => allStates(inner as Json)),
  ]);
}

/** Every value of a key with this name, at any depth. */
function valuesOfKey(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesOfKey(item, key));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(k === key ? [v] : []), ...valuesOfKey(v, key)]);
}

describe('synthesized workflow definition', () => {
  it('stays JSONPath: aws-local-stepfunctions silently ignores JSONata states', () => {
    expect(valuesOfKey(synthesized.definition, 'QueryLanguage')).not.toContain('JSONata');
  });

  it('bounds every callback task with a timeout whose States.Timeout is caught', () => {
    const callbacks = allStates(synthesized.definition).filter(([, state]) =>
      String(state.Resource ?? '').endsWith('.waitForTaskToken'),
    );
    expect(callbacks.length).toBeGreaterThan(0);
    for (const [name, state] of callbacks) {
      expect('TimeoutSeconds' in state || 'TimeoutSecondsPath' in state, `${name} has a timeout`).toBe(true);
      const caught = ((state.Catch ?? []) as { ErrorEquals: string[] }[]).flatMap((c) => c.ErrorEquals);
      expect(caught, `${name} catches its timeout`).toContain('States.Timeout');
    }
  });

  it('hands every task that fails after its retries to RecordFailure, which itself retries long', () => {
    const tasks = allStates(synthesized.definition).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, state] of tasks) {
      const catchers = (state.Catch ?? []) as { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
      if (name === 'RecordFailure') {
        expect(catchers, 'RecordFailure catches nothing').toEqual([]);
        const retry = (state.Retry ?? []) as Json[];
        expect(retry).toContainEqual(
          expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 10, JitterStrategy: 'FULL' }),
        );
        continue;
      }
      const last = catchers.at(-1);
      expect(last?.ErrorEquals, `${name} catches everything last`).toEqual(['States.ALL']);
      // The acknowledgement's failure is recorded and the workflow goes on; its recorder is guarded again.
      const target = name === 'AcknowledgeAndInvestigate' ? 'AcknowledgementFailed' : 'RecordFailure';
      expect(last?.Next, `${name} routes failures to ${target}`).toBe(target);
      if (target === 'RecordFailure') expect(last?.ResultPath).toBe(`$.failed.${name}`);
    }
  });

  it('retries the transient Lambda, DynamoDB and SES errors and our retryable errors on every task, with full jitter', () => {
    const tasks = allStates(synthesized.definition).filter(
      ([name, state]) => state.Type === 'Task' && name !== 'RecordFailure',
    );
    const expected = [
      [...lambdaServiceErrors, ...awsTransientErrors],
      [ConflictError.errorName],
      [ComplaintBusyError.errorName],
      [OutboundMailInFlightError.errorName],
    ];
    for (const [name, state] of tasks) {
      const retry = (state.Retry ?? []) as { ErrorEquals: string[]; JitterStrategy?: string }[];
      expect(
        retry.slice(0, expected.length).map((r) => r.ErrorEquals),
        name,
      ).toEqual(expected);
      for (const r of retry) expect(r.JitterStrategy, `${name} ${r.ErrorEquals}`).toBe('FULL');
    }
    // Past the 45 s send lease of another invocation: the nominal waits add up to well beyond it.
    const inFlight = taskRetries.find((r) => r.errors?.includes(OutboundMailInFlightError.errorName));
    const interval = inFlight?.interval?.toSeconds() ?? 0;
    const waits = Array.from(
      { length: inFlight?.maxAttempts ?? 0 },
      (_, i) => interval * (inFlight?.backoffRate ?? 1) ** i,
    );
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(4 * sendLeaseSeconds);
    // Past the age at which the core releases an abandoned decision, even with full jitter (half on average).
    const busy = taskRetries.find((r) => r.errors?.includes(ComplaintBusyError.errorName));
    const cap = busy?.maxDelay?.toSeconds() ?? Number.POSITIVE_INFINITY;
    const busyWaits = Array.from({ length: busy?.maxAttempts ?? 0 }, (_, i) =>
      Math.min(cap, (busy?.interval?.toSeconds() ?? 0) * (busy?.backoffRate ?? 1) ** i),
    );
    expect(busyWaits.reduce((a, b) => a + b, 0) / 2).toBeGreaterThan(4 * abandonedDecisionSeconds);
  });

  it('starts with the acknowledgement and the investigation in one step, and investigates whether or not the acknowledgement was sent', () => {
    const states = synthesized.definition.States as Record<string, Json>;
    expect(synthesized.definition.StartAt).toBe('AcknowledgeAndInvestigate');
    const first = states.AcknowledgeAndInvestigate as Json;
    // Its output is the workflow state (or the hand-back), as the Investigate state's is.
    expect(first.OutputPath).toBe('$.Payload');
    expect(first.Next).toBe('RiskCheck');
    expect(states.Investigate?.Next).toBe('RiskCheck');
    // Only the acknowledgement's failure is caught as one: recorded, then the investigation on its own.
    expect(first.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.acknowledgement', Next: 'AcknowledgementFailed' },
    ]);
    expect(states.AcknowledgementFailed?.Next).toBe('Investigate');
    // The investigation it hands back runs in the Investigate state, tested first, before any risk rule.
    const rules = (states.RiskCheck?.Choices ?? []) as Json[];
    expect(rules[0]).toEqual({ Variable: '$.investigationPending', IsPresent: true, Next: 'Investigate' });
    expect(rules.slice(1).map((r) => r.Next)).toEqual(['EscalateOnRisk']);
    expect(states.RiskCheck?.Default).toBe('AwaitAgent');
  });

  it('invokes exactly the workflow step functions, by the ARNs the local runtime registers', () => {
    const invoked = new Set(valuesOfKey(synthesized.definition, 'FunctionName'));
    expect(invoked).toEqual(new Set(Object.values(synthesized.functionArns)));
  });

  it('is valid ASL', () => {
    // The validator fills in QueryLanguage on each state: give it a copy.
    const result = validateAsl(structuredClone(synthesized.definition));
    expect(result.errorsText(), 'asl-validator errors').toBe('');
    expect(result.isValid).toBe(true);
  });

  describe('equals the definition of a full `cdk synth` (esbuild bundling, validation, cdk-nag)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'complaints-full-synth-'));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    it('resolved the same way', { timeout: 300_000 }, () => {
      const app = new App({ outdir, context: cdkJsonContext() });
      const stack = defineComplaintsApp(app);
      const template = app.synth().getStackByName(stack.stackName).template;
      const full = workflowDefinitionOf(template);
      expect(full.definition).toEqual(synthesized.definition);
      expect(full.logicalId).toBe(synthesized.stateMachineName);
    });
  });
});

describe('resolveDefinitionString', () => {
  const resolver = (ref: CfnReference) =>
    ref.kind === 'Ref' ? `<${ref.logicalId}>` : localFunctionArn(`${ref.logicalId}.${ref.attribute}`);

  it('joins the parts of Fn::Join, resolving Ref and both forms of Fn::GetAtt', () => {
    const definitionString = {
      'Fn::Join': [
        '',
        [
          '{"a":"arn:',
          { Ref: 'AWS::Partition' },
          '","b":"',
          { 'Fn::GetAtt': ['Fn1', 'Arn'] },
          '","c":"',
          { 'Fn::GetAtt': 'Fn2.Arn' },
          '"}',
        ],
      ],
    };
    expect(JSON.parse(resolveDefinitionString(definitionString, resolver))).toEqual({
      a: 'arn:<AWS::Partition>',
      b: localFunctionArn('Fn1.Arn'),
      c: localFunctionArn('Fn2.Arn'),
    });
  });

  it('passes a plain string through', () => {
    expect(resolveDefinitionString('{"StartAt":"A"}', resolver)).toBe('{"StartAt":"A"}');
  });

  it('refuses intrinsics the local runtime cannot resolve', () => {
    expect(() => resolveDefinitionString({ 'Fn::ImportValue': 'SharedArn' }, resolver)).toThrow(
      /Unsupported/,
    );
  });
});

describe("the reply outbox's queue, as the local stack reads it from the synthesized stack", () => {
  const event = (type: string, via: string) => ({
    source: 'complaints',
    'detail-type': type,
    detail: { type, data: { via } },
  });

  it("takes the rule's pattern: first responses by reply only", () => {
    const { eventPattern } = synthesized.owedReplies;
    expect(matchesEventPattern(eventPattern, event('CustomerContacted', 'reply'))).toBe(true);
    expect(matchesEventPattern(eventPattern, event('CustomerContacted', 'info_request'))).toBe(false);
    expect(matchesEventPattern(eventPattern, event('ComplaintClosed', 'reply'))).toBe(false);
  });

  it("redelivers a failed message a visibility timeout later, past the send lease, for the queue's receives", () => {
    const { retryDelaysMs, batching } = synthesized.owedReplies;
    expect(retryDelaysMs).toHaveLength(owedReplies.receives - 1);
    for (const delay of retryDelaysMs) {
      expect(delay).toBe(6 * owedReplies.timeoutSeconds * 1000);
      expect(delay).toBeGreaterThan(sendLeaseSeconds * 1000);
    }
    expect(batching.batchSize).toBe(10);
  });
});
