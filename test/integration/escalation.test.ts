import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, sendMail, waitFor, waitForMail } from '../../scripts/local/localStackClient';

/**
 * SLA breach through the real callback timeout: AwaitAgent's TimeoutSecondsPath (time left to the
 * deadline) raises States.Timeout, which the definition catches and routes to EscalateOnBreach.
 * A 2-second first-response target keeps the test short.
 */
let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-escalation-'));
  const policy = JSON.stringify({
    sla: { targets: { normal: { firstResponseSeconds: 2, resolutionSeconds: 4 } } },
  });
  stack = await startLocalStack({ dataDir, quiet: true, profile: 'fast', policy, inMemoryDynamoDb: true });
});
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Detail {
  complaint: { id: string; status: string; tier: number; version: number };
  timeline: { kind: string; action?: string; details?: Record<string, unknown> }[];
}

describe('escalation on SLA breach', () => {
  it('moves an unanswered complaint up one tier per breach, flags the top tier, and rejects stale decisions', async () => {
    const customer = 'late.reply@example.org';
    await sendMail(stack.endpoints, { from: customer, subject: 'Nobody answers', text: 'Still waiting.' });
    const ack = await waitForMail(stack.endpoints, customer, /CMP-[0-9A-Z]{6}/);
    const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
    const { tier1, tier3 } = stack.endpoints.tokens;
    const found = await api<{ items: { id: string }[] }>(
      stack.endpoints,
      'GET',
      `/complaints?reference=${reference}`,
      {
        token: tier1,
      },
    );
    const id = found.body.items[0]?.id as string;
    const read = await waitFor(async () => {
      const r = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token: tier1 });
      return r.body.complaint.status === 'awaiting_agent' ? r.body.complaint : undefined;
    }, 'tier-1 queue');
    expect(read.tier).toBe(1);

    const atTop = await waitFor(
      async () => {
        const r = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token: tier3 });
        const escalations = r.body.timeline.filter((e) => e.action === 'escalate');
        return escalations.length >= 3 ? r.body : undefined;
      },
      'three escalations',
      15_000,
    );
    const escalations = atTop.timeline.filter((e) => e.action === 'escalate').map((e) => e.details);
    expect(escalations.slice(0, 3)).toEqual([
      { cause: 'sla_breach', fromTier: 1, toTier: 2 },
      { cause: 'sla_breach', fromTier: 2, toTier: 3 },
      { cause: 'sla_breach', fromTier: 3, toTier: 3, managerAlert: true },
    ]);
    expect(atTop.complaint.tier).toBe(3);
    const queue = await api<{ items: { id: string }[] }>(stack.endpoints, 'GET', '/complaints?queue=tier3', {
      token: tier3,
    });
    expect(queue.body.items.map((c) => c.id)).toContain(id);

    // The tier-1 agent acts on what they read before the escalations: the complaint has moved on.
    const late = await api<{ currentVersion: number }>(
      stack.endpoints,
      'POST',
      `/complaints/${id}/resolution`,
      {
        token: tier1,
        headers: { 'if-match': `"${read.version}"` },
        body: { type: 'apology', summary: 'Sorry for the wait.', rootCause: 'service_failure' },
      },
    );
    expect(late.status).toBe(409);
    expect(late.body.currentVersion).toBeGreaterThan(read.version);

    const sfn = new SFNClient(localAwsConfig(stack.endpoints.stepfunctions.endpoint));
    const history = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: `${stack.endpoints.stepfunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`,
      }),
    );
    const entered = (history.events ?? []).map((e) => e.stateEnteredEventDetails?.name).filter(Boolean);
    expect(entered).toEqual(expect.arrayContaining(['Investigate', 'AwaitAgent', 'EscalateOnBreach']));
  });
});
