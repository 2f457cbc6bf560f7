import { createTransport } from 'nodemailer';
import type { Complaint } from '../functions/core/complaint';
import type { LocalStack } from '../scripts/local/localStack';
import { api } from '../scripts/local/localStackClient';
import { ComplaintWatcher } from './complaintWatcher';

/** The stack process's heap after a full collection (the runner starts suites with --expose-gc), MB. */
export function heapMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  // Two passes: the first may leave what finalizers released for the second.
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

/**
 * Drives complaints through the local stack as customers and agents would: a customer's mail over
 * SMTP, then an agent's resolution within authority and a satisfied follow-up call through the API.
 * One poller watches all the complaints (bench/complaintWatcher.ts), past the request counter.
 */
export function lifecycleDriver(stack: LocalStack, rawDynamoDbEndpoint: string) {
  const { endpoints } = stack;
  const transport = createTransport({
    host: endpoints.smtp.host,
    port: endpoints.smtp.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 5,
  });
  const runId = Date.now().toString(36);
  const watcher = new ComplaintWatcher(rawDynamoDbEndpoint);
  const waiting = (id: string, kind: string) =>
    watcher.complaint(
      id,
      (c) => c.waitingFor === kind && c.status !== 'deciding' && c.taskToken !== undefined,
    );
  // An agent of the complaint's tier acts on it (the tier rule): tier 1, or above once it escalated.
  const agentOf = (c: Pick<Complaint, 'tier'>) => endpoints.tokens[`tier${c.tier}`];

  return {
    watcher,
    /** Mails in a complaint and returns it once it waits for an agent. */
    async open(i: number | string) {
      const from = `lifecycle${i}.${runId}@bench.example`;
      await transport.sendMail({
        from,
        to: endpoints.supportAddress,
        subject: `Order ${runId}-${i} arrived scratched`,
        text: 'The table top is scratched.',
      });
      return watcher.queued(from, (c) => c.waitingFor === 'agent' && c.taskToken !== undefined);
    },
    /** Resolves a complaint waiting for an agent, answers its follow-up call, and waits until it is closed. */
    async resolveAndClose(id: string) {
      // 409: the complaint moved on between the read and the write (on a loaded machine the SLA warning
      // re-registers the wait a few seconds in): read it again and decide again, as an agent would.
      for (let attempt = 1; ; attempt++) {
        const read = await waiting(id, 'agent');
        const resolution = await api(endpoints, 'POST', `/complaints/${id}/resolution`, {
          token: agentOf(read),
          body: {
            type: 'apology',
            summary: 'We are sorry about the scratch.',
            rootCause: 'warehouse_error',
            version: read.version,
          },
        });
        if (resolution.status < 300) break;
        if (resolution.status !== 409 || attempt === 5) {
          throw new Error(`resolution of ${id} answered ${resolution.status}`);
        }
      }
      const resolved = await waiting(id, 'follow_up');
      const call = await api(endpoints, 'POST', `/complaints/${id}/follow-up`, {
        token: agentOf(resolved),
        body: { outcome: 'satisfied', version: resolved.version },
      });
      if (call.status >= 300) throw new Error(`follow-up of ${id} answered ${call.status}`);
      await watcher.complaint(id, (c) => c.status === 'closed');
    },
    close() {
      transport.close();
      watcher.close();
    },
  };
}

/** Runs `work(i)` for i in [0, count), `concurrency` at a time; `onDone(n)` after each. */
export async function inParallel(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
  onDone?: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        await work(i);
        onDone?.(++done);
      }
    }),
  );
}
