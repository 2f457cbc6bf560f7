import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentRoles } from '../../functions/core/policy';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import { api, sendMail, waitFor } from '../../scripts/local/localStackClient';

/**
 * Shared set-up of the agent-API integration tests: one fast-profile stack per test file whose agent
 * and approval waits last minutes (nothing times out while a test drives the API), and a quick way to
 * open many complaints that wait for an agent.
 */
export interface ApiTestStack {
  stack: LocalStack;
  dataDir: string;
  close(): Promise<void>;
}

const longWaits = { firstResponseSeconds: 900, resolutionSeconds: 1800 };

export async function startApiTestStack(name: string, policy: Record<string, unknown> = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), `complaints-${name}-`));
  const override = JSON.stringify({
    sla: { targets: { low: longWaits, normal: longWaits, high: longWaits, urgent: longWaits } },
    approval: { responseSeconds: 900 },
    // Many customers writing at once must not turn into a recurring-issue escalation here.
    investigation: {
      historyDays: 90,
      repeatComplainerThreshold: 3,
      duplicateWindowDays: 7,
      recurring: { windowSeconds: 600, minCustomers: 1_000_000 },
    },
    ...policy,
  });
  const stack = await startLocalStack({
    dataDir,
    quiet: true,
    profile: 'fast',
    policy: override,
    inMemoryDynamoDb: true,
  });
  return {
    stack,
    dataDir,
    async close() {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  } satisfies ApiTestStack;
}

export interface ComplaintView {
  id: string;
  status: string;
  tier: number;
  version: number;
  customerEmail: string;
  waitingFor?: string;
}

/** Every complaint in every agent queue (all pages). */
async function queued(stack: LocalStack): Promise<ComplaintView[]> {
  const all: ComplaintView[] = [];
  for (const queue of agentRoles) {
    let cursor: string | undefined;
    do {
      const query = `queue=${queue}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api<{ items: ComplaintView[]; cursor?: string }>(
        stack.endpoints,
        'GET',
        `/complaints?${query}`,
        { token: stack.endpoints.tokens.manager },
      );
      all.push(...page.body.items);
      cursor = page.body.cursor;
    } while (cursor);
  }
  return all;
}

let opened = 0;

/**
 * `count` customers write in (distinct senders, plain text); resolves with the complaints once each waits
 * for an agent (at the tier the investigation chose: a legal threat waits at tier 3).
 */
export async function openComplaints(
  stack: LocalStack,
  count: number,
  timeoutMs = 30_000,
  mail = { subject: 'Order question', text: 'My order arrived late.' },
  /** The senders, one per complaint (the same one twice: two complaints of one customer). */
  senders?: string[],
) {
  const run = `${process.pid}.${Date.now().toString(36)}`;
  const customers = senders ?? Array.from({ length: count }, () => `customer${++opened}.${run}@example.org`);
  for (let i = 0; i < customers.length; i += 10) {
    await Promise.all(customers.slice(i, i + 10).map((from) => sendMail(stack.endpoints, { from, ...mail })));
  }
  const wanted = new Set(customers);
  return waitFor(
    async () => {
      const ready = (await queued(stack)).filter(
        (c) => wanted.has(c.customerEmail) && c.status === 'awaiting_agent' && c.waitingFor === 'agent',
      );
      return ready.length === count ? ready : undefined;
    },
    `${count} complaints waiting for an agent`,
    timeoutMs,
  );
}
