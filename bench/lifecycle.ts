import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { createTransport } from 'nodemailer';
import type { LocalStack } from '../scripts/local/localStack';
import { api, waitFor } from '../scripts/local/localStackClient';
import type { Figure } from './report';

/** Step Functions Standard price per state transition (us-east-1 list price, per 1,000). */
const pricePer1000Transitions = 0.025;

interface Detail {
  complaint: { id: string; status: string; version: number; tier: 1 | 2 | 3; waitingFor?: string };
}

/** Billed state transitions of an execution: every state entered (AWS counts each step executed). */
async function transitions(sfn: SFNClient, executionArn: string): Promise<number> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events.filter((e) => e.type?.endsWith('StateEntered')).length;
}

/**
 * Whole-lifecycle throughput on the fast profile: `count` complaints, each from the customer's mail to
 * closed (resolution within authority, follow-up call, satisfied), driven `concurrency` at a time through
 * SMTP and the agent API. One more complaint is left unanswered until its SLA breaches, then resolved the
 * same way, to count the transitions of an escalated complaint.
 */
export async function measureLifecycle(stack: LocalStack, count = 200, concurrency = 20): Promise<Figure[]> {
  const { endpoints } = stack;
  const tier1 = endpoints.tokens.tier1;
  const transport = createTransport({
    host: endpoints.smtp.host,
    port: endpoints.smtp.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 5,
  });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const sfn = new SFNClient({ endpoint: endpoints.stepfunctions.endpoint, region: 'us-east-1', credentials });
  const executionArn = (id: string) =>
    `${endpoints.stepfunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
  const runId = Date.now().toString(36);

  const until = (id: string, predicate: (d: Detail) => boolean, timeoutMs = 120_000) =>
    waitFor(
      async () => {
        const d = (await api<Detail>(endpoints, 'GET', `/complaints/${id}`, { token: tier1 })).body;
        return predicate(d) ? d : undefined;
      },
      `complaint ${id}`,
      timeoutMs,
    );
  const waiting = (id: string, kind: string) =>
    until(id, (d) => d.complaint.waitingFor === kind && d.complaint.status !== 'deciding');

  /** Mails in a complaint and returns its id once intake has filed it. */
  async function open(i: number | string): Promise<string> {
    const subject = `Order ${runId}-${i} arrived scratched`;
    await transport.sendMail({
      from: `lifecycle${i}.${runId}@bench.example`,
      to: endpoints.supportAddress,
      subject,
      text: 'The table top is scratched.',
    });
    return waitFor(
      async () => {
        const page = await api<{ items: { id: string; subject: string }[] }>(
          endpoints,
          'GET',
          '/complaints?limit=100',
          { token: tier1 },
        );
        return page.body.items.find((c) => c.subject === subject)?.id;
      },
      `complaint ${i} in the queue`,
      120_000,
    );
  }

  // An agent of the complaint's tier acts on it (the tier rule): tier 1, or above once it escalated.
  const agentOf = (d: Detail) => endpoints.tokens[`tier${d.complaint.tier}`];

  async function resolveAndClose(id: string) {
    const read = await waiting(id, 'agent');
    await api(endpoints, 'POST', `/complaints/${id}/resolution`, {
      token: agentOf(read),
      body: {
        type: 'apology',
        summary: 'We are sorry about the scratch.',
        rootCause: 'warehouse_error',
        version: read.complaint.version,
      },
    });
    const resolved = await waiting(id, 'follow_up');
    await api(endpoints, 'POST', `/complaints/${id}/follow-up`, {
      token: agentOf(resolved),
      body: { outcome: 'satisfied', version: resolved.complaint.version },
    });
    await until(id, (d) => d.complaint.status === 'closed');
  }

  const escalated = (async () => {
    const id = await open('escalated');
    await until(id, (d) => d.complaint.waitingFor === 'agent' && d.complaint.status === 'awaiting_agent');
    // Leave it alone until the first-response target breaches and the workflow escalates it.
    await waitFor(
      async () => {
        const d = await api<{ timeline: { action?: string }[] }>(endpoints, 'GET', `/complaints/${id}`, {
          token: tier1,
        });
        return d.body.timeline.some((e) => e.action === 'escalate') || undefined;
      },
      'the SLA breach',
      120_000,
    );
    await resolveAndClose(id);
    return id;
  })();

  const started = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const id = await open(i);
        await resolveAndClose(id);
        ids.push(id);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const escalatedId = await escalated;
  transport.close();

  const happy = await transitions(sfn, executionArn(ids[0] as string));
  const escalatedTransitions = await transitions(sfn, executionArn(escalatedId));
  const conditions = `fast profile, ${count} complaints, ${concurrency} at a time`;
  return [
    {
      benchmark: 'lifecycle',
      metric: 'complaints/s (mail -> closed satisfied)',
      value: count / seconds,
      unit: 'complaints/s',
      conditions,
    },
    {
      benchmark: 'lifecycle',
      metric: 'state transitions, happy path',
      value: happy,
      unit: 'transitions',
      conditions: 'from the execution history',
    },
    {
      benchmark: 'lifecycle',
      metric: 'state transitions, escalated once',
      value: escalatedTransitions,
      unit: 'transitions',
      conditions: 'SLA breach, then resolved',
    },
    {
      benchmark: 'lifecycle',
      metric: 'Step Functions cost per 1,000 happy-path complaints',
      value: happy * pricePer1000Transitions,
      unit: 'USD',
      conditions: '$0.025 per 1,000 transitions',
    },
    {
      benchmark: 'lifecycle',
      metric: 'Step Functions cost per 1,000 escalated complaints',
      value: escalatedTransitions * pricePer1000Transitions,
      unit: 'USD',
      conditions: '$0.025 per 1,000 transitions',
    },
  ];
}
