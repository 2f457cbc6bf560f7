import type { APIGatewayProxyEventV2WithJWTAuthorizer, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type {
  ComplaintStore,
  Mailer,
  MailLedger,
  OutboundIntent,
  OutboundMail,
  SendLease,
  WorkflowClient,
} from '../../functions/adapters/ports';
import { reply } from '../../functions/api/caseworkRoutes';
import type { RouteContext } from '../../functions/api/complaintRoutes';
import { requestInfo } from '../../functions/api/decisionRoutes';
import { OutboundMailInFlightError } from '../../functions/application/customerMail';
import type { Deps } from '../../functions/application/deps';
import { mailOwedReply } from '../../functions/application/owedReplies';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import { eraseEntry, pseudonymFor } from '../../functions/core/erasure';
import { ConflictError, StaleWriteError } from '../../functions/core/errors';
import { awaitPerson } from '../../functions/core/lifecycle';
import { policyProfiles } from '../../functions/core/policy';
import { createMailer } from '../../functions/handlers/mailOwedReplies';
import { createHandler as createContactCustomer } from '../../functions/handlers/workflow/contactCustomer';
import { testSettings } from '../support/settings';

/**
 * Agent writes that change the complaint and then mail the customer, retried after the first attempt
 * died in between (a process killed, a send that failed): the mail goes out once. An info request's
 * question is mailed by the workflow's AskCustomer step once it has the decision, whatever becomes of
 * the API call (else the customer is never asked and the complaint is closed as abandoned after the
 * reminder); the first public reply records the first response first (else the first-response target
 * counts as met by a reply the customer never got).
 */
const policy = policyProfiles.standard;
const id = 'a'.repeat(26);
const question = 'Which voucher code did you use?';
const waiting: Complaint = {
  id,
  reference: 'CMP-4F7K2Q',
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: 't',
  taskToken: 'token-1',
  waitingFor: 'agent',
  assignee: 'agent-1',
  createdAt: '2026-11-23T09:00:00Z',
  updatedAt: '2026-11-23T09:00:00Z',
  version: 3,
};

/**
 * The complaint, its timeline and the mail ledger in memory, with the store's version and token
 * conditions; the workflow registers its wait for the customer as soon as it receives the decision.
 */
function harness(faults: { succeed?: number; send?: number; slowSend?: boolean; hang?: number }) {
  let current = waiting;
  const entries: TimelineEntry[] = [];
  const intents = new Map<
    string,
    { state: string; lease: string; leaseUntil: number; sesMessageId?: string }
  >();
  const sent: OutboundMail[] = [];
  let clock = Date.parse('2026-11-23T10:00:00Z');
  const now = () => new Date(clock);
  let leases = 0;
  const unused = () => {
    throw new Error('not used here');
  };
  const store = {
    get: async (wanted: string) => (wanted === id ? current : undefined),
    save: async (
      next: Complaint,
      added: TimelineEntry[],
      condition?: { taskToken?: string },
      sendLease?: SendLease,
    ) => {
      // As the DynamoDB store: a failed condition returns the stored complaint.
      if (
        next.version - 1 !== current.version ||
        (condition?.taskToken !== undefined && condition.taskToken !== current.taskToken)
      )
        throw new StaleWriteError('stale', { complaintStatus: current.status }, { current });
      if (sendLease && intents.has(sendLease.id)) throw new Error('TransactionCanceledException');
      current = next;
      entries.push(...added);
      if (sendLease) intents.set(sendLease.id, { state: 'sending', ...sendLease });
    },
    timeline: async () => [...entries],
    withTimeline: async (wanted: string) =>
      wanted === id ? { complaint: current, timeline: [...entries] } : undefined,
    append: async (_id: string, added: TimelineEntry[]) => {
      for (const e of added) if (!entries.some((x) => x.id === e.id)) entries.push(e);
      return true;
    },
  } as unknown as ComplaintStore;
  const ledger = {
    async beginOutbound(mailId: string, at: Date, leaseSeconds: number): Promise<OutboundIntent> {
      const intent = intents.get(mailId);
      if (intent?.state === 'sent')
        return { state: 'sent', sesMessageId: intent.sesMessageId as string, at: at.toISOString() };
      // A live lease (another request is sending; one that died keeps it until it ends); a failed send
      // gives it back (abandonOutbound).
      if (intent?.state === 'sending' && intent.leaseUntil > at.getTime()) return { state: 'busy' };
      const lease = `lease-${++leases}`;
      intents.set(mailId, { state: 'sending', lease, leaseUntil: at.getTime() + leaseSeconds * 1000 });
      return { state: 'acquired', lease, at: at.toISOString() };
    },
    async completeOutbound(mailId, lease, result) {
      const intent = intents.get(mailId);
      if (intent?.lease !== lease || !('sesMessageId' in result)) return false;
      Object.assign(intent, { state: 'sent', sesMessageId: result.sesMessageId });
      if (result.entry) entries.push(result.entry);
      return true;
    },
    async abandonOutbound(mailId: string) {
      intents.delete(mailId);
    },
    recordOutboundMail: async () => {},
    findUndeliverable: async () => undefined,
  } as Partial<MailLedger> as MailLedger;
  let sendFaults = faults.send ?? 0;
  let hangs = faults.hang ?? 0;
  const mailer: Mailer = {
    send: async (mail) => {
      if (sendFaults-- > 0) throw new Error('socket hang up');
      // The process dies while SES is called: nothing is sent, the lease stays until it ends.
      if (hangs-- > 0) return new Promise<string>(() => {});
      // SES taking its time: a second request meets the first one's live lease.
      if (faults.slowSend) await new Promise((r) => setTimeout(r, 20));
      sent.push(mail);
      return `ses-${sent.length}`;
    },
  };
  let succeedFaults = faults.succeed ?? 0;
  const logger = { info: () => {}, warn: () => {}, error: () => {} };
  const services = { store, ledger, mailer, settings: testSettings(), logger, clock: now } as unknown as Deps;
  const askCustomer = createContactCustomer(services);
  /** AskCustomer, then AwaitCustomer: the wait registers once the question step succeeded. */
  const workflowRuns = async () => {
    const state = await askCustomer({ complaintId: id, kind: 'question' });
    const { complaint, audit } = awaitPerson(current, 'token-2', 'customer', 3600, policy, now());
    await store.save(complaint, [audit]);
    return state;
  };
  const workflow = {
    succeed: async (token: string) => {
      if (succeedFaults-- > 0) throw new Error('socket hang up');
      if (!current.spentTokens?.includes(token) || current.status !== 'deciding') return;
      // The workflow moves on at once; a failed step is retried by the state machine, not the API.
      await workflowRuns().catch(() => {});
    },
    start: unused,
    fail: unused,
  } as unknown as WorkflowClient;
  services.workflow = workflow;
  const event = (routeKey: string, body: Record<string, unknown>) =>
    ({
      pathParameters: { id },
      headers: {},
      routeKey,
      body: JSON.stringify(body),
      isBase64Encoded: false,
    }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
  const context = (e: APIGatewayProxyEventV2WithJWTAuthorizer) =>
    ({
      event: e,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services,
      policy,
      now,
    }) as RouteContext;
  const replyWith = (text: string) =>
    reply(context(event('POST /complaints/{id}/replies', { text, version: 3 })));
  const request = (asked = question) =>
    requestInfo({
      event: {
        pathParameters: { id },
        headers: {},
        routeKey: 'POST /complaints/{id}/info-requests',
        body: JSON.stringify({ question: asked, version: 3 }),
        isBase64Encoded: false,
      } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer,
      actor: { kind: 'agent', id: 'agent-1', role: 'tier1' },
      services,
      policy,
      now,
    } as RouteContext);
  return {
    request,
    replyWith,
    sent,
    current: () => current,
    askCustomer,
    workflowRuns,
    services,
    entries,
    erase: (email: string) => {
      const erased = entries.map((e) => eraseEntry(e, email, pseudonymFor(email)) ?? e);
      entries.splice(0, entries.length, ...erased);
      current = { ...current, customerEmail: pseudonymFor(email) };
    },
    advance: (seconds: number) => {
      clock += seconds * 1000;
    },
  };
}

describe('POST /complaints/{id}/info-requests: the workflow asks, whatever becomes of the request', () => {
  it('asks once the workflow has the decision; the API mails nothing itself', async () => {
    const h = harness({});
    expect((await h.request()).statusCode).toBe(202);
    expect(h.current()).toMatchObject({ status: 'awaiting_customer', waitingFor: 'customer' });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.text).toContain(question);
    // The same request again (its answer lost) is the decision already made: 202, asked once.
    expect((await h.request()).statusCode).toBe(202);
    expect(h.sent).toHaveLength(1);
  });

  it('asks when the first attempt died after the accepting write, before the hand-over', async () => {
    const h = harness({ succeed: 1 });
    await expect(h.request()).rejects.toThrow('socket hang up');
    expect(h.current()).toMatchObject({ status: 'deciding' });
    expect(h.sent).toHaveLength(0);

    const retried = await h.request();
    expect(retried.statusCode).toBe(202);
    expect(h.current()).toMatchObject({ status: 'awaiting_customer' });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.text).toContain(question);
  });

  it('retries a failed send in the workflow, and a replayed step asks once', async () => {
    const h = harness({ send: 1 });
    // The API's request is done once the workflow has the decision: the send is the step's to retry.
    expect((await h.request()).statusCode).toBe(202);
    expect(h.current()).toMatchObject({ status: 'deciding' });
    expect(h.sent).toHaveLength(0);
    const state = await h.workflowRuns();
    expect(state).toMatchObject({ complaintId: id, awaitSeconds: policy.infoRequest.reminderAfterSeconds });
    expect(h.sent).toHaveLength(1);
    // A replay of AskCustomer (Step Functions runs a task at least once) finds the question sent.
    await h.askCustomer({ complaintId: id, kind: 'question' });
    expect(h.sent).toHaveLength(1);
  });

  it('answers the same request sent twice at once 202 both times, and asks once', async () => {
    const h = harness({ slowSend: true });
    const both = await Promise.all([h.request(), h.request()]);
    expect(both.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(h.sent).toHaveLength(1);
  });

  it('still refuses a different question on the version the first one acted on', async () => {
    const h = harness({ succeed: 1 });
    await expect(h.request()).rejects.toThrow('socket hang up');
    await expect(h.request('Another question?')).rejects.toBeInstanceOf(ConflictError);
    expect(h.sent).toHaveLength(0);
  });
});

describe('POST /complaints/{id}/replies (the first response) retried after the first attempt died', () => {
  const text = 'We have refunded the voucher.';

  it('mails the reply when the first attempt died after recording the first response', async () => {
    const h = harness({ send: 1 });
    await expect(h.replyWith(text)).rejects.toThrow('socket hang up');
    // The first-response target counts as met, by a reply nobody has sent.
    expect(h.current().firstResponseAt).toBeDefined();
    expect(h.sent).toHaveLength(0);

    const retried = await h.replyWith(text);
    expect(retried.statusCode).toBe(201);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.text).toContain(text);
    expect((await h.replyWith(text)).statusCode).toBe(201);
    expect(h.sent).toHaveLength(1);
  });

  it('still refuses another text on the version the first one acted on', async () => {
    const h = harness({ send: 1 });
    await expect(h.replyWith(text)).rejects.toThrow('socket hang up');
    await expect(h.replyWith('Something else.')).rejects.toBeInstanceOf(ConflictError);
    expect(h.sent).toHaveLength(0);
  });
});

/**
 * The reply outbox (`mailOwedReply`, from the first response's domain event, whose id is its audit
 * entry's): the reply a first response announced reaches the customer once, whether the request that
 * recorded it mailed it, died while mailing it or failed, and not at all once the customer was erased.
 */
describe('the reply outbox mails the reply a first response owes, once', () => {
  const text = 'We have refunded the voucher.';
  /** The first response's audit entry (and event) id: the change from version 3 to 4. */
  const firstResponse = `${id}-v4`;
  const outbox = (h: ReturnType<typeof harness>) => mailOwedReply(h.services, id, firstResponse);

  it('finds the reply its request mailed and sends nothing', async () => {
    const h = harness({});
    expect((await h.replyWith(text)).statusCode).toBe(201);
    expect(h.sent).toHaveLength(1);
    expect(await outbox(h)).toBe('mailed before');
    expect(h.sent).toHaveLength(1);
  });

  it('waits while the request holds the lease, then sends the reply of a request that died', async () => {
    const h = harness({ hang: 1 });
    // The request dies while SES is called: the first response and its lease are written, no mail.
    void h.replyWith(text);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.current().firstResponseAt).toBeDefined();
    expect(h.sent).toHaveLength(0);
    // Its lease is still live: the request may be sending (retryable, the queue delivers it again).
    await expect(outbox(h)).rejects.toBeInstanceOf(OutboundMailInFlightError);
    expect(h.sent).toHaveLength(0);

    h.advance(testSettings().sendLeaseSeconds + 1);
    expect(await outbox(h)).toBe('mailed');
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]?.text).toContain(text);
    expect(h.sent[0]?.to).toEqual(['ann@example.org']);
    // Delivered again (at least once), or the agent's retry of the same request: no second mail.
    expect(await outbox(h)).toBe('mailed before');
    expect((await h.replyWith(text)).statusCode).toBe(201);
    expect(h.sent).toHaveLength(1);
  });

  it('sends at once the reply whose send failed (its lease given back)', async () => {
    const h = harness({ send: 1 });
    await expect(h.replyWith(text)).rejects.toThrow('socket hang up');
    expect(await outbox(h)).toBe('mailed');
    expect(h.sent).toHaveLength(1);
    // The agent retries all the same: answered as the first time, nothing sent again.
    expect((await h.replyWith(text)).statusCode).toBe(201);
    expect(h.sent).toHaveLength(1);
  });

  it('sends nothing to a customer erased since, whose reply text is erased too', async () => {
    const h = harness({ hang: 1 });
    void h.replyWith(text);
    await new Promise((r) => setTimeout(r, 10));
    h.erase('ann@example.org');
    const audit = h.entries.find((e) => e.id === firstResponse);
    expect(audit).toMatchObject({ details: { replyText: '[erased]' } });
    h.advance(testSettings().sendLeaseSeconds + 1);
    expect(await outbox(h)).toBe('erased');
    expect(h.sent).toHaveLength(0);
  });

  it('answers a reply still leased, or an unreadable message, as a batch item failure of the queue', async () => {
    const h = harness({ hang: 1 });
    void h.replyWith(text);
    await new Promise((r) => setTimeout(r, 10));
    const handle = createMailer(h.services as Parameters<typeof createMailer>[0]);
    const queued = (messageId: string, detail: object) => ({
      messageId,
      body: JSON.stringify({ 'detail-type': 'CustomerContacted', detail }),
    });
    const event = {
      Records: [
        queued('m1', {
          eventId: firstResponse,
          complaintId: id,
          type: 'CustomerContacted',
          data: { via: 'reply' },
        }),
        queued('m2', { eventId: firstResponse, complaintId: id, type: 'ComplaintClosed', data: {} }),
      ],
    } as SQSEvent;
    expect(await handle(event)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }],
    });
    h.advance(testSettings().sendLeaseSeconds + 1);
    expect(await handle({ Records: event.Records.slice(0, 1) } as SQSEvent)).toEqual({
      batchItemFailures: [],
    });
    expect(h.sent).toHaveLength(1);
  });

  it('fails (to be retried, then dead-lettered) for a first response it cannot find', async () => {
    const h = harness({});
    await expect(mailOwedReply(h.services, id, `${id}-v9`)).rejects.toThrow(/no first response/);
    expect(h.sent).toHaveLength(0);
  });
});
