import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, mailbox, sendMail, waitFor, waitForMail } from '../../scripts/local/localStackClient';

/**
 * The foundation path through the running local stack with real protocols only: SMTP in, SES mailbox
 * out, HTTP API with dev JWTs, Step Functions through the AWS SDK.
 */
let stack: LocalStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-foundation-'));
  stack = await startLocalStack({ dataDir, quiet: true, profile: 'standard' });
});
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface ComplaintView {
  id: string;
  reference: string;
  status: string;
  tier: number;
  slaDueAt?: string;
  version: number;
  resolution?: { type: string; amount?: number; authorityLimit: number | null };
}
interface Detail {
  complaint: ComplaintView;
  timeline: { kind: string; action?: string; direction?: string; purpose?: string }[];
}

describe('email in, complaint, workflow, agent API, email out', () => {
  const customer = 'ann.customer@example.org';
  let reference: string;
  let id: string;

  it('writes machine-readable endpoints', async () => {
    const written = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
    expect(written).toEqual(stack.endpoints);
    expect(Object.keys(written.tokens)).toEqual(['tier1', 'tier2', 'tier3', 'manager']);
  });

  it('acknowledges a customer mail with a reference and starts an execution named after the complaint', async () => {
    await sendMail(stack.endpoints, {
      from: `Ann Customer <${customer}>`,
      subject: 'My parcel never arrived',
      text: 'Order 1234 is two weeks late.',
    });
    const ack = await waitForMail(stack.endpoints, customer, /CMP-[0-9A-Z]{6}/);
    reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
    expect(ack.body.text).toContain(reference);
    expect(ack.replyTo[0]).toMatch(/^support\+[\w-]+@support\.localhost$/);
    expect(ack.headers).toEqual(expect.arrayContaining([{ name: 'Auto-Submitted', value: 'auto-replied' }]));

    const found = await api<{ items: ComplaintView[] }>(
      stack.endpoints,
      'GET',
      `/complaints?reference=${reference}`,
      {
        token: stack.endpoints.tokens.tier1,
      },
    );
    expect(found.status).toBe(200);
    expect(found.body.items).toHaveLength(1);
    id = found.body.items[0]?.id as string;

    const sfn = new SFNClient(localAwsConfig(stack.endpoints.stepfunctions.endpoint));
    // Intake starts the execution right after recording the acknowledgement, not before mailing it.
    const execution = await waitFor(
      () =>
        sfn.send(
          new DescribeExecutionCommand({
            executionArn: `arn:aws:states:us-east-1:000000000000:execution:${stateMachineName()}:${id}`,
          }),
        ),
      'the execution named after the complaint',
    );
    expect(execution).toMatchObject({ name: id, status: 'RUNNING' });
  });

  it('shows status, tier, SLA due time and the timeline to an agent', async () => {
    const detail = await waitFor(async () => {
      const res = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, {
        token: stack.endpoints.tokens.tier1,
      });
      return res.body.complaint?.status === 'awaiting_agent' ? res : undefined;
    }, 'the complaint to wait for an agent');
    expect(detail.headers.get('etag')).toBe(`"${detail.body.complaint.version}"`);
    expect(detail.body.complaint).toMatchObject({ reference, tier: 1 });
    expect(Date.parse(detail.body.complaint.slaDueAt ?? '')).toBeGreaterThan(Date.now());
    expect(detail.body.timeline.map((e) => e.action ?? `${e.direction}:${e.purpose}`)).toEqual(
      expect.arrayContaining([
        'receive',
        'inbound:customer',
        'outbound:acknowledgement',
        'startInvestigation',
        'awaitPerson',
      ]),
    );
    const queue = await api<{ items: ComplaintView[] }>(stack.endpoints, 'GET', '/complaints', {
      token: stack.endpoints.tokens.tier1,
    });
    expect(queue.body.items.map((c) => c.id)).toContain(id);
  });

  it('answers client mistakes with 401, 400, 403, 404 and 409', async () => {
    const body = {
      type: 'refund',
      amount: 40,
      currency: 'EUR',
      summary: 'Refund of the order.',
      rootCause: 'carrier_delay',
    };
    const t1 = stack.endpoints.tokens.tier1;
    expect((await api(stack.endpoints, 'POST', `/complaints/${id}/resolution`, { body })).status).toBe(401);
    expect(
      (await api(stack.endpoints, 'POST', `/complaints/${id}/resolution`, { body, token: `${t1}x` })).status,
    ).toBe(401);
    const bad = await api<{ issues: { path: string }[] }>(
      stack.endpoints,
      'POST',
      `/complaints/${id}/resolution`,
      {
        token: t1,
        body: { type: 'refund', summary: '' },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['summary', 'rootCause']));
    expect(
      (await api(stack.endpoints, 'POST', `/complaints/${id}/resolution`, { token: t1, body: '{not json' }))
        .status,
    ).toBe(400);
    // A tier-1 agent may not approve anything (the role is checked server-side from the token).
    const approve = await api(stack.endpoints, 'POST', `/complaints/${id}/approval`, {
      token: t1,
      body: { decision: 'approve' },
    });
    expect(approve.status).toBe(403);
    expect(
      (await api(stack.endpoints, 'POST', `/complaints/${'0'.repeat(26)}/resolution`, { token: t1, body }))
        .status,
    ).toBe(404);
    const stale = await api<{ currentVersion: number }>(
      stack.endpoints,
      'POST',
      `/complaints/${id}/resolution`,
      {
        token: t1,
        body,
        headers: { 'if-match': '"1"' },
      },
    );
    expect(stale.status).toBe(409);
    expect(stale.body.currentVersion).toBeGreaterThan(1);
  });

  it('resolves within the tier-1 limit and emails the resolution to the customer', async () => {
    const current = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, {
      token: stack.endpoints.tokens.tier1,
    });
    const res = await api<{ complaint: ComplaintView }>(
      stack.endpoints,
      'POST',
      `/complaints/${id}/resolution`,
      {
        token: stack.endpoints.tokens.tier1,
        headers: { 'if-match': current.headers.get('etag') as string },
        body: {
          type: 'refund',
          amount: 40,
          currency: 'EUR',
          summary: 'We refunded your order in full.',
          rootCause: 'carrier_delay',
        },
      },
    );
    expect(res.status).toBe(202);
    const mail = await waitForMail(stack.endpoints, customer, /We refunded your order in full/);
    expect(mail.body.text).toContain('€40.00');
    expect(mail.subject).toContain(reference);

    const resolved = await waitFor(async () => {
      const r = await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, {
        token: stack.endpoints.tokens.tier1,
      });
      return r.body.complaint.status === 'resolved' ? r.body : undefined;
    }, 'the resolution to be applied');
    expect(resolved.complaint.resolution).toMatchObject({ type: 'refund', amount: 40, authorityLimit: 100 });
    expect(resolved.timeline.map((e) => e.action).filter(Boolean)).toEqual(
      expect.arrayContaining(['acceptDecision', 'applyResolution']),
    );
    const sfn = new SFNClient(localAwsConfig(stack.endpoints.stepfunctions.endpoint));
    await waitFor(async () => {
      const out = await sfn.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:us-east-1:000000000000:execution:${stateMachineName()}:${id}`,
        }),
      );
      // Resolved: the execution now waits for the follow-up call (issue 3's lifecycle).
      return out.status === 'RUNNING' ? out : undefined;
    }, 'the execution to wait for the follow-up');
    // The same decision again is a conflict: the complaint no longer waits for an agent.
    const again = await api(stack.endpoints, 'POST', `/complaints/${id}/resolution`, {
      token: stack.endpoints.tokens.tier1,
      body: { type: 'apology', summary: 'Sorry', rootCause: 'other', version: resolved.complaint.version },
    });
    expect(again.status).toBe(409);
  });

  it('takes the same mail delivered again as the same complaint (one acknowledgement)', async () => {
    const messageId = `<dup-${Date.now()}@example.org>`;
    const from = 'bob@example.org';
    // A redelivery carries the same bytes: a fixed Date, or a send across a second boundary would be
    // another mail (same Message-ID, other content), which intake rightly files separately.
    for (let i = 0; i < 3; i++) {
      await sendMail(stack.endpoints, {
        from,
        subject: 'Double charge',
        text: 'I was charged twice.',
        messageId,
        headers: { Date: 'Mon, 23 Nov 2026 10:00:00 +0000' },
      });
    }
    await stack.drainIntake();
    // The acknowledgement is the workflow's first step, which runs after intake.
    await waitForMail(stack.endpoints, from, /CMP-[0-9A-Z]{6}/);
    const acks = (await mailbox(stack.endpoints.mailbox.url)).filter((m) => m.destination.to.includes(from));
    expect(acks).toHaveLength(1);
  });
});

function stateMachineName(): string {
  return stack.endpoints.stepfunctions.stateMachineArn.split(':').pop() as string;
}
