import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoComplaintStore, recurringListedCustomers } from '../../functions/adapters/complaintStore';
import { DynamoMailLedger } from '../../functions/adapters/mailLedger';
import type { Deps } from '../../functions/application/deps';
import type { AuditEntry, Complaint } from '../../functions/core/complaint';
import { ConflictError, ValidationError } from '../../functions/core/errors';
import { investigateComplaint } from '../../functions/core/investigation';
import {
  acceptDecision,
  complaintFromKnown,
  investigate,
  knownOf,
  workflowState,
} from '../../functions/core/lifecycle';
import type { InboundClaim } from '../../functions/core/mail/filing';
import { policyProfiles } from '../../functions/core/policy';
import { createHandler as createApi } from '../../functions/handlers/api';
import { createHandler as createAwaitPerson } from '../../functions/handlers/workflow/awaitPerson';
import { createHandler as createClose } from '../../functions/handlers/workflow/close';
import { taskOutputOf } from '../../workflows/contract';
import { startDynamoDbLocalTable } from '../support/dynamoDbLocalTable';
import { testSettings } from '../support/settings';

let table: Awaited<ReturnType<typeof startDynamoDbLocalTable>>;
let store: DynamoComplaintStore;

beforeAll(async () => {
  table = await startDynamoDbLocalTable();
  store = new DynamoComplaintStore('Complaints', table.client);
});
afterAll(() => table.close());

const complaint = (id: string, over: Partial<Complaint> = {}): Complaint => ({
  id,
  reference: `CMP-${id.toUpperCase().padEnd(6, '0').slice(0, 6)}`,
  status: 'awaiting_agent',
  tier: 1,
  priority: 'normal',
  customerEmail: 'ann@example.org',
  subject: 's',
  threadToken: `t-${id}`,
  slaDueAt: '2026-11-23T10:00:00.000Z',
  createdAt: '2026-11-23T09:00:00.000Z',
  updatedAt: '2026-11-23T09:00:00.000Z',
  version: 1,
  ...over,
});

const audit = (id: string, version: number, at: string): AuditEntry => ({
  kind: 'audit',
  id: `${id}-v${version}`,
  at,
  action: 'test',
  actor: { kind: 'system', id: 'test' },
  toStatus: 'awaiting_agent',
  version,
});

/** The stored complaint item and its audit entries, with the complaint's id replaced by `ID`. */
async function stored(id: string) {
  const raw = await table.client.send(
    new QueryCommand({
      TableName: 'Complaints',
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: `COMPLAINT#${id}` } },
    }),
  );
  return JSON.parse(JSON.stringify(raw.Items).replaceAll(id, 'ID'));
}

describe('DynamoComplaintStore on DynamoDB Local', () => {
  it('creates once: a second create of the same id returns the stored complaint', async () => {
    const first = await store.create(complaint('a1'), [audit('a1', 1, '2026-11-23T09:00:00.000Z')]);
    const again = await store.create(complaint('a1', { subject: 'other' }), []);
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, complaint: { subject: 's' } });
    expect(await store.findIdByThreadToken('t-a1')).toBe('a1');
  });

  it('saves only on the expected version (and token), else ConflictError with the current version', async () => {
    await store.create(complaint('b1', { taskToken: 'tok' }), []);
    await store.save({ ...complaint('b1', { taskToken: 'tok' }), version: 2, subject: 'v2' }, [], {
      taskToken: 'tok',
    });
    await expect(store.save({ ...complaint('b1'), version: 2 }, [])).rejects.toMatchObject({
      name: 'ConflictError',
      details: { currentVersion: 2 },
    });
    await expect(
      store.save({ ...complaint('b1'), version: 3 }, [], { taskToken: 'wrong' }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect((await store.get('b1'))?.subject).toBe('v2');
  });

  it('commits a state change and its timeline entries together, or neither', async () => {
    await store.create(complaint('x1'), [audit('x1', 1, '2026-11-23T09:00:00.000Z')]);
    await store.save({ ...complaint('x1'), version: 2, status: 'awaiting_approval' }, [
      audit('x1', 2, '2026-11-23T09:00:02.000Z'),
    ]);
    // A stale writer (still on version 1) loses: none of its entries reach the timeline.
    await expect(
      store.save({ ...complaint('x1'), version: 2, status: 'closed' }, [
        audit('x1-stale', 2, '2026-11-23T09:00:03.000Z'),
        audit('x1-stale', 3, '2026-11-23T09:00:04.000Z'),
      ]),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      details: { currentVersion: 2, complaintStatus: 'awaiting_approval' },
    });
    expect((await store.timeline('x1')).map((e) => e.id)).toEqual(['x1-v1', 'x1-v2']);
    expect((await store.get('x1'))?.status).toBe('awaiting_approval');
  });

  it("takes a mail's send lease with the state change that calls for it, or neither", async () => {
    const ledger = new DynamoMailLedger('Complaints', table.client);
    const now = new Date('2026-11-23T09:00:02.000Z');
    const lease = {
      id: 'l1-mail',
      lease: 'lease-1',
      at: now.toISOString(),
      leaseUntil: now.getTime() + 45_000,
    };
    await store.create(complaint('l1'), []);
    // A stale change takes no lease: the mail is not begun.
    await expect(store.save({ ...complaint('l1'), version: 3 }, [], {}, lease)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(await ledger.beginOutbound('l1-mail', now, 45)).toMatchObject({ state: 'acquired' });
    await store.create(complaint('l2'), []);
    await store.save({ ...complaint('l2'), version: 2 }, [], {}, { ...lease, id: 'l2-mail' });
    expect(await ledger.beginOutbound('l2-mail', now, 45)).toEqual({ state: 'busy' });
  });

  it('of two concurrent saves on the same version, exactly one commits with its entries', async () => {
    await store.create(complaint('r1'), []);
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((who) =>
        store.save({ ...complaint('r1'), version: 2, subject: who }, [
          audit(`r1-${who}`, 2, '2026-11-23T09:00:02.000Z'),
        ]),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [['a', 'b', 'c', 'd'][i]] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
    }
    expect((await store.timeline('r1')).map((e) => e.id)).toEqual([`r1-${won[0]}-v2`]);
    expect((await store.get('r1'))?.subject).toBe(won[0]);
  });

  it('saves only while another complaint is still at the version read (a merge target): of two complaints merged into each other, one closes', async () => {
    const closingInto = (id: string, target: string) =>
      store.save(
        { ...complaint(id), version: 2, status: 'deciding' },
        [audit(`${id}-merge`, 2, '2026-11-23T09:00:02.000Z')],
        { unchanged: { id: target, version: 1 } },
      );
    await store.create(complaint('m1'), []);
    await store.create(complaint('m2'), []);
    await closingInto('m1', 'm2');
    // m2 read m1 open (version 1) before m1's merge committed: its own merge into m1 must not commit.
    await expect(closingInto('m2', 'm1')).rejects.toMatchObject({
      name: 'ConflictError',
      details: { changedComplaint: 'm1' },
    });
    expect(await store.get('m2')).toMatchObject({ version: 1, status: 'awaiting_agent' });
    expect(await store.timeline('m2')).toEqual([]);
    // At once: never both.
    await store.create(complaint('m3'), []);
    await store.create(complaint('m4'), []);
    const results = await Promise.allSettled([closingInto('m3', 'm4'), closingInto('m4', 'm3')]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
  });

  it('creates atomically: an existing complaint keeps its timeline, thread token and content', async () => {
    await store.create(complaint('c1'), [audit('c1', 1, '2026-11-23T09:00:00.000Z')]);
    const again = await store.create(complaint('c1', { subject: 'other', threadToken: 't-c1-other' }), [
      audit('c1-again', 1, '2026-11-23T09:00:05.000Z'),
    ]);
    expect(again).toMatchObject({ created: false, complaint: { subject: 's', threadToken: 't-c1' } });
    expect((await store.timeline('c1')).map((e) => e.id)).toEqual(['c1-v1']);
    expect(await store.findIdByThreadToken('t-c1-other')).toBeUndefined();
  });

  it('refuses a save whose entries do not fit one transaction instead of splitting it', async () => {
    await store.create(complaint('big1'), []);
    const entries = Array.from({ length: 100 }, (_, i) =>
      audit(`big1-${i}`, 2, `2026-11-23T09:00:${String(i % 60).padStart(2, '0')}.000Z`),
    );
    await expect(store.save({ ...complaint('big1'), version: 2 }, entries)).rejects.toThrow(
      /do not fit one transaction/,
    );
    expect(await store.timeline('big1')).toEqual([]);
    expect((await store.get('big1'))?.version).toBe(1);
  });

  it('orders the tier queue by SLA due time, pages with a cursor, and drops closed complaints', async () => {
    for (const [id, due] of [
      ['q3', '12'],
      ['q1', '10'],
      ['q2', '11'],
    ] as const) {
      await store.create(complaint(id, { tier: 2, slaDueAt: `2026-11-23T${due}:00:00.000Z` }), []);
    }
    const page1 = await store.queue('tier2', { limit: 2 });
    expect(page1.items.map((c) => c.id)).toEqual(['q1', 'q2']);
    const page2 = await store.queue('tier2', { limit: 2, cursor: page1.cursor });
    expect(page2.items.map((c) => c.id)).toEqual(['q3']);
    await store.save({ ...complaint('q1', { tier: 2 }), status: 'closed', version: 2 }, []);
    expect((await store.queue('tier2')).items.map((c) => c.id)).toEqual(['q2', 'q3']);
    await expect(store.queue('tier2', { cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps the timeline in time order and finds complaints by customer and reference', async () => {
    await store.create(complaint('t1', { customerEmail: 'bob@example.org' }), [
      audit('t1', 2, '2026-11-23T09:00:02.000Z'),
    ]);
    await store.append('t1', [audit('t1', 1, '2026-11-23T09:00:01.000Z')]);
    expect((await store.timeline('t1')).map((e) => e.id)).toEqual(['t1-v1', 't1-v2']);
    expect((await store.byCustomer('BOB@example.org')).items.map((c) => c.id)).toEqual(['t1']);
    expect(await store.reserveReference('CMP-AAAAAA', 't1')).toBe(true);
    expect(await store.reserveReference('CMP-AAAAAA', 't1')).toBe(true);
    expect(await store.reserveReference('CMP-AAAAAA', 'other')).toBe(false);
    expect(await store.findIdByReference('CMP-AAAAAA')).toBe('t1');
  });

  it('adds an entry once per id at the time first asked for, in time order with the rest, and rewrites it in place', async () => {
    await store.create(complaint('n1'), [audit('n1', 1, '2026-11-23T09:00:00.000Z')]);
    const note = (at: string, id = 'n1-note-a', text = 'x') =>
      ({ kind: 'note', id, at, author: { kind: 'agent', id: 'a1', role: 'tier1' }, text }) as const;
    expect(await store.appendOnce('n1', note('2026-11-23T09:00:05.000Z'))).toEqual({
      entry: note('2026-11-23T09:00:05.000Z'),
      added: true,
    });
    // Asked again later, and twice at once: the first one's time, and one entry.
    const again = await Promise.all([
      store.appendOnce('n1', note('2026-11-23T09:07:00.000Z')),
      store.appendOnce('n1', note('2026-11-23T09:07:00.001Z')),
    ]);
    expect(again).toEqual([
      { entry: note('2026-11-23T09:00:05.000Z'), added: false },
      { entry: note('2026-11-23T09:00:05.000Z'), added: false },
    ]);
    // In time order among the entries keyed by time, whichever way the timeline is read.
    await store.append('n1', [
      audit('n1', 2, '2026-11-23T09:00:03.000Z'),
      audit('n1', 3, '2026-11-23T09:00:09.000Z'),
    ]);
    await store.appendOnce('n1', note('2026-11-23T09:00:01.000Z', 'n1-note-b'));
    const order = ['n1-v1', 'n1-note-b', 'n1-v2', 'n1-note-a', 'n1-v3'];
    expect((await store.timeline('n1')).map((e) => e.id)).toEqual(order);
    expect((await store.withTimeline('n1'))?.timeline.map((e) => e.id)).toEqual(order);
    // An erasure's rewrite replaces it under its own key: still one entry, with the new text.
    const timeline = await store.timeline('n1');
    await store.rewriteTimeline(
      'n1',
      timeline.map((e) => (e.kind === 'note' ? { ...e, text: '[erased]' } : e)),
    );
    const rewritten = await store.timeline('n1');
    expect(rewritten.map((e) => e.id)).toEqual(order);
    expect(rewritten.filter((e) => e.kind === 'note').map((e) => 'text' in e && e.text)).toEqual([
      '[erased]',
      '[erased]',
    ]);
  });

  it('opens a complaint from a mail with its claim and reference in one transaction, or writes nothing', async () => {
    const claim = (complaintId: string, dedupeKey: string): InboundClaim => ({
      dedupeKey,
      messageId: `<${dedupeKey}@example.org>`,
      complaintId,
      disposition: 'new',
      sender: 'ann@example.org',
      receivedAt: '2026-11-23T09:00:00.000Z',
      rawMailKey: `raw/${dedupeKey}`,
      sesMessageId: `ses-${dedupeKey}`,
      contentDigest: 'd',
      threadToken: `t-${complaintId}`,
    });
    const ledger = new DynamoMailLedger('Complaints', table.client);
    const opened = complaint('o1', { reference: 'CMP-OPEN01' });
    expect(await store.openFromMail(opened, [audit('o1', 1, opened.createdAt)], claim('o1', 'm-o1'))).toBe(
      'opened',
    );
    const read = await store.withTimeline('o1');
    expect(read?.complaint).toMatchObject({ id: 'o1', reference: 'CMP-OPEN01' });
    expect(read?.timeline.map((e) => e.id)).toEqual(['o1-v1']);
    expect(await ledger.findInboundClaim(claim('o1', 'm-o1'))).toMatchObject({ complaintId: 'o1' });
    expect(await store.findIdByReference('CMP-OPEN01')).toBe('o1');
    expect(await store.findIdByThreadToken('t-o1')).toBe('o1');
    // Another delivery's claim was first: nothing of this one is written, and the refusal says so.
    const racing = complaint('o2', { reference: 'CMP-OPEN02' });
    await ledger.claimInbound(claim('o2', 'm-o2'));
    expect(await store.openFromMail(racing, [audit('o2', 1, racing.createdAt)], claim('o2', 'm-o2'))).toBe(
      'claimed',
    );
    expect(await store.withTimeline('o2')).toBeUndefined();
    expect(await store.findIdByReference('CMP-OPEN02')).toBeUndefined();
    // The reference belongs to another complaint: refused as well.
    const clash = complaint('o3', { reference: 'CMP-OPEN01' });
    expect(await store.openFromMail(clash, [], claim('o3', 'm-o3'))).toBe('refused');
    expect(await ledger.findInboundClaim(claim('o3', 'm-o3'))).toBeUndefined();
  });
});

describe('a wait registered from what the workflow state knows, without reading the complaint', () => {
  const policy = policyProfiles.standard;
  const openedAt = new Date('2026-11-23T09:00:00.000Z');
  const registeredAt = new Date('2026-11-23T09:05:00.000Z');

  /** A received complaint investigated as the first step does: a legal threat, an assigned agent. */
  async function investigated(id: string) {
    const received = complaint(id, {
      status: 'received',
      customerName: 'Ann Example',
      assignee: 'agent-7',
      slaDueAt: undefined,
    });
    await store.create(received, []);
    const found = investigateComplaint({
      complaintId: id,
      subject: 'Refund',
      text: 'I was charged twice. My lawyer will hear about this.',
      createdAt: received.createdAt,
      now: openedAt,
      history: [],
      automated: false,
      policy,
    });
    const { complaint: next, audit } = investigate(received, found, policy, openedAt);
    await store.save(next, [audit]);
    return next;
  }

  /** The awaitPerson handler over the table, with the store's calls listed. */
  function awaitPersonStep() {
    const calls: string[] = [];
    const counted = new Proxy(store, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return value.apply(target, args);
        };
      },
    });
    const deps = {
      store: counted,
      settings: testSettings(),
      clock: () => registeredAt,
      logger: { info: () => undefined, warn: () => undefined },
      notifier: { notify: async () => undefined },
    } as unknown as Deps;
    return { run: createAwaitPerson(deps), calls };
  }

  const waitEvent = (id: string, token: string, known?: Complaint) => ({
    complaintId: id,
    taskToken: token,
    waitingFor: 'agent',
    awaitSeconds: 600,
    ...(known ? { state: { complaintId: id, known: workflowState(known, openedAt).known } } : {}),
  });

  it('writes the same complaint and audit entry as the read-then-write registration, in one request', async () => {
    const fast = await investigated('known-fast');
    await investigated('known-slow');
    const step = awaitPersonStep();
    await step.run(waitEvent('known-fast', 'token-1', fast));
    expect(step.calls).toEqual(['saveChange']);
    const usual = awaitPersonStep();
    await usual.run(waitEvent('known-slow', 'token-1'));
    expect(usual.calls).toEqual(['get', 'save']);
    expect(await stored('known-fast')).toEqual(await stored('known-slow'));
    expect(await store.get('known-fast')).toMatchObject({
      status: 'awaiting_agent',
      taskToken: 'token-1',
      customerEmail: 'ann@example.org',
      customerName: 'Ann Example',
      version: 3,
    });
    expect((await store.queue('tier1')).items.map((c) => c.id)).toContain('known-fast');
  });

  it('falls back to the read-then-write way, from the stored complaint the failed condition returned, when an agent claimed it meanwhile', async () => {
    const known = await investigated('known-claimed');
    const claimed = {
      ...known,
      claimedBy: { id: 'agent-9', role: 'tier1' as const, at: '2026-11-23T09:01:00.000Z' },
      version: known.version + 1,
    };
    await store.save(claimed, [audit('known-claimed', claimed.version, '2026-11-23T09:01:00.000Z')]);
    const step = awaitPersonStep();
    await step.run(waitEvent('known-claimed', 'token-2', known));
    // The failed condition returned the stored complaint: no read.
    expect(step.calls).toEqual(['saveChange', 'save']);
    expect(await store.get('known-claimed')).toMatchObject({
      status: 'awaiting_agent',
      taskToken: 'token-2',
      claimedBy: { id: 'agent-9' },
      version: known.version + 2,
    });
  });

  it('changes nothing when replayed after its write landed', async () => {
    const known = await investigated('known-replayed');
    const step = awaitPersonStep();
    await step.run(waitEvent('known-replayed', 'token-3', known));
    const once = await stored('known-replayed');
    await step.run(waitEvent('known-replayed', 'token-3', known));
    expect(step.calls).toEqual(['saveChange', 'saveChange']);
    expect(await stored('known-replayed')).toEqual(once);
  });

  it('reads as before when the state carries nothing it can read as `known`', async () => {
    await investigated('known-unreadable');
    const step = awaitPersonStep();
    await step.run({
      ...waitEvent('known-unreadable', 'token-4'),
      state: { known: { version: 'v2', status: 'investigating' } },
    });
    expect(step.calls).toEqual(['get', 'save']);
    expect(await store.get('known-unreadable')).toMatchObject({ taskToken: 'token-4' });
  });

  it('ignores a registration delivered late from an earlier entry of the wait: the live token and a decision accepted on it stay', async () => {
    const known = await investigated('entry-late');
    const step = awaitPersonStep();
    const entered = (at: string) => ({ enteredAt: at, retryCount: 0 });
    // The wait's second entry registers first (its task is live) ...
    await step.run({
      ...waitEvent('entry-late', 'token-live', known),
      ...entered('2026-11-23T09:03:00.000Z'),
    });
    const live = (await store.get('entry-late')) as Complaint;
    const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const, email: 'a1@corp.example' };
    const decision = {
      action: 'escalate' as const,
      reason: 'Needs tier 2',
      by: agent,
      decisionId: 'entry-late-decision',
    };
    const accepted = acceptDecision(live, decision as never, agent, registeredAt);
    await store.save(accepted.complaint, [accepted.audit], { taskToken: 'token-live' });
    // ... then the first entry's, which Lambda delivered late: its task timed out long ago.
    const late = awaitPersonStep();
    await late.run({ ...waitEvent('entry-late', 'token-dead'), ...entered('2026-11-23T09:02:00.000Z') });
    expect(late.calls).toEqual(['get']);
    expect(await store.get('entry-late')).toEqual(accepted.complaint);
    // A later entry of the wait (the state machine ran it again) still releases the decision, visibly.
    const again = awaitPersonStep();
    await again.run({ ...waitEvent('entry-late', 'token-again'), ...entered('2026-11-23T09:04:00.000Z') });
    expect(await store.get('entry-late')).toMatchObject({
      status: 'awaiting_agent',
      taskToken: 'token-again',
      waitEntry: '2026-11-23T09:04:00.000Z#0000',
    });
    const released = (await store.timeline('entry-late')).filter(
      (e) => e.kind === 'audit' && e.action === 'releaseDecision',
    );
    expect(released).toHaveLength(1);
  });

  it('writes nothing on a stale version and returns the stored complaint', async () => {
    const known = await investigated('known-stale');
    const before = complaintFromKnown('known-stale', { ...knownOf(known), version: known.version - 1 });
    const next = { ...before, status: 'awaiting_agent' as const, version: known.version };
    expect(
      await store.saveChange(before, next, [audit('known-stale', known.version, '2026-11-23T09:06:00.000Z')]),
    ).toEqual({ saved: false, current: known });
    expect(await store.get('known-stale')).toEqual(known);
    expect(await store.timeline('known-stale')).toHaveLength(1);
  });
});

describe('a satisfied follow-up call closed from what its task output knows, without reading the complaint', () => {
  const decidedAt = new Date('2026-11-23T09:10:00.000Z');
  const closedAt = new Date('2026-11-23T09:11:00.000Z');
  const agent = { kind: 'agent' as const, id: 'agent-1', role: 'tier1' as const, email: 'a1@corp.example' };

  /** A complaint whose follow-up call the agent answered "satisfied", and that decision's task output. */
  async function decided(id: string) {
    const waiting = complaint(id, {
      status: 'awaiting_follow_up',
      waitingFor: 'follow_up',
      taskToken: `${id}-token`,
      spentTokens: [`${id}-earlier`],
      assignee: 'agent-1',
      firstResponseAt: '2026-11-23T09:02:00.000Z',
      followUp: { agentId: 'agent-1', scheduledFor: '2026-11-23T09:08:00.000Z', attempts: 0 },
    });
    await store.create(waiting, []);
    const decision = {
      action: 'follow_up' as const,
      outcome: 'satisfied' as const,
      via: 'call' as const,
      by: agent,
      note: 'Ann is happy with the new lid.',
      decisionId: `${id}-decision`,
    };
    const accepted = acceptDecision(waiting, decision, agent, decidedAt);
    await store.save(accepted.complaint, [accepted.audit], { taskToken: `${id}-token` });
    return {
      accepted: accepted.complaint,
      output: taskOutputOf(decision, { known: knownOf(accepted.complaint), actor: agent }),
    };
  }

  /** The close handler over the table, with the store's calls listed. */
  function closeStep() {
    const calls: string[] = [];
    const counted = new Proxy(store, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(name));
          return value.apply(target, args);
        };
      },
    });
    const deps = {
      store: counted,
      settings: testSettings(),
      clock: () => closedAt,
      logger: { info: () => undefined, warn: () => undefined },
    } as unknown as Deps;
    return { run: createClose(deps), calls };
  }

  const closeEvent = (id: string, decision?: unknown) => ({
    complaintId: id,
    reason: 'satisfied',
    ...(decision ? { decision } : {}),
  });

  it('names nobody by address in the task output', async () => {
    const { output } = await decided('close-output');
    expect(JSON.stringify(output)).not.toMatch(/@/);
    expect(output).toMatchObject({
      decidedBy: { id: 'agent-1', role: 'tier1' },
      known: { status: 'deciding' },
    });
  });

  it('writes the same complaint and audit entry as the read-then-write close, in one request', async () => {
    const { output } = await decided('close-fast');
    await decided('close-slow');
    const fast = closeStep();
    expect(await fast.run(closeEvent('close-fast', output))).toMatchObject({ status: 'closed' });
    expect(fast.calls).toEqual(['saveChange']);
    const usual = closeStep();
    await usual.run(closeEvent('close-slow'));
    expect(usual.calls).toEqual(['get', 'save']);
    expect(await stored('close-fast')).toEqual(await stored('close-slow'));
    const closed = await store.get('close-fast');
    expect(closed).toMatchObject({
      status: 'closed',
      closure: { reason: 'satisfied', by: { kind: 'agent', id: 'agent-1', role: 'tier1' } },
      followUp: { agentId: 'agent-1', attempts: 0, lastOutcome: 'satisfied' },
      spentTokens: ['close-fast-earlier', 'close-fast-token'],
      customerEmail: 'ann@example.org',
    });
    expect(closed?.pendingDecision).toBeUndefined();
    expect(closed?.closure?.by.email).toBeUndefined();
  });

  it('falls back to the read-then-write close, from the stored complaint the failed condition returned, after a concurrent write', async () => {
    const { accepted, output } = await decided('close-raced');
    const replied = { ...accepted, subject: 'Re: s', version: accepted.version + 1 };
    await store.save(replied, [audit('close-raced', replied.version, '2026-11-23T09:10:30.000Z')]);
    const step = closeStep();
    await step.run(closeEvent('close-raced', output));
    expect(step.calls).toEqual(['saveChange', 'save']);
    expect(await store.get('close-raced')).toMatchObject({
      status: 'closed',
      subject: 'Re: s',
      version: accepted.version + 2,
    });
  });

  it('changes nothing when replayed after its write landed', async () => {
    const { output } = await decided('close-replayed');
    const step = closeStep();
    await step.run(closeEvent('close-replayed', output));
    const once = await stored('close-replayed');
    expect(await step.run(closeEvent('close-replayed', output))).toMatchObject({
      status: 'closed',
      reason: 'satisfied',
    });
    // The replay's condition fails and returns the closed complaint: no read, no second write.
    expect(step.calls).toEqual(['saveChange', 'saveChange']);
    expect(await stored('close-replayed')).toEqual(once);
  });
});

const apiNow = new Date('2026-11-23T10:00:00.000Z');
let ids = 0;
const newId = () => `${(++ids).toString(16).padStart(2, '0')}`.padEnd(26, 'a');

/** A complaint whose follow-up call is due: the agent records its outcome (POST /complaints/{id}/follow-up). */
async function callDue(over: Partial<Complaint> = {}): Promise<Complaint> {
  const id = newId();
  const complaint: Complaint = {
    id,
    reference: `CMP-${id.slice(0, 6).toUpperCase()}`,
    status: 'awaiting_follow_up',
    tier: 1,
    priority: 'normal',
    customerEmail: 'ann@example.org',
    subject: 'Late parcel',
    threadToken: `t-${id}`,
    taskToken: `${id}-token`,
    waitingFor: 'follow_up',
    assignee: 'agent-1',
    followUp: { agentId: 'agent-1', scheduledFor: '2026-11-23T09:00:00.000Z', attempts: 0 },
    createdAt: '2026-11-23T08:00:00.000Z',
    updatedAt: '2026-11-23T09:00:00.000Z',
    version: 4,
    ...over,
  };
  await store.create(complaint, []);
  return complaint;
}

/** Another writer moves the complaint on (an erasure, a customer's mail): its version goes up by one. */
async function movedOn(c: Complaint, changes: Partial<Complaint>) {
  const next = { ...c, ...changes, version: c.version + 1 };
  const entry: AuditEntry = {
    kind: 'audit',
    id: `${c.id}-v${next.version}`,
    at: apiNow.toISOString(),
    action: 'test',
    actor: { kind: 'system', id: 'test' },
    toStatus: next.status,
    version: next.version,
  };
  await store.save(next, [entry]);
  return next;
}

/** The API handler over the table, with its store calls listed and its task completions recorded. */
function api() {
  const calls: string[] = [];
  const completed: string[] = [];
  const counted = new Proxy(store, {
    get: (target, name, receiver) => {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return value.apply(target, args);
      };
    },
  });
  const deps = {
    store: counted,
    workflow: { succeed: async (token: string) => void completed.push(token) },
    settings: testSettings(),
    clock: () => apiNow,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  } as unknown as Deps;
  const handle = createApi(deps);
  const send = async (
    method: 'GET' | 'POST',
    path: string,
    options: { role?: string; body?: unknown; id: string },
  ) => {
    const route = path.replace(options.id, '{id}');
    const event = {
      routeKey: `${method} ${route}`,
      rawPath: path,
      pathParameters: { id: options.id },
      headers: {},
      ...(options.body ? { body: JSON.stringify(options.body) } : {}),
      isBase64Encoded: false,
      requestContext: {
        authorizer: {
          jwt: {
            claims: {
              sub: 'agent-1',
              token_use: 'access',
              'cognito:groups': options.role ?? 'tier1',
              email: 'a1@corp.example',
            },
          },
        },
      },
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const response = await handle(event);
    return { status: response.statusCode, body: JSON.parse(String(response.body)) };
  };
  const follow = (c: Complaint, version: number, role?: string) =>
    send('POST', `/complaints/${c.id}/follow-up`, {
      id: c.id,
      body: { outcome: 'satisfied', version },
      ...(role ? { role } : {}),
    });
  const read = (c: Complaint, role?: string) =>
    send('GET', `/complaints/${c.id}`, { id: c.id, ...(role ? { role } : {}) });
  return { follow, read, calls, completed };
}

describe('a decision starting from the complaint the API process just read', () => {
  it('reads nothing: the accepting write (conditional on version and task token) is its one request', async () => {
    const c = await callDue();
    const agent = api();
    expect((await agent.read(c)).status).toBe(200);
    agent.calls.length = 0;
    const answer = await agent.follow(c, c.version);
    expect(answer).toMatchObject({ status: 202, body: { complaint: { status: 'deciding' } } });
    expect(agent.calls).toEqual(['save']);
    expect(agent.completed).toEqual([`${c.id}-token`]);
    expect(await store.get(c.id)).toMatchObject({
      status: 'deciding',
      version: c.version + 1,
      pendingDecision: { action: 'follow_up', outcome: 'satisfied' },
    });
  });

  it('answers a stale kept complaint exactly as the read would, and never undoes the write that moved it', async () => {
    const c = await callDue();
    const warm = api();
    await warm.read(c);
    // The customer is erased meanwhile: the kept complaint still names them.
    const erased = await movedOn(c, { customerEmail: 'erased-0f0f@invalid', subject: '[erased]' });
    const cold = await api().follow(c, c.version);
    warm.calls.length = 0;
    const answer = await warm.follow(c, c.version);
    expect(cold).toMatchObject({ status: 409, body: { currentVersion: erased.version } });
    expect(answer).toEqual(cold);
    // The accepting write lost on its condition and returned the stored complaint: no read.
    expect(warm.calls).toEqual(['save']);
    expect(warm.completed).toEqual([]);
    expect(await store.get(c.id)).toEqual(erased);
    // Acting on the version it now reads, the agent decides.
    expect((await warm.follow(c, erased.version)).status).toBe(202);
    expect(await store.get(c.id)).toMatchObject({
      customerEmail: 'erased-0f0f@invalid',
      subject: '[erased]',
    });
  });

  it('answers a check that fails on the kept complaint from the stored one: the same status and body', async () => {
    const c = await callDue({ tier: 2 });
    const warm = api();
    await warm.read(c);
    const cold = await api().follow(c, c.version, 'tier1');
    const answer = await warm.follow(c, c.version, 'tier1');
    expect(cold.status).toBe(403);
    expect(answer).toEqual(cold);
    // Not waiting for a follow-up call any more (moved on since it was read): 409 as before, not 403.
    const moved = await movedOn(c, { status: 'awaiting_agent', waitingFor: 'agent' });
    const coldAgain = await api().follow(c, c.version, 'tier2');
    const warmAgain = api();
    await warmAgain.read({ ...c });
    expect(await warmAgain.follow(c, moved.version, 'tier2')).toEqual(
      await api().follow(c, moved.version, 'tier2'),
    );
    expect(coldAgain).toMatchObject({ status: 409, body: { currentVersion: moved.version } });
  });

  it('reads as before when the kept complaint is at another version than the one the caller names', async () => {
    const c = await callDue();
    const agent = api();
    await agent.read(c);
    agent.calls.length = 0;
    expect((await agent.follow(c, c.version - 1)).status).toBe(409);
    expect(agent.calls).toEqual(['get']);
  });
});

describe('the recurring-issue window', () => {
  const partition = (windowKey: string) =>
    table.client.send(
      new QueryCommand({
        TableName: 'Complaints',
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `RECURRING#${windowKey}` } },
        ConsistentRead: true,
      }),
    );

  it('counts each customer once, beyond the set it lists too, and keeps its item small however many write', async () => {
    const window = 'delivery#2026-11-30T00:00:00.000Z';
    const customers = Array.from({ length: recurringListedCustomers + 30 }, (_, i) => `c${i}@example.org`);
    const counts: number[] = [];
    for (const c of customers) counts.push(await store.recordCategoryOccurrence(window, c));
    expect(counts).toEqual(customers.map((_, i) => i + 1));
    // Again, concurrently, in other letter case: nobody is counted twice, listed or beyond the set.
    const again = await Promise.all(
      [customers[0], customers[recurringListedCustomers + 5], customers.at(-1)].map((c) =>
        store.recordCategoryOccurrence(window, (c as string).toUpperCase()),
      ),
    );
    expect(again).toEqual([customers.length, customers.length, customers.length]);
    const items = (await partition(window)).Items ?? [];
    const windowItem = items.find((i) => i.SK?.S === 'RECURRING');
    expect(windowItem?.customers?.SS).toHaveLength(recurringListedCustomers);
    expect(windowItem?.furtherCustomers?.N).toBe('30');
    expect(items).toHaveLength(31);
  });

  it('pseudonymises a customer whether the set lists them or a marker counts them: the count stays', async () => {
    const window = 'billing#2026-11-30T00:00:00.000Z';
    const customers = Array.from({ length: recurringListedCustomers + 2 }, (_, i) => `p${i}@example.org`);
    for (const c of customers) await store.recordCategoryOccurrence(window, c);
    const listed = customers[3] as string;
    const further = customers.at(-1) as string;
    expect(await store.pseudonymiseCategoryOccurrence(window, listed, 'erased-1')).toBe(true);
    expect(await store.pseudonymiseCategoryOccurrence(window, further, 'erased-2')).toBe(true);
    // Done already, or never counted here: left alone.
    expect(await store.pseudonymiseCategoryOccurrence(window, further, 'erased-2')).toBe(false);
    expect(await store.pseudonymiseCategoryOccurrence(window, 'stranger@example.org', 'erased-3')).toBe(
      false,
    );
    const stored = JSON.stringify((await partition(window)).Items);
    expect(stored).not.toContain(listed);
    expect(stored).not.toContain(further);
    expect(await store.recordCategoryOccurrence(window, customers[0] as string)).toBe(customers.length);
  });
});
