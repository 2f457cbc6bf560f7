import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../functions/core/complaint';
import type { AgentRole, Priority } from '../../functions/core/policy';
import { slaBudget } from '../../functions/core/sla';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, mailbox, sendMail, waitForMail } from '../../scripts/local/localStackClient';
import { synthesizeWorkflow } from '../../scripts/local/synthesizedWorkflow';
import { complaintMail } from '../../scripts/simulator/complaintMail';
import { type ComplaintTrace, simulate } from '../../scripts/simulator/engine';
import { parseScenario, scenarioPolicy } from '../../scripts/simulator/scenario';
import { projectWorkflow, storedWorkflowGraph } from '../../scripts/simulator/workflowGraph';

/**
 * The simulator makes the state machine's decisions: a small scenario on the fast profile is simulated,
 * then each simulated complaint is replayed through the local stack (the synthesized definition, SMTP in,
 * the agent API with dev tokens) with the same inputs at each wait: the same mail, the same agent's
 * decision by the same role, the customer's answer, or no answer until the wait times out. The states
 * each complaint entered must be the same, so the counts per path are too. Times are not compared (the
 * fast profile runs on a loaded machine's wall clock), but the replay must act inside the same windows:
 * the scenario's SLA budgets (60 s to the first response, 120 s to resolution, the warning at 80%) leave
 * it 12 s between an SLA warning and the breach (with 30 and 60 s, 6 s were once too few on a slow
 * machine: the agent's resolution came after the breach, a 409). Complaints whose simulated path waits
 * out more than one person's timeout are left out to keep the replay short.
 */
const scenario = parseScenario(
  JSON.parse(
    readFileSync(new URL('../../scripts/simulator/scenarios/stack-comparison.json', import.meta.url), 'utf8'),
  ),
);
const policy = scenarioPolicy(scenario);
const replayed = 10;

let stack: LocalStack;
let dataDir: string;
let sfn: SFNClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-simulator-'));
  // The stack runs the scenario's policy: its profile and overrides, as `COMPLAINTS_POLICY` carries them.
  stack = await startLocalStack({
    dataDir,
    quiet: true,
    profile: scenario.policy.profile,
    policy: JSON.stringify(scenario.policy.overrides),
    inMemoryDynamoDb: true,
  });
  sfn = new SFNClient({
    endpoint: stack.endpoints.stepfunctions.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * Deadlines only bound a failing run: on a loaded two-core machine (CI runs two files at once) the ten
 * mails took up to a minute to reach their first wait, so they are generous.
 */
const deadlineMs = 120_000;

/**
 * Polls every 400 ms: a dozen complaints replayed at once would otherwise keep the local API busier
 * than the workflow they wait for.
 */
async function poll<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = deadlineMs,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

interface Detail {
  complaint: {
    status: string;
    version: number;
    waitingFor?: string;
    priority: Priority;
    sla?: { target: string; budgetSeconds: number };
  };
}

const personTimeouts = (t: ComplaintTrace) =>
  t.inputs.filter(
    (i) => 'timeout' in i && (i.wait === 'agent' || i.wait === 'approval' || i.wait === 'follow_up'),
  ).length;

/**
 * The simulated complaints to replay: ended (closed) within the run with at most one person's timeout
 * (two where none with one covers a state the comparison must cover); the shortest first, each taken when it enters a state none taken before entered, so that a few
 * complaints cover every path the run took.
 */
function tracesToReplay(): ComplaintTrace[] {
  const result = simulate(scenario, { trace: true, maxComplaints: 150 });
  const closedWithin = (timeouts: number) =>
    (result.traces ?? [])
      .filter((t) => t.states.at(-1) === 'Closed' && personTimeouts(t) <= timeouts)
      .sort((a, b) => a.inputs.length - b.inputs.length || a.index - b.index);
  const candidates = closedWithin(1);
  // A state no such complaint entered (which ones do depends on the run's draws) is covered by one
  // with a second person's timeout.
  const fallback = closedWithin(2);
  const covered = new Set<string>();
  const chosen: ComplaintTrace[] = [];
  const choose = (t: ComplaintTrace) => {
    chosen.push(t);
    for (const state of t.states) covered.add(state);
  };
  // First the shortest path through each state the comparison must cover, then any path adding states.
  for (const state of mustCover) {
    const t = covered.has(state)
      ? undefined
      : (candidates.find((c) => c.states.includes(state)) ?? fallback.find((c) => c.states.includes(state)));
    if (t) choose(t);
  }
  for (const t of candidates) {
    if (chosen.length >= replayed) break;
    if (!chosen.includes(t) && t.states.some((state) => !covered.has(state))) choose(t);
  }
  return chosen;
}

/**
 * The replayed paths cover approvals and rejections, requests for information answered and abandoned,
 * risk and requested escalations, SLA warnings, unreachable and overdue calls, reopening, surveys
 * answered and unanswered, and an agent's close (eleven complaints of the first 150 simulated).
 */
const mustCover = [
  'ApprovalDeadline',
  'ReturnToAgent',
  'EscalateOnRisk',
  'EscalateOnRequest',
  'AwaitCustomer',
  'ResumeAfterCustomer',
  'CloseAbandoned',
  'SlaWarningOrBreach',
  'RecordUnreachable',
  'FollowUpOverdue',
  'ReopenUnsatisfied',
  'RouteSurvey',
  'CloseNoResponse',
  'CloseByAgent',
];

/** Replays one simulated complaint; resolves with the complaint id. */
async function replay(trace: ComplaintTrace): Promise<string> {
  const { endpoints } = stack;
  const token = (role: AgentRole) => endpoints.tokens[role];
  const customer = `sim${trace.index}.${Date.now().toString(36)}@example.org`;
  const mail = complaintMail(trace.category, trace.tone, trace.risk);
  await sendMail(endpoints, { from: customer, subject: mail.subject, text: mail.text });
  const ack = await waitForMail(endpoints, customer, /CMP-[0-9A-Z]{6}/, deadlineMs);
  const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
  const found = await api<{ items: { id: string }[] }>(
    endpoints,
    'GET',
    `/complaints?reference=${reference}`,
    {
      token: token('manager'),
    },
  );
  const id = found.body.items[0]?.id as string;
  const detail = async () =>
    (await api<Detail>(endpoints, 'GET', `/complaints/${id}`, { token: token('manager') })).body.complaint;
  const post = async (path: string, role: AgentRole, body: unknown) => {
    const version = (await detail()).version;
    const res = await api(endpoints, 'POST', `/complaints/${id}/${path}`, {
      token: token(role),
      body,
      headers: { 'if-match': `"${version}"` },
    });
    expect(res.status, `${path} by ${role}: ${JSON.stringify(res.body)}`).toBe(202);
  };
  let seen = 0;
  for (const input of trace.inputs) {
    // The next wait of this kind, registered after the one before.
    const waiting = await poll(
      async () => {
        const c = await detail();
        return c.waitingFor === input.wait && c.status !== 'deciding' && c.version > seen ? c : undefined;
      },
      `complaint ${trace.index} waiting for ${input.wait} (input ${trace.inputs.indexOf(input) + 1})`,
    );
    if (seen === 0) {
      // A stack on another policy than the simulation's would take other paths, or the same ones at
      // other times: its first-response budget must be the scenario's.
      expect(waiting.sla, `complaint ${trace.index}: the stack's SLA clock`).toEqual(
        expect.objectContaining({
          target: 'firstResponse',
          budgetSeconds: slaBudget(waiting.priority, 'firstResponse', policy),
        }),
      );
    }
    seen = waiting.version;
    if ('timeout' in input) continue;
    await answer(input.decision, input.role, {
      post,
      customer,
      replyTo: ack.replyTo[0] as string,
      subject: mail.subject,
    });
  }
  await poll(async () => ((await detail()).status === 'closed' ? true : undefined), `${trace.index} closed`);
  return id;
}

/** What the simulated person did, through the API (or the customer's mail and survey page). */
async function answer(
  decision: Decision,
  role: AgentRole | undefined,
  ctx: {
    post: (path: string, role: AgentRole, body: unknown) => Promise<void>;
    customer: string;
    replyTo: string;
    subject: string;
  },
) {
  const as = role ?? 'tier1';
  const resolution = (r: { type: string; amount?: number }) => ({
    type: r.type,
    ...(r.amount !== undefined ? { amount: r.amount } : {}),
    summary: 'Resolved.',
    rootCause: 'other',
  });
  switch (decision.action) {
    case 'resolve':
      return ctx.post('resolution', as, resolution(decision.resolution));
    case 'request_approval':
      return ctx.post('resolution', as, resolution(decision.proposal.resolution));
    case 'request_info':
      return ctx.post('info-requests', as, { question: decision.question });
    case 'escalate':
      return ctx.post('escalation', as, { reason: decision.reason });
    case 'close':
      return ctx.post('close', as, { reason: decision.reason });
    case 'approve':
      return ctx.post('approval', as, { decision: 'approve' });
    case 'reject':
      return ctx.post('approval', as, { decision: 'reject', reason: decision.rejection.reason });
    case 'customer_replied':
      return void (await sendMail(stack.endpoints, {
        from: ctx.customer,
        to: ctx.replyTo,
        subject: `Re: ${ctx.subject}`,
        text: 'Here is what you asked for.',
      }));
    case 'follow_up': {
      if (decision.via !== 'survey') return ctx.post('follow-up', as, { outcome: decision.outcome });
      const surveys = (await mailbox(stack.endpoints.mailbox.url)).filter(
        (m) =>
          m.destination.to.includes(ctx.customer) &&
          /Are you satisfied/.test(m.subject + (m.body.text ?? '')),
      );
      const link = new RegExp(`(http\\S+answer=${decision.outcome})`).exec(
        surveys.at(-1)?.body.text ?? '',
      )?.[1];
      if (!link) throw new Error(`No survey link in the mail to ${ctx.customer}`);
      const res = await fetch(link, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `answer=${decision.outcome}`,
      });
      expect(res.status).toBe(200);
    }
  }
}

/**
 * The states an execution entered, in order, once it ended: the complaint reads `closed` when the
 * close step wrote it, a moment before the execution enters its final state.
 */
async function statesEntered(executionName: string): Promise<string[]> {
  const executionArn = await poll(async () => {
    const list = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stack.endpoints.stepfunctions.stateMachineArn }),
    );
    const found = list.executions?.find((e) => e.name === executionName);
    if (!found?.executionArn) throw new Error(`No execution ${executionName}`);
    return found.status === 'RUNNING' ? undefined : found.executionArn;
  }, `execution ${executionName} ended`);
  const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return (history.events ?? []).flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );
}

const countsOf = (paths: string[][]) => {
  const counts: Record<string, number> = {};
  for (const state of paths.flat()) counts[state] = (counts[state] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
};

describe('the simulator against the local stack', () => {
  it('walks the graph of the synthesized definition', () => {
    const { definition, functionArns } = synthesizeWorkflow({ policyProfile: 'fast' });
    expect(
      projectWorkflow(definition, functionArns),
      'the workflow changed: npx tsx scripts/simulator/workflowGraph.ts --write',
    ).toEqual(storedWorkflowGraph());
  });

  it('makes the same decisions: the same states entered, per complaint and in total', async () => {
    const traces = tracesToReplay();
    const simulatedStates = new Set(traces.flatMap((t) => t.states));
    for (const state of mustCover) expect(simulatedStates).toContain(state);
    const ids = await Promise.all(traces.map((t) => replay(t)));
    const stackPaths = await Promise.all(ids.map((id) => statesEntered(id)));
    traces.forEach((t, i) => {
      expect(stackPaths[i], `complaint ${t.index}`).toEqual(t.states);
    });
    expect(countsOf(stackPaths)).toEqual(countsOf(traces.map((t) => t.states)));
  }, 600_000);
});
