import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore } from '../../functions/adapters/complaintStore';
import { decisionIdOf } from '../../functions/api/decisionRoutes';
import type { Complaint } from '../../functions/core/complaint';
import { abandonedDecisionSeconds, acceptDecision } from '../../functions/core/lifecycle';
import { type AgentRole, agentRoles, policyProfiles } from '../../functions/core/policy';
import { escapeRegExp } from '../../functions/core/text';
import { type LambdaHandler, type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, mailbox, sendMail, waitFor, waitForMail } from '../../scripts/local/localStackClient';
import { synthesizeWorkflow } from '../../scripts/local/synthesizedWorkflow';
import type { WorkflowStep } from '../../workflows/ComplaintWorkflow';
import { startDynamoDbFaults } from '../support/dynamoDbFaults';
import { installVirtualClock, skipWait, type VirtualClock } from '../support/virtualClock';
import { committedEvents, loggedEvents, reportsRecounted, reportsViaApi } from './insightsReconciliation';
import { replayHarness } from './replayHarness';

/**
 * Every path of the lifecycle through the local stack: the CDK-synthesized definition on the
 * local Step Functions endpoint, real SMTP in, the SES mailbox out, the agent API with dev JWTs, all on
 * the production policy (the standard profile: SLA targets in business hours of the Berlin calendar,
 * follow-up calls two business days after the resolution, survey links valid for 14 days). The paths
 * that wait on time run on a virtual clock and skip to each deadline (`skipWait`); the last tests check
 * that together the paths entered every state of the definition.
 */
let stack: LocalStack;
let clock: VirtualClock;
let startedAt: number;
/**
 * `LIFECYCLE_REPLAY=1` (test/integration/replay.test.ts): every step invocation runs twice and the
 * previous step once more late; the paths must end as they do with single runs, and no extra run may
 * change anything.
 */
const replay =
  process.env.LIFECYCLE_REPLAY === '1'
    ? replayHarness(
        {
          get: (id) => store.get(id),
          timeline: (id) => store.timeline(id),
        } as DynamoComplaintStore,
        async (c) => {
          // Team notifications reach the mailbox after SNS answered the publish: count them once there.
          await stack.drainNotifications();
          return (await mailbox(stack.endpoints.mailbox.url)).filter((m) => {
            const text = `${m.subject}\n${m.body.text ?? ''}`;
            if (text.includes(c.reference)) return true;
            // A mail naming another reference is about another complaint (of the same customer, say).
            return m.destination.to.includes(c.customerEmail) && !/CMP-[0-9A-Z]{6}/.test(text);
          }).length;
        },
      )
    : undefined;
const mailDomain = 'support.localhost';
/** The acknowledgement fails for good on complaints whose subject carries this marker. */
const failMarker = 'FAIL-THIS-STEP';
/** DynamoDB refuses the investigation's write of complaints whose subject carries this marker. */
const investigationFailMarker = 'FAIL-INVESTIGATION';
/** The first step fails after its work (as a Lambda timing out would) for complaints with this subject marker. */
const failAfterWorkMarker = 'FAIL-AFTER-ACK';
let dataDir: string;
let sfn: SFNClient;
let store: DynamoComplaintStore;

beforeAll(async () => {
  clock = installVirtualClock();
  startedAt = Date.now();
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-lifecycle-'));
  stack = await startLocalStack({
    dataDir,
    quiet: true,
    profile: 'standard',
    inMemoryDynamoDb: true,
    // The API on the stack's thread: a worker's clock is the real one, not the virtual clock.
    apiWorkers: 0,
    // The investigation's state change (the complaint with its `startInvestigation` entry) is refused,
    // wherever it runs: the first step hands it back, the Investigate state fails for good.
    dynamoDbFront: (endpoint) =>
      startDynamoDbFaults(endpoint, (operation, body) =>
        operation === 'TransactWriteItems' &&
        body.includes(investigationFailMarker) &&
        body.includes('startInvestigation')
          ? InjectedFailure.errorName
          : undefined,
      ),
    wrapLambda: (step, handler) => {
      const failing = failOnMarker(step, handler);
      return replay ? replay.wrap(step, failing) : failing;
    },
  });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  sfn = new SFNClient({ endpoint: stack.endpoints.stepfunctions.endpoint, region: 'us-east-1', credentials });
  store = new DynamoComplaintStore(
    'Complaints',
    new DynamoDBClient({ endpoint: stack.endpoints.dynamodb.endpoint, region: 'us-east-1', credentials }),
  );
});
afterAll(async () => {
  await stack?.close();
  clock?.uninstall();
  await rm(dataDir, { recursive: true, force: true });
});

class InjectedFailure extends Error {
  static readonly errorName = 'InjectedFailure';
  override readonly name: string = InjectedFailure.errorName;
}

/**
 * Makes the first step (acknowledgement and investigation) fail, every attempt, for complaints whose
 * subject carries a marker: before its work (the acknowledgement fails), or after it (the step did
 * everything, then its Lambda failed, e.g. timed out).
 */
function failOnMarker(step: WorkflowStep, handler: LambdaHandler): LambdaHandler {
  if (step !== 'acknowledge') return handler;
  return async (event) => {
    const { complaintId, failure } = event as { complaintId: string; failure?: unknown };
    const subject = failure ? '' : ((await store.get(complaintId))?.subject ?? '');
    if (subject.includes(failMarker)) throw new InjectedFailure('injected by the test');
    const result = await handler(event);
    if (subject.includes(failAfterWorkMarker)) throw new InjectedFailure('injected by the test');
    return result;
  };
}

interface Detail {
  complaint: {
    id: string;
    status: string;
    tier: number;
    priority: string;
    version: number;
    waitingFor?: string;
    category?: string;
    investigation?: { riskSignals: { signal: string }[] };
    proposal?: { approverRole: string };
    lastRejection?: { reason: string };
    resolution?: { amount?: number; appliedBy: { role: string }; authorityLimit: number | null };
    failure?: { state: string; error: string };
    reference: string;
    closure?: { reason: string; mergedInto?: string };
    reopenCount?: number;
  };
  timeline: {
    kind: string;
    action?: string;
    at?: string;
    purpose?: string;
    direction?: string;
    details?: Record<string, unknown>;
  }[];
}

let sequence = 0;
/** Dev tokens, signed again after each skip: the clock outruns their 12 hours. */
let tokens: Record<AgentRole, string> | undefined;
const token = (role: AgentRole) => (tokens ?? stack.endpoints.tokens)[role];

/** Skips the clock past the deadline of the wait the complaint's execution rests in (see `skipWait`). */
async function skip(id: string, state: string) {
  await skipWait(clock, stack, id, state);
  tokens = Object.fromEntries(
    await Promise.all(agentRoles.map(async (role) => [role, await stack.signToken(role)])),
  ) as Record<AgentRole, string>;
}
const detail = async (id: string) =>
  (await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token: token('manager') })).body;
/** An agent acts on the version they just read (every write carries If-Match). */
const post = async (id: string, path: string, body: unknown, role: AgentRole = 'tier1') =>
  api<Record<string, unknown>>(stack.endpoints, 'POST', `/complaints/${id}/${path}`, {
    token: token(role),
    body,
    headers: { 'if-match': `"${(await detail(id)).complaint.version}"` },
  });

/** Waits until the complaint satisfies `predicate`. */
const until = (id: string, predicate: (d: Detail) => boolean, what: string, timeoutMs = 20_000) =>
  waitFor(
    async () => {
      const d = await detail(id);
      return predicate(d) ? d : undefined;
    },
    what,
    timeoutMs,
  );
const waitingFor = (id: string, kind: string, timeoutMs?: number) =>
  until(
    id,
    (d) => d.complaint.waitingFor === kind && d.complaint.status !== 'deciding',
    `waiting for ${kind}`,
    timeoutMs,
  );
const audits = (d: Detail, action: string) =>
  d.timeline.filter((e) => e.kind === 'audit' && e.action === action);

/** A customer writes in (a new one, or `customer`): the complaint, once acknowledged (found by the subject). */
async function openCase(
  subject: string,
  text: string,
  customer = `customer${++sequence}.${Date.now().toString(36)}@example.org`,
) {
  await sendMail(stack.endpoints, { from: customer, subject, text });
  const ack = await waitForMail(
    stack.endpoints,
    customer,
    new RegExp(`${escapeRegExp(subject)} \\[CMP-[0-9A-Z]{6}\\]`),
  );
  const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
  const found = await api<{ items: { id: string }[] }>(
    stack.endpoints,
    'GET',
    `/complaints?reference=${reference}`,
    {
      token: token('tier1'),
    },
  );
  const id = found.body.items[0]?.id as string;
  return { id, customer, reference, replyTo: ack.replyTo[0] as string };
}

/**
 * The follow-up calls after a resolution, each unreachable: the first two business days after it, the
 * next ones after the policy's retry delay, until the attempts run out (then the survey goes out).
 */
async function callUnreachable(id: string) {
  await skip(id, 'FollowUpDelay');
  for (let attempt = 1; attempt <= policyProfiles.standard.followUp.maxCallAttempts; attempt++) {
    if (attempt > 1) await skip(id, 'FollowUpRetryWait');
    await until(
      id,
      (d) => d.complaint.waitingFor === 'follow_up' && audits(d, 'recordUnreachable').length === attempt - 1,
      `call ${attempt}`,
    );
    expect((await post(id, 'follow-up', { outcome: 'unreachable' })).status).toBe(202);
  }
}

const refund = (amount: number) => ({
  type: 'refund',
  amount,
  summary: `Refund of ${amount} EUR.`,
  rootCause: 'carrier_delay',
});

// The paths that need no time run at once on one stack: on a loaded 2-core machine, with every step
// replayed, a path can take well over the suite's 30 s default.
describe.concurrent('lifecycle paths', { timeout: 90_000 }, () => {
  it('above authority: tier 2 rejects with a reason, the agent proposes again, tier 2 approves', async () => {
    const { id, customer } = await openCase('Broken TV', 'The TV arrived broken, I want my money back.');
    await waitingFor(id, 'agent');
    expect((await post(id, 'resolution', refund(500))).status).toBe(202);
    const waiting = await waitingFor(id, 'approval');
    expect(waiting.complaint).toMatchObject({
      status: 'awaiting_approval',
      proposal: { approverRole: 'tier2' },
    });
    const queue = await api<{ items: { id: string }[] }>(stack.endpoints, 'GET', '/complaints?queue=tier2', {
      token: token('tier2'),
    });
    expect(queue.body.items.map((c) => c.id)).toContain(id);
    expect((await post(id, 'approval', { decision: 'approve' }, 'tier1')).status).toBe(403);
    expect(
      (await post(id, 'approval', { decision: 'reject', reason: 'Offer a replacement first.' }, 'tier2'))
        .status,
    ).toBe(202);
    const back = await waitingFor(id, 'agent');
    expect(back.complaint.lastRejection?.reason).toBe('Offer a replacement first.');
    expect((await post(id, 'resolution', refund(500))).status).toBe(202);
    await waitingFor(id, 'approval');
    expect((await post(id, 'approval', { decision: 'approve' }, 'tier2')).status).toBe(202);
    await waitForMail(stack.endpoints, customer, /Refund of 500 EUR/);
    const resolved = await until(id, (d) => d.complaint.resolution !== undefined, 'resolution applied');
    expect(resolved.complaint.resolution).toMatchObject({
      amount: 500,
      authorityLimit: 1000,
      appliedBy: { role: 'tier2' },
    });
  });

  it('request info: the customer answers by mail and the case returns to the agent', async () => {
    const { id, customer, replyTo } = await openCase('Missing item', 'One item is missing from my order.');
    await waitingFor(id, 'agent');
    expect((await post(id, 'info-requests', { question: 'Which item is missing?' })).status).toBe(202);
    await waitForMail(stack.endpoints, customer, /Which item is missing\?/);
    await waitingFor(id, 'customer');
    await sendMail(stack.endpoints, {
      from: customer,
      to: replyTo,
      subject: 'Re: Missing item',
      text: 'The charger.',
    });
    const resumed = await until(
      id,
      (d) => audits(d, 'requeue').length > 0 && d.complaint.waitingFor === 'agent',
      'resumed',
    );
    expect(audits(resumed, 'requeue')[0]?.details).toMatchObject({ reason: 'customer_replied' });
  });

  it('escalation on request goes one tier up with the reason', async () => {
    const { id } = await openCase('Account locked', 'I cannot log in to my account.');
    await waitingFor(id, 'agent');
    expect((await post(id, 'escalation', { reason: 'Needs account admin rights.' })).status).toBe(202);
    const up = await until(id, (d) => d.complaint.tier === 2 && d.complaint.waitingFor === 'agent', 'tier 2');
    expect(audits(up, 'escalate')[0]?.details).toMatchObject({
      cause: 'agent_request',
      reason: 'Needs account admin rights.',
    });
  });

  it('risk signals escalate at once: a legal threat never waits at tier 1', async () => {
    const { id } = await openCase(
      'Final warning',
      'My lawyer will take legal action if you do not refund me.',
    );
    const d = await until(
      id,
      (x) => x.complaint.waitingFor === 'agent' && x.complaint.tier >= 2,
      'risk escalation',
    );
    expect(d.complaint.investigation?.riskSignals.map((r) => r.signal)).toContain('legal_threat');
    expect(audits(d, 'escalate')[0]?.details).toMatchObject({ cause: 'risk_signal', fromTier: 1 });
  });

  it('an agent closes a duplicate into the original, of the same customer and still open only', async () => {
    const first = await openCase('Double charge', 'I was charged twice for order 77.');
    const second = await openCase('Double charge again', 'Charged twice for order 77!', first.customer);
    const stranger = await openCase('Charged twice', 'Order 78 was charged twice.');
    await waitingFor(stranger.id, 'agent');
    // Another customer's complaint: their later mail would be filed on the other customer's case.
    const crossed = await post(stranger.id, 'close', { reason: 'duplicate', mergedInto: first.id });
    expect(crossed.status).toBe(409);
    expect(JSON.stringify(crossed.body)).toContain('another customer');
    await waitingFor(second.id, 'agent');
    expect((await post(second.id, 'close', { reason: 'duplicate' })).status).toBe(400);
    expect((await post(second.id, 'close', { reason: 'duplicate', mergedInto: first.id })).status).toBe(202);
    const closed = await until(second.id, (d) => d.complaint.status === 'closed', 'closed');
    expect(closed.complaint.closure).toMatchObject({ reason: 'duplicate', mergedInto: first.id });
    // Back into the one just merged: closed, so it would leave both complaints closed.
    await waitingFor(first.id, 'agent');
    const cycle = await post(first.id, 'close', { reason: 'duplicate', mergedInto: second.id });
    expect(cycle.status).toBe(409);
    expect(JSON.stringify(cycle.body)).toContain('closed or closing');
  });

  it('a customer mail after the resolution reopens the complaint under a new execution', async () => {
    const { id, customer, replyTo } = await openCase('Scratched phone', 'The screen is scratched.');
    await waitingFor(id, 'agent');
    await post(id, 'resolution', refund(50));
    await until(
      id,
      (d) => d.complaint.status === 'resolved' || d.complaint.waitingFor === 'follow_up',
      'resolved',
    );
    await sendMail(stack.endpoints, {
      from: customer,
      to: replyTo,
      subject: 'Re: Scratched phone',
      text: 'Still not happy.',
    });
    const reopened = await until(
      id,
      (d) => d.complaint.waitingFor === 'agent' && (d.complaint.reopenCount ?? 0) > 0,
      'reopened',
    );
    expect(reopened.complaint.priority).toBe('high');
  });

  it('a step that fails for good puts the complaint in the manager queue; the manager resolves it', async () => {
    const { id, customer } = await openCase('Test of a failing step', 'Hello, my order is wrong.');
    await waitingFor(id, 'agent');
    const complaint = await store.get(id);
    // A decision the definition does not know: RouteDecision hands it to RecordFailure like a failed step.
    await sfn.send(
      new SendTaskSuccessCommand({
        taskToken: complaint?.taskToken as string,
        output: '{"action":"teleport"}',
      }),
    );
    const attention = await waitingFor(id, 'attention');
    expect(attention.complaint).toMatchObject({
      status: 'needs_attention',
      failure: { state: 'RouteDecision', error: 'UnknownDecision' },
    });
    expect(audits(attention, 'recordFailure')[0]?.details).toMatchObject({ managerAlert: true });
    await waitForMail(stack.endpoints, `manager@${mailDomain}`, new RegExp(attention.complaint.reference));
    const queue = await api<{ items: { id: string }[] }>(
      stack.endpoints,
      'GET',
      '/complaints?queue=manager',
      {
        token: token('manager'),
      },
    );
    expect(queue.body.items.map((c) => c.id)).toContain(id);
    expect((await post(id, 'resolution', refund(300), 'manager')).status).toBe(202);
    await waitForMail(stack.endpoints, customer, /Refund of 300 EUR/);
    const resolved = await until(id, (d) => d.complaint.resolution !== undefined, 'resolved by the manager');
    expect(resolved.complaint.resolution).toMatchObject({ amount: 300, appliedBy: { role: 'manager' } });
  });

  it('an acknowledgement that cannot be sent is recorded and the complaint is investigated all the same; a step failing after its acknowledgement went out records none', async () => {
    // Both at once: each spends the first step's retries.
    const failed = async () => {
      const customer = `customer${++sequence}.${Date.now().toString(36)}@example.org`;
      await sendMail(stack.endpoints, { from: customer, subject: `No ack ${failMarker}`, text: 'Hello.' });
      const found = await waitFor(async () => {
        const complaints = await store.byCustomer(customer, { limit: 1 });
        return complaints.items[0];
      }, 'the complaint');
      const d = await waitingFor(found.id, 'agent');
      expect(audits(d, 'acknowledgementFailed')[0]?.details).toMatchObject({ error: 'InjectedFailure' });
    };
    // AcknowledgeAndInvestigate sends the mail and investigates, then fails every attempt (a Lambda
    // timeout looks so): AcknowledgementFailed finds the mail sent, and Investigate finds the work done.
    const failedAfterWork = async () => {
      const { id, customer } = await openCase(`Slow step ${failAfterWorkMarker}`, 'My order is late.');
      const d = await waitingFor(id, 'agent');
      expect(audits(d, 'acknowledgementFailed')).toEqual([]);
      expect(audits(d, 'startInvestigation')).toHaveLength(1);
      expect(
        (await mailbox(stack.endpoints.mailbox.url)).filter((m) => m.destination.to.includes(customer)),
      ).toHaveLength(1);
    };
    await Promise.all([failed(), failedAfterWork()]);
  });
});

// The paths that wait on time, one after the other: each skips the shared virtual clock while the stack
// rests, which would cut short the waits of paths running beside it.
describe('lifecycle paths that wait on time (virtual clock)', { timeout: 90_000 }, () => {
  it('happy path: resolved within authority, follow-up call, satisfied -> closed', async () => {
    const { id, customer } = await openCase('Parcel late', 'My parcel is a week late, please help.');
    await waitingFor(id, 'agent');
    expect((await post(id, 'resolution', refund(40))).status).toBe(202);
    await waitForMail(stack.endpoints, customer, /Refund of 40 EUR/);
    // The call is due two business days after the resolution.
    await skip(id, 'FollowUpDelay');
    const call = await waitingFor(id, 'follow_up');
    expect(call.complaint.status).toBe('awaiting_follow_up');
    expect(
      (await post(id, 'follow-up', { outcome: 'satisfied', note: 'Happy with the refund.' })).status,
    ).toBe(202);
    const closed = await until(id, (d) => d.complaint.status === 'closed', 'closed');
    expect(closed.complaint.closure?.reason).toBe('satisfied');
    expect(closed.complaint.resolution).toMatchObject({
      amount: 40,
      authorityLimit: 100,
      appliedBy: { role: 'tier1' },
    });
  });

  it('approval SLA missed: the proposal moves up to tier 3', async () => {
    const { id } = await openCase('Wrong invoice', 'You charged me for a service I never ordered.');
    await waitingFor(id, 'agent');
    await post(id, 'resolution', refund(800));
    await waitingFor(id, 'approval');
    await skip(id, 'AwaitApproval');
    const moved = await until(
      id,
      (d) => d.complaint.proposal?.approverRole === 'tier3',
      'approval escalated',
    );
    expect(audits(moved, 'escalate')[0]?.details).toMatchObject({
      cause: 'approval_timeout',
      fromRole: 'tier2',
      toRole: 'tier3',
    });
  });

  it('request info unanswered: one reminder, then closed as abandoned and the customer is told', async () => {
    const { id, customer } = await openCase('Refund status', 'Where is my refund?');
    await waitingFor(id, 'agent');
    await post(id, 'info-requests', { question: 'What is your order number?' });
    await skip(id, 'AwaitCustomer');
    await waitForMail(stack.endpoints, customer, /still waiting for your answer/);
    await skip(id, 'AwaitCustomerAfterReminder');
    await waitForMail(stack.endpoints, customer, /we have closed your complaint/);
    const closed = await until(id, (d) => d.complaint.status === 'closed', 'closed');
    expect(closed.complaint.closure?.reason).toBe('abandoned');
  });

  it('SLA breach escalates a complaint nobody answers', async () => {
    const { id } = await openCase('No answer', 'Nobody has answered me.');
    // The agent's wait wakes at the warning mark (80% of a business day), then at the deadline.
    await skip(id, 'AwaitAgent');
    await until(id, (d) => audits(d, 'warnSla').length > 0, 'SLA warning');
    await skip(id, 'AwaitAgent');
    const up = await until(id, (d) => audits(d, 'escalate').length > 0, 'breach escalation');
    expect(audits(up, 'escalate')[0]?.details).toMatchObject({ cause: 'sla_breach', fromTier: 1, toTier: 2 });
    // The warning came first, once, at 80% of the target, and the breach still escalated on time.
    const [warning, ...more] = audits(up, 'warnSla');
    expect(more).toEqual([]);
    expect(warning?.details).toMatchObject({ target: 'firstResponse' });
    const { warnAt, dueAt } = (warning?.details ?? {}) as { warnAt: string; dueAt: string };
    expect(warning?.at && warning.at >= warnAt && warning.at < dueAt).toBe(true);
    expect((audits(up, 'escalate')[0]?.at ?? '') >= dueAt).toBe(true);
  });

  it('unreachable at every call, then the survey link: an unsatisfied answer reopens at priority + 1', async () => {
    const { id, customer } = await openCase('Damaged sofa', 'The sofa has a tear.');
    await waitingFor(id, 'agent');
    await post(id, 'resolution', {
      type: 'replacement',
      summary: 'A new sofa is on its way.',
      rootCause: 'warehouse_error',
    });
    await callUnreachable(id);
    const survey = await waitForMail(stack.endpoints, customer, /Are you satisfied/);
    const link = /(http\S+answer=unsatisfied)/.exec(survey.body.text ?? '')?.[1] as string;
    const before = (await detail(id)).complaint.priority;
    await waitingFor(id, 'survey');
    // Opening the link (as a mail scanner does) changes nothing: the page asks the customer to confirm.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post">');
    expect((await detail(id)).complaint.waitingFor).toBe('survey');
    const confirm = () =>
      fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'answer=unsatisfied',
      });
    // A form giving the answer twice cannot say which the customer meant: refused, the case still waits.
    const twice = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'answer=unsatisfied&answer=satisfied',
    });
    expect(twice.status).toBe(400);
    expect(twice.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await detail(id)).complaint.waitingFor).toBe('survey');
    const answered = await confirm();
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('reopened');
    // Idempotent: a second post finds the answer recorded.
    const again = await confirm();
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('already have your answer');
    const reopened = await until(id, (d) => d.complaint.waitingFor === 'agent', 'reopened');
    expect(reopened.complaint.priority).not.toBe(before);
    expect(reopened.complaint.reopenCount).toBe(1);
  });

  it('survey link unanswered until it expires: closed without response', async () => {
    const { id } = await openCase('Wrong colour', 'I ordered blue and got red.');
    await waitingFor(id, 'agent');
    await post(id, 'resolution', {
      type: 'apology',
      summary: 'We are sorry about the mix-up.',
      rootCause: 'warehouse_error',
    });
    await callUnreachable(id);
    // The link lives 14 days.
    await skip(id, 'AwaitSurvey');
    const closed = await until(id, (d) => d.complaint.status === 'closed', 'closed after the link expired');
    expect(closed.complaint.closure?.reason).toBe('no_response');
  });

  it('an unsatisfied call reopens; an overdue call moves to the next tier', async () => {
    const { id } = await openCase('Cold food', 'The delivery arrived cold.');
    await waitingFor(id, 'agent');
    await post(id, 'resolution', refund(20));
    await skip(id, 'FollowUpDelay');
    await waitingFor(id, 'follow_up');
    await post(id, 'follow-up', { outcome: 'unsatisfied', note: 'Wants a voucher too.' });
    const reopened = await until(
      id,
      (d) => d.complaint.waitingFor === 'agent' && audits(d, 'requeue').length > 0,
      'reopened',
    );
    expect(audits(reopened, 'requeue')[0]?.details).toMatchObject({ reason: 'unsatisfied' });
    await post(id, 'resolution', refund(30));
    await skip(id, 'FollowUpDelay');
    await waitingFor(id, 'follow_up');
    // Nobody calls within the call's target (one business day).
    await skip(id, 'FollowUpCall');
    const overdue = await until(
      id,
      (d) =>
        d.complaint.tier === 2 && audits(d, 'escalate').some((e) => e.details?.cause === 'follow_up_overdue'),
      'follow-up overdue',
    );
    expect(overdue.complaint.tier).toBe(2);
  });

  it('a decision whose hand-over died is released by the escalation once its wait times out', async () => {
    const { id } = await openCase('Lost decision', 'My refund decision never arrived.');
    await waitingFor(id, 'agent');
    const waiting = (await store.get(id)) as Complaint;
    // What the API's accepting write leaves when its process dies before SendTaskSuccess, a while ago.
    const agent = { kind: 'agent' as const, id: 'dev-tier1', role: 'tier1' as const };
    const resolution = { ...refund(40), type: 'refund' as const, appliedBy: agent, authorityLimit: 100 };
    const acceptedAt = new Date(Date.now() - (abandonedDecisionSeconds + 1) * 1000);
    const decision = { action: 'resolve' as const, resolution, decisionId: 'lost-1' };
    const accepted = acceptDecision(waiting, decision, agent, acceptedAt);
    await store.save(accepted.complaint, [accepted.audit], { taskToken: waiting.taskToken as string });
    // The wait wakes at the SLA warning mark, then at the deadline, where the escalation releases it.
    await skip(id, 'AwaitAgent');
    await skip(id, 'AwaitAgent');
    const up = await until(
      id,
      (d) => audits(d, 'escalate').length > 0 && d.complaint.waitingFor === 'agent',
      'released and escalated',
    );
    expect(audits(up, 'releaseDecision')[0]?.details).toMatchObject({
      reason: 'decision_abandoned',
      decisionId: 'lost-1',
    });
    expect(up.complaint).toMatchObject({ status: 'awaiting_agent', tier: 2 });
    expect(up.complaint.resolution).toBeUndefined();
  });

  it('a decision asked again after its hand-over died is completed by the retry (202), not left waiting', async () => {
    const { id } = await openCase('Retried decision', 'My refund decision got lost.');
    await waitingFor(id, 'agent');
    const waiting = (await store.get(id)) as Complaint;
    // What the API's accepting write leaves when its process dies before SendTaskSuccess: the decision
    // under the id the request names (route, caller, version, body).
    const body = JSON.stringify(refund(40));
    const agent = { kind: 'agent' as const, id: 'dev-tier1', role: 'tier1' as const };
    const routeKey = 'POST /complaints/{id}/resolution';
    const decisionId = decisionIdOf({ actor: agent, event: { routeKey, body } }, waiting.version);
    const resolution = { ...refund(40), type: 'refund' as const, appliedBy: agent, authorityLimit: 100 };
    const accepted = acceptDecision(
      waiting,
      { action: 'resolve', resolution, decisionId },
      agent,
      new Date(),
    );
    await store.save(accepted.complaint, [accepted.audit], { taskToken: waiting.taskToken as string });
    const send = (text: string, version: number) =>
      api(stack.endpoints, 'POST', `/complaints/${id}/resolution`, {
        token: token('tier1'),
        body: text,
        headers: { 'if-match': `"${version}"` },
      });
    // Another request is refused as before: another body, or the version the decision wrote.
    expect((await send(JSON.stringify(refund(41)), waiting.version)).status).toBe(409);
    expect((await send(body, accepted.complaint.version)).status).toBe(409);
    // The client's retry of the same request completes the hand-over, and again changes nothing more.
    expect((await send(body, waiting.version)).status).toBe(202);
    const applied = await until(id, (d) => d.complaint.resolution !== undefined, 'the resolution applied');
    expect(applied.complaint.resolution).toMatchObject({ type: 'refund', amount: 40 });
    expect(audits(applied, 'releaseDecision')).toEqual([]);
    expect((await send(body, waiting.version)).status).toBe(409);
  });

  it('a Lambda step failing for good is caught and recorded with the state name', async () => {
    // The first step acknowledges, then hands the failing investigation to the Investigate state, whose
    // failure is recorded as its own: not as the acknowledgement's.
    const { id } = await openCase(`Fail the investigation ${investigationFailMarker}`, 'Please help.');
    const attention = await waitingFor(id, 'attention');
    expect(attention.complaint).toMatchObject({
      status: 'needs_attention',
      failure: { state: 'Investigate', error: 'InjectedFailure' },
    });
    expect(audits(attention, 'acknowledgementFailed')).toEqual([]);
    // Unanswered by the manager until its target: recorded (and alerted) again, still the manager's.
    await skip(id, 'AwaitAttention');
    const again = await until(
      id,
      (d) => d.complaint.failure?.state === 'AwaitAttention' && d.complaint.waitingFor === 'attention',
      'the unanswered failure recorded again',
    );
    expect(again.complaint.failure).toMatchObject({ error: 'States.Timeout' });
    expect(audits(again, 'recordFailure')).toHaveLength(2);
    // The manager hands it back to the agents: one tier up, waiting for an agent again.
    expect((await post(id, 'escalation', { reason: 'Investigate by hand.' }, 'manager')).status).toBe(202);
    await until(id, (d) => d.complaint.waitingFor === 'agent' && d.complaint.tier === 2, 'back with tier 2');
  });
});

describe('state coverage', () => {
  it('the paths above entered every state of the synthesized definition', async () => {
    const { definition } = synthesizeWorkflow({ policyProfile: 'standard' });
    const states = Object.keys(definition.States as Record<string, unknown>);
    const entered = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: stack.endpoints.stepfunctions.stateMachineArn,
          nextToken,
        }),
      );
      for (const execution of page.executions ?? []) {
        const history = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn: execution.executionArn, maxResults: 1000 }),
        );
        for (const event of history.events ?? []) {
          if (event.stateEnteredEventDetails?.name) entered.add(event.stateEnteredEventDetails.name);
        }
      }
      nextToken = page.nextToken;
    } while (nextToken);
    expect(states.filter((s) => !entered.has(s))).toEqual([]);
    expect((await mailbox(stack.endpoints.mailbox.url)).length).toBeGreaterThan(20);
  });

  it('kept no customer address and no free text in execution inputs, outputs and history', async () => {
    // What the paths above typed: execution history (90 days on AWS, and the execution log) is out of
    // erasure's reach, so decisions reach the workflow as ids and routing only (workflows/contract.ts).
    const personal = [
      /@example\.org/,
      /Refund of \d+ EUR/,
      /Offer a replacement first/,
      /Which item is missing/,
      /What is your order number/,
      /The charger/,
      /Needs account admin rights/,
      /A new sofa is on its way/,
      /We are sorry about the mix-up/,
      /Still not happy/,
      /Investigate by hand/,
    ];
    const folder = join(dataDir, 'stepfunctions');
    // Durable records only: a write in flight goes through a temporary file that is renamed.
    const files = (await readdir(folder, { recursive: true, withFileTypes: true })).filter(
      (f) => f.isFile() && !f.name.endsWith('.tmp'),
    );
    expect(files.length).toBeGreaterThan(10);
    const hits: string[] = [];
    for (const file of files) {
      const text = await readFile(join(file.parentPath, file.name), 'utf8').catch(() => '');
      for (const pattern of personal) if (pattern.test(text)) hits.push(`${file.name}: ${pattern}`);
    }
    expect(hits).toEqual([]);
  });
});

describe('domain events and manager reports', () => {
  it('hold exactly one event per committed change, and every report figure equals a full recount', async () => {
    // Every day the virtual clock went through.
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);
    const [from, to] = [day(startedAt - 86_400_000), day(Date.now() + 86_400_000)];
    // The workflow goes on (timers) while this reads: poll until the log and the reports have caught up.
    const settled = await waitFor(
      async () => {
        await stack.drainEvents();
        const committed = await committedEvents(stack);
        const logged = await loggedEvents(stack);
        const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId).sort();
        if (JSON.stringify(ids(committed)) !== JSON.stringify(ids(logged))) return undefined;
        const viaApi = await reportsViaApi(stack, from, to);
        const recount = await reportsRecounted(committed, from, to);
        return JSON.stringify(viaApi) === JSON.stringify(recount) ? { committed, logged, viaApi } : undefined;
      },
      'the event log and the reports to match the committed changes',
      60_000,
    );
    const { committed, logged, viaApi } = settled;
    expect(new Set(logged.map((e) => e.eventId)).size).toBe(logged.length);
    expect(new Set(committed.map((e) => e.type))).toEqual(
      new Set([
        'ComplaintOpened',
        'ComplaintEscalated',
        'SlaWarning',
        'SlaBreached',
        'ResolutionProposed',
        'ResolutionApproved',
        'ResolutionRejected',
        'ResolutionApplied',
        'CustomerContacted',
        'FollowUpCompleted',
        'SurveyAnswered',
        'ComplaintReopened',
        'ComplaintClosed',
      ]),
    );
    expect(JSON.stringify(logged)).not.toMatch(/@/);
    // A few figures recounted straight from the events, not through the report code.
    const byTier = viaApi[`/reports/sla?from=${from}&to=${to}&groupBy=tier`] as {
      rows: { resolutions: number; breaches: number }[];
    };
    const total = (k: 'resolutions' | 'breaches') => byTier.rows.reduce((a, r) => a + r[k], 0);
    expect(total('resolutions')).toBe(committed.filter((e) => e.type === 'ResolutionApplied').length);
    expect(total('breaches')).toBe(committed.filter((e) => e.type === 'SlaBreached').length);
    const atRisk = viaApi[`/reports/at-risk?from=${from}&to=${to}&limit=500`] as {
      rows: { reasons: string[] }[];
    };
    expect(atRisk.rows.flatMap((r) => r.reasons)).toEqual(
      expect.arrayContaining(['legal_threat', 'reopened']),
    );
  });

  it('are for managers only, refuse bad parameters with problem details, and answer CSV', async () => {
    const get = (path: string, role: AgentRole = 'manager', accept = 'application/json') =>
      fetch(`${stack.endpoints.api.url}${path}`, {
        headers: { authorization: `Bearer ${token(role)}`, accept },
      });
    expect((await get('/reports/workload', 'tier3')).status).toBe(403);
    for (const bad of [
      '/reports/sla?groupBy=colour',
      '/reports/sla?from=2026-01-01',
      '/reports/sla?from=2026-02-01&to=2026-01-01',
      '/reports/sla?from=2024-01-01&to=2026-01-01',
      '/reports/csat?from=yesterday&to=today',
      '/reports/recurring?weeks=500',
      '/reports/recurring?to=0000-01-01',
      '/reports/csat?from=1969-12-01&to=1969-12-31',
      '/reports/at-risk?from=9999-12-31&to=10000-01-01',
      '/reports/at-risk?limit=0',
      '/reports/at-risk?limit=501',
      '/reports/at-risk?cursor=forged.cursor',
      '/reports/at-risk?from=2026-01-01',
    ]) {
      const res = await get(bad);
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(((await res.json()) as { issues: unknown[] }).issues.length, bad).toBeGreaterThan(0);
    }
    const csv = await get('/reports/sla?groupBy=priority', 'manager', 'text/csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const [header] = (await csv.text()).split('\r\n');
    expect(header?.split(',')).toEqual(
      expect.arrayContaining(['group', 'firstResponseCompliance', 'breaches']),
    );
  });
});

describe.runIf(replay)('replay safety', () => {
  it('running every step twice, and the previous step again late, changed nothing', () => {
    expect(replay?.counts.replays).toBeGreaterThan(50);
    expect(replay?.counts.stale).toBeGreaterThan(20);
    expect(replay?.findings).toEqual([]);
  });
});
