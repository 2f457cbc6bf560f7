import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, sendMail, waitFor, waitForMail } from '../../scripts/local/localStackClient';
import { installVirtualClock, type VirtualClock } from '../support/virtualClock';

/**
 * SLA breach through the real callback timeout, on the production policy (the standard profile: a
 * normal complaint's first response is due within one business day of the Berlin calendar) and a
 * virtual clock: AwaitAgent's TimeoutSecondsPath (time left to the warning mark, then to the deadline)
 * raises States.Timeout, which the definition routes to RecordSlaWarning and then to EscalateOnBreach.
 * The test skips to each deadline instead of waiting for it.
 */
let stack: LocalStack;
let dataDir: string;
let clock: VirtualClock;

beforeAll(async () => {
  clock = installVirtualClock();
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-escalation-'));
  stack = await startLocalStack({ dataDir, quiet: true, profile: 'standard', inMemoryDynamoDb: true });
});
afterAll(async () => {
  await stack?.close();
  clock?.uninstall();
  await rm(dataDir, { recursive: true, force: true });
});

interface Detail {
  complaint: {
    id: string;
    status: string;
    tier: number;
    version: number;
    sla?: { target: string; dueAt: string; warnAt: string; warnedAt?: string };
  };
  timeline: { kind: string; action?: string; details?: Record<string, unknown> }[];
}

describe('escalation on SLA breach', () => {
  it('moves an unanswered complaint up one tier per breach, flags the top tier, and rejects stale decisions', async () => {
    const customer = 'late.reply@example.org';
    await sendMail(stack.endpoints, { from: customer, subject: 'Nobody answers', text: 'Still waiting.' });
    const ack = await waitForMail(stack.endpoints, customer, /CMP-[0-9A-Z]{6}/);
    const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
    const { tier1 } = stack.endpoints.tokens;
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
    const firstClock = read.sla as NonNullable<Detail['complaint']['sla']>;
    expect(firstClock.target).toBe('firstResponse');
    // One business day (8 working hours) of the Berlin calendar: at least 8 hours of wall time away.
    expect(Date.parse(firstClock.dueAt) - Date.now()).toBeGreaterThan(8 * 3600_000 - 60_000);

    // Past the warning mark: the warning is recorded once, and the complaint still waits at tier 1.
    await stack.resting();
    clock.skipPast(firstClock.warnAt);
    const warned = await waitFor(async () => {
      const token = await stack.signToken('tier1');
      const r = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token });
      return r.body.complaint.sla?.warnedAt && r.body.complaint.status === 'awaiting_agent'
        ? r.body.complaint
        : undefined;
    }, 'SLA warning');
    expect(warned.tier).toBe(1);

    // Past each deadline in turn: one tier up per breach, until the top tier alerts a manager.
    let atTop: Detail | undefined;
    for (let breach = 1; breach <= 3; breach += 1) {
      await stack.resting();
      const token = await stack.signToken('tier3');
      const before = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token });
      clock.skipPast(before.body.complaint.sla?.dueAt as string);
      atTop = await waitFor(async () => {
        const fresh = await stack.signToken('tier3');
        const r = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token: fresh });
        const escalations = r.body.timeline.filter((e) => e.action === 'escalate');
        return escalations.length >= breach && r.body.complaint.status === 'awaiting_agent'
          ? r.body
          : undefined;
      }, `breach ${breach}`);
    }
    if (!atTop) throw new Error('no breach');
    const escalations = atTop.timeline.filter((e) => e.action === 'escalate').map((e) => e.details);
    expect(escalations.slice(0, 3)).toEqual([
      { cause: 'sla_breach', fromTier: 1, toTier: 2 },
      { cause: 'sla_breach', fromTier: 2, toTier: 3 },
      { cause: 'sla_breach', fromTier: 3, toTier: 3, managerAlert: true },
    ]);
    expect(atTop.complaint.tier).toBe(3);
    const queue = await api<{ items: { id: string }[] }>(stack.endpoints, 'GET', '/complaints?queue=tier3', {
      token: await stack.signToken('tier3'),
    });
    expect(queue.body.items.map((c) => c.id)).toContain(id);

    // The tier-1 agent acts on what they read before the escalations: the complaint has moved on.
    const late = await api<{ currentVersion: number }>(
      stack.endpoints,
      'POST',
      `/complaints/${id}/resolution`,
      {
        token: await stack.signToken('tier1'),
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
    expect(entered).toEqual(
      expect.arrayContaining([
        'AcknowledgeAndInvestigate',
        'AwaitAgent',
        'RecordSlaWarning',
        'EscalateOnBreach',
      ]),
    );
  });
});
