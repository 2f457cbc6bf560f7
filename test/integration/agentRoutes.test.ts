import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  complaintDetailSchema,
  complaintListSchema,
  complaintWriteSchema,
  meSchema,
} from '../../functions/api/responseSchemas';
import type { AgentRole } from '../../functions/core/policy';
import { devIdentityProvider } from '../../scripts/local/devTokens';
import { localAwsConfig } from '../../scripts/local/localAws';
import { type LocalStack, startLocalStack } from '../../scripts/local/localStack';
import {
  api,
  mailbox,
  sendMail,
  sendRawMail,
  waitFor,
  waitForMail,
} from '../../scripts/local/localStackClient';
import { bounceMail } from '../support/bounceMail';

/**
 * The agent's case-work routes through the local stack (issue 5): the version every write carries
 * (428 / 409), claim, public replies, internal notes, merge, and the list filters. SLA targets are long
 * so that no escalation moves the complaints while the test acts on them.
 */
let stack: LocalStack;
let dataDir: string;
let otherTier1: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'complaints-agent-routes-'));
  const policy = JSON.stringify({
    sla: {
      targets: {
        low: { firstResponseSeconds: 600, resolutionSeconds: 1200 },
        normal: { firstResponseSeconds: 600, resolutionSeconds: 1200 },
        high: { firstResponseSeconds: 600, resolutionSeconds: 1200 },
        urgent: { firstResponseSeconds: 600, resolutionSeconds: 1200 },
      },
    },
  });
  stack = await startLocalStack({ dataDir, quiet: true, profile: 'fast', policy, inMemoryDynamoDb: true });
  const identity = await devIdentityProvider(join(dataDir, 'dev-idp.json'));
  otherTier1 = await identity.sign({ sub: 'dev-tier1-b', role: 'tier1' });
});
afterAll(async () => {
  await stack?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface View {
  id: string;
  reference: string;
  status: string;
  version: number;
  assignee?: string;
  waitingFor?: string;
  firstResponseAt?: string;
  customerEmail: string;
  closure?: { reason: string; mergedInto?: string };
}
interface Detail {
  complaint: View;
  timeline: {
    kind: string;
    id: string;
    action?: string;
    purpose?: string;
    direction?: string;
    text?: string;
    messageId?: string;
    rawMailKey?: string;
    from?: string;
    automated?: string[];
    deliveryFailure?: { sesMessageId: string; recipient?: string; status?: string };
  }[];
}

const token = (role: AgentRole) => stack.endpoints.tokens[role];
const detail = async (id: string) =>
  (await api<Detail>(stack.endpoints, 'GET', `/complaints/${id}`, { token: token('manager') })).body;
const post = <T = Record<string, unknown>>(
  id: string,
  path: string,
  options: { body?: unknown; version?: number; token?: string } = {},
) =>
  api<T>(stack.endpoints, 'POST', `/complaints/${id}/${path}`, {
    token: options.token ?? token('tier1'),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.version !== undefined ? { headers: { 'if-match': `"${options.version}"` } } : {}),
  });
const list = (query: string, role: AgentRole | string = 'tier1') =>
  api<{ items: View[]; issues?: { path: string }[] }>(stack.endpoints, 'GET', query, {
    token: role in stack.endpoints.tokens ? token(role as AgentRole) : role,
  });
const waitingForAgent = (id: string) =>
  waitFor(async () => {
    const d = await detail(id);
    return d.complaint.waitingFor === 'agent' && d.complaint.status === 'awaiting_agent' ? d : undefined;
  }, `${id} waiting for an agent`);

/** Keys of every table item whose attributes (sets included) mention `text`, any case. */
async function itemsMentioning(text: string): Promise<string[]> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient(localAwsConfig(stack.endpoints.dynamodb.endpoint)),
  );
  const found: string[] = [];
  for await (const page of paginateScan({ client: db }, { TableName: 'Complaints' })) {
    for (const item of page.Items ?? []) {
      const json = JSON.stringify(item, (_k, v) => (v instanceof Set ? [...v] : v));
      if (json.toLowerCase().includes(text.toLowerCase())) found.push(`${item.PK} ${item.SK}`);
    }
  }
  return found;
}

/** Files under `dir` whose bytes mention `text`, any case. */
async function filesMentioning(dir: string, text: string): Promise<string[]> {
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  const found: string[] = [];
  for (const f of files.filter((e) => e.isFile())) {
    const path = join(f.parentPath, f.name);
    if ((await readFile(path, 'latin1')).toLowerCase().includes(text.toLowerCase())) found.push(path);
  }
  return found;
}

const customer = `routes.${Date.now().toString(36)}@example.org`;
async function openCase(subject: string) {
  await sendMail(stack.endpoints, { from: customer, subject, text: `${subject}: please help.` });
  const ack = await waitForMail(
    stack.endpoints,
    customer,
    new RegExp(`CMP-[0-9A-Z]{6}.*${subject}|${subject}.*CMP-`),
  );
  const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
  const found = await list(`/complaints?reference=${reference}`);
  const id = found.body.items[0]?.id as string;
  // As an agent types what the customer reads out: lower case, a space for the hyphen.
  const typed = await list(
    `/complaints?reference=${encodeURIComponent(reference.toLowerCase().replace('-', ' '))}`,
  );
  expect(typed.body.items.map((c) => c.id)).toEqual([id]);
  return (await waitingForAgent(id)).complaint;
}

describe('agent case-work routes', () => {
  let first: View;
  let duplicate: View;

  beforeAll(async () => {
    [first, duplicate] = await Promise.all([openCase('Broken kettle'), openCase('Kettle again')]);
  });

  it('requires the version on every write: 428 without, 409 when stale, 400 when If-Match and body disagree', async () => {
    const missing = await post<{ status: number; detail: string }>(first.id, 'notes', {
      body: { text: 'x' },
    });
    expect(missing.status).toBe(428);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body.detail).toMatch(/If-Match/);
    const stale = await post<{ currentVersion: number }>(first.id, 'claim', { version: first.version - 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.currentVersion).toBe(first.version);
    const resolution = { type: 'apology', summary: 'Sorry.', rootCause: 'other' };
    expect((await post(first.id, 'resolution', { body: resolution })).status).toBe(428);
    // Which of two versions the agent acted on cannot be told: neither the header nor the body wins.
    for (const [header, body] of [
      [first.version, first.version - 1],
      [first.version - 1, first.version],
    ]) {
      const disagreeing = await post<{ issues: { path: string }[] }>(first.id, 'claim', {
        body: { version: body },
        version: header,
      });
      expect(disagreeing.status, `If-Match ${header}, body ${body}`).toBe(400);
      expect(disagreeing.headers.get('content-type')).toContain('application/problem+json');
      expect(disagreeing.body.issues.map((i) => i.path)).toEqual(['version']);
    }
    const agreeing = await post(first.id, 'claim', {
      body: { version: first.version - 1 },
      version: first.version - 1,
    });
    expect(agreeing.status).toBe(409);
    expect((await detail(first.id)).complaint.version).toBe(first.version);
  });

  it('claims: a peer gets 409, a higher tier takes over, the assignee filter follows', async () => {
    const claimed = await post<{ complaint: View }>(first.id, 'claim', { version: first.version });
    expect(claimed.status).toBe(200);
    expect(claimed.body.complaint.assignee).toBe('dev-tier1');
    expect(claimed.headers.get('etag')).toBe(`"${first.version + 1}"`);
    const mine = await list('/complaints?assignee=me');
    expect(mine.body.items.map((c) => c.id)).toContain(first.id);

    const version = claimed.body.complaint.version;
    const peer = await post<{ assignee: string }>(first.id, 'claim', { version, token: otherTier1 });
    expect(peer.status).toBe(409);
    expect(peer.body.assignee).toBe('dev-tier1');
    const takeover = await post<{ complaint: View }>(first.id, 'claim', { version, token: token('tier2') });
    expect(takeover.status).toBe(200);
    expect(takeover.body.complaint.assignee).toBe('dev-tier2');
    expect((await list('/complaints?assignee=dev-tier2')).body.items.map((c) => c.id)).toEqual([first.id]);
    expect((await list('/complaints?assignee=me')).body.items.map((c) => c.id)).not.toContain(first.id);
    first = takeover.body.complaint;
    expect((await detail(first.id)).timeline.filter((e) => e.action === 'claim')).toHaveLength(2);
  });

  it('replies to the customer by email and records the first response', async () => {
    const text = 'We are sending a new kettle today.';
    // Sent as a double click: each request is the one reply, answered 201 (or 409 while its twin is
    // sending the mail), never a stale version because its twin wrote the first response.
    const clicks = await Promise.all(
      [1, 2, 3].map(() =>
        post<{ complaint: View; title?: string }>(first.id, 'replies', {
          body: { text, version: first.version },
          token: token('tier2'),
        }),
      ),
    );
    const res = clicks.find((r) => r.status === 201) as (typeof clicks)[number];
    expect(res).toBeDefined();
    for (const click of clicks) {
      if (click.status !== 201) expect(JSON.stringify(click.body)).toMatch(/being sent by another request/);
    }
    expect(res.body.complaint.firstResponseAt).toBeDefined();
    // The same request again, twice at once (a double click, a retry after a lost answer): its own
    // first-response write moved the version it names, yet it is the reply already sent, not a 409.
    const retries = await Promise.all(
      [1, 2].map(() =>
        post<{ entryId: string }>(first.id, 'replies', {
          body: { text, version: first.version },
          token: token('tier2'),
        }),
      ),
    );
    expect(retries.map((r) => r.status)).toEqual([201, 201]);
    // Another agent on that version is stale.
    expect((await post(first.id, 'replies', { body: { text, version: first.version } })).status).toBe(409);
    const mail = await waitForMail(stack.endpoints, customer, /new kettle today/);
    expect(mail.replyTo[0]).toMatch(/^support\+/);
    expect(
      (await mailbox(stack.endpoints.mailbox.url)).filter((m) => m.body.text?.includes(text)),
    ).toHaveLength(1);
    const d = await detail(first.id);
    expect(d.timeline).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'message', direction: 'outbound', purpose: 'reply' }),
        expect.objectContaining({ kind: 'audit', action: 'recordReply' }),
      ]),
    );
    first = d.complaint;
  });

  it('keeps internal notes on the timeline once per request and never mails them', async () => {
    const text = `Internal: supplier batch ${Date.now()} is faulty.`;
    const res = await post<{ note: { id: string; at: string } }>(first.id, 'notes', {
      body: { text },
      version: first.version,
    });
    expect(res.status).toBe(201);
    // The same request retried later, and twice at once (a double click): the note first added, once.
    const retries = await Promise.all(
      [1, 2, 3].map(() =>
        post<{ note: { id: string; at: string } }>(first.id, 'notes', {
          body: { text },
          version: first.version,
        }),
      ),
    );
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.body.note).toEqual(res.body.note);
    }
    const d = await detail(first.id);
    expect(d.timeline.filter((e) => e.kind === 'note' && 'text' in e && e.text === text)).toHaveLength(1);
    // Another text is another note.
    expect(
      (await post(first.id, 'notes', { body: { text: `${text} Again.` }, version: first.version })).status,
    ).toBe(201);
    expect(d.complaint.version).toBe(first.version);
    expect((await mailbox(stack.endpoints.mailbox.url)).some((m) => m.body.text?.includes(text))).toBe(false);
  });

  it('filters by customer and status, and answers conflicting filters with 400', async () => {
    const byCustomer = await list(`/customers/${encodeURIComponent(customer)}/complaints`);
    expect(byCustomer.status).toBe(200);
    expect(byCustomer.body.items.map((c) => c.id).sort()).toEqual([first.id, duplicate.id].sort());
    const filtered = await list(`/complaints?customer=${encodeURIComponent(customer.toUpperCase())}&limit=5`);
    expect(filtered.body.items).toHaveLength(2);
    const queue = await list('/complaints?queue=tier1&status=awaiting_agent');
    expect(queue.body.items.every((c) => c.status === 'awaiting_agent')).toBe(true);
    expect(queue.body.items.map((c) => c.id)).toContain(duplicate.id);
    const conflicting = await list('/complaints?queue=tier1&assignee=me');
    expect(conflicting.status).toBe(400);
    expect((await list('/complaints?status=closed')).status).toBe(400);
    expect((await list('/customers/not-an-email/complaints')).status).toBe(400);
  });

  it('merges a duplicate: 400 into itself, 404 unknown target, then closed with a note on the target', async () => {
    const version = duplicate.version;
    expect((await post(duplicate.id, 'merge', { body: { into: duplicate.id, version } })).status).toBe(400);
    expect((await post(duplicate.id, 'merge', { body: { into: '0'.repeat(26), version } })).status).toBe(404);
    const merged = await post(duplicate.id, 'merge', { body: { into: first.id, version } });
    expect(merged.status).toBe(202);
    const closed = await waitFor(async () => {
      const d = await detail(duplicate.id);
      return d.complaint.status === 'closed' ? d : undefined;
    }, 'the duplicate to close');
    expect(closed.complaint.closure).toMatchObject({ reason: 'duplicate', mergedInto: first.id });
    // The same request again (its answer lost): 202 as the first time, and still one note on the target.
    const retried = await post<{ mergedInto: string }>(duplicate.id, 'merge', {
      body: { into: first.id, version },
    });
    expect(retried.status).toBe(202);
    expect(retried.body.mergedInto).toBe(first.id);
    const mergeNotes = (await detail(first.id)).timeline.filter(
      (e) => e.kind === 'note' && 'text' in e && String(e.text).includes(duplicate.id),
    );
    expect(mergeNotes).toHaveLength(1);
    const again = await post(duplicate.id, 'merge', {
      body: { into: first.id, version: closed.complaint.version },
    });
    expect(again.status).toBe(409);
  });

  it('refuses a reply or a question to a complaint whose sender could not be read: 409, nothing pending', async () => {
    const subject = `Form without an address ${Date.now().toString(36)}`;
    const raw = [
      'From: "Contact form" <>',
      `To: ${stack.endpoints.supportAddress}`,
      `Subject: ${subject}`,
      `Message-ID: <form-${Date.now().toString(36)}@webform.example>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'My voucher is refused at checkout.',
      '',
    ].join('\r\n');
    await sendRawMail(stack.endpoints, Buffer.from(raw), { from: 'forms@webform.example' });
    const unreadable = await waitFor(async () => {
      const page = await list('/complaints?queue=tier1&limit=100');
      const found = page.body.items.find((c) => (c as View & { subject?: string }).subject === subject);
      return found?.status === 'awaiting_agent' ? found : undefined;
    }, 'the complaint without a sender address');
    for (const [path, body] of [
      ['replies', { text: 'Which voucher code did you use?' }],
      ['info-requests', { question: 'Which voucher code did you use?' }],
    ] as const) {
      const res = await post(unreadable.id, path, { body, version: unreadable.version });
      expect(res.status, path).toBe(409);
      expect(JSON.stringify(res.body), path).toContain('no address to mail');
    }
    // Nothing changed: still waiting for an agent, on the version the refused writes named.
    expect((await detail(unreadable.id)).complaint).toMatchObject({
      status: 'awaiting_agent',
      version: unreadable.version,
    });
  });

  it('erases the customer’s personal data (managers only), keeps the audit trail, and is idempotent', async () => {
    // A mail of theirs that failed the spam verdict: held in quarantine, erased with the rest.
    await sendMail(stack.endpoints, {
      from: customer,
      subject: 'Still waiting',
      text: 'Where is my refund?',
      headers: { 'X-Local-Spam-Verdict': 'FAIL' },
    });
    await stack.drainIntake();
    const path = `/customers/${encodeURIComponent(customer)}/erase`;
    expect((await api(stack.endpoints, 'POST', path, { token: token('tier3') })).status).toBe(403);
    const erased = await api<{
      complaints: number;
      messagesErased: number;
      objectsDeleted: number;
      quarantinedMail: number;
    }>(stack.endpoints, 'POST', path, { token: token('manager') });
    expect(erased.status).toBe(200);
    expect(erased.body.complaints).toBe(2);
    expect(erased.body.messagesErased).toBeGreaterThanOrEqual(4);
    expect(erased.body.objectsDeleted).toBeGreaterThanOrEqual(2);
    expect(erased.body.quarantinedMail).toBe(1);
    const d = await detail(first.id);
    expect(d.complaint.customerEmail).toMatch(/^erased-[0-9a-f]{16}@invalid$/);
    expect(JSON.stringify(d)).not.toContain(customer);
    expect(d.timeline.filter((e) => e.kind === 'message').every((e) => e.text === '[erased]')).toBe(true);
    expect(d.timeline.map((e) => e.action)).toEqual(
      expect.arrayContaining(['claim', 'recordReply', 'erase']),
    );
    expect((await list(`/customers/${encodeURIComponent(customer)}/complaints`)).body.items).toEqual([]);
    const again = await api(stack.endpoints, 'POST', path, { token: token('manager') });
    expect(again.body).toEqual({ complaints: 0, messagesErased: 0, objectsDeleted: 0, quarantinedMail: 0 });
    const held = await api<{ items: { id: string; reasons: { code: string }[] }[] }>(
      stack.endpoints,
      'GET',
      '/quarantine?status=erased',
      { token: token('manager') },
    );
    expect(held.body.items).toHaveLength(1);
    expect(held.body.items[0]?.reasons).toEqual([expect.objectContaining({ code: 'spam' })]);
    const release = await api(stack.endpoints, 'POST', `/quarantine/${held.body.items[0]?.id}/release`, {
      token: token('manager'),
    });
    expect(release.status).toBe(409);
    // Nothing we store mentions the address any more: not one table item, not one stored object.
    expect(await itemsMentioning(customer)).toEqual([]);
    expect(await filesMentioning(join(dataDir, 'raw-mail'), customer)).toEqual([]);
  });

  it('records automated mail on an erased customer’s thread without personal data (a bounce, an out-of-office); their own mail, on the thread or anew, is a new complaint', async () => {
    // Run after the erasure above: its complaints are erased, the duplicate merged into the first.
    const before = await detail(first.id);
    const ackOf = async (id: string) =>
      (await detail(id)).timeline.find((e) => e.kind === 'message' && e.purpose === 'acknowledgement')
        ?.messageId as string;
    const [firstAck, duplicateAck] = [await ackOf(first.id), await ackOf(duplicate.id)];
    expect(firstAck && duplicateAck).toBeTruthy();
    const replyTo = (await mailbox(stack.endpoints.mailbox.url)).find((m) =>
      m.destination.to.includes(customer),
    )?.replyTo[0] as string;
    const mailsToCustomer = async () =>
      (await mailbox(stack.endpoints.mailbox.url)).filter((m) => m.destination.to.includes(customer)).length;
    const sentBefore = await mailsToCustomer();
    const tag = Date.now().toString(36);
    const bounce = bounceMail({
      to: stack.endpoints.supportAddress,
      sesMessageId: firstAck,
      recipient: customer,
      tag,
      diagnostic: `smtp; 550 5.1.1 <${customer}>: user unknown`,
    });
    await sendRawMail(stack.endpoints, bounce, { from: '' });
    // Their out-of-office answering the duplicate's acknowledgement (merged into the first), with an
    // attachment.
    await sendMail(stack.endpoints, {
      from: customer,
      subject: 'Out of office: Kettle again',
      text: `Away until Monday. Call Ann Lee on +49 30 1234567 or write to ${customer}.`,
      headers: { 'Auto-Submitted': 'auto-replied', 'In-Reply-To': `<${duplicateAck}@email.amazonses.com>` },
      attachments: [{ filename: 'ann-lee-card.vcf', content: `EMAIL:${customer}` }],
    });
    await stack.drainIntake();

    const after = await waitFor(async () => {
      const d = await detail(first.id);
      return d.timeline.length >= before.timeline.length + 2 ? d : undefined;
    }, 'two mails recorded on the erased complaint');
    const arrived = after.timeline.filter((e) => !before.timeline.some((b) => b.id === e.id));
    expect(arrived).toHaveLength(2);
    for (const entry of arrived) {
      expect(entry).toMatchObject({ kind: 'message', direction: 'inbound', text: '[erased]' });
      expect(entry).not.toHaveProperty('rawMailKey');
      expect(entry).not.toHaveProperty('attachments');
    }
    expect(arrived.find((e) => e.purpose === 'bounce')).toMatchObject({
      from: 'mailer-daemon@mx.receiver.example',
      deliveryFailure: { sesMessageId: firstAck, recipient: before.complaint.customerEmail, status: '5.1.1' },
    });
    expect(arrived.filter((e) => e.from === before.complaint.customerEmail)).toHaveLength(1);
    expect(arrived.filter((e) => e.automated)).toHaveLength(2);
    // Nothing reopened, resumed or answered; nothing names the address, in the table or the raw mail.
    expect(after.complaint).toMatchObject({
      status: before.complaint.status,
      version: before.complaint.version,
    });
    expect(await mailsToCustomer()).toBe(sentBefore);
    expect((await list(`/customers/${encodeURIComponent(customer)}/complaints`)).body.items).toEqual([]);
    expect(await itemsMentioning(customer)).toEqual([]);
    expect(await filesMentioning(join(dataDir, 'raw-mail'), customer)).toEqual([]);
    expect(await filesMentioning(join(dataDir, 'raw-mail'), 'Call Ann Lee')).toEqual([]);

    // The same person writing on the old thread, or anew naming the erased reference, contacts us
    // anew: each is a new complaint, acknowledged; the erased one takes nothing.
    const reference = after.complaint.reference;
    await sendMail(stack.endpoints, {
      from: customer,
      to: replyTo,
      subject: 'Re: Broken kettle',
      text: 'It broke again.',
    });
    await sendMail(stack.endpoints, {
      from: customer,
      subject: `New kettle broken [${reference}]`,
      text: 'Again.',
    });
    await waitForMail(stack.endpoints, customer, /CMP-[0-9A-Z]{6}.*Broken kettle|Broken kettle.*CMP-/);
    await waitForMail(
      stack.endpoints,
      customer,
      /CMP-[0-9A-Z]{6}.*New kettle broken|New kettle broken.*CMP-/,
    );
    const renewed = await waitFor(async () => {
      const found = (await list(`/customers/${encodeURIComponent(customer)}/complaints`)).body.items;
      return found.length > 1 ? found : undefined;
    }, 'the new complaints under the address');
    expect(renewed.map((c) => c.id)).not.toContain(first.id);
    expect(renewed).toHaveLength(2);
    expect((await detail(first.id)).complaint.version).toBe(before.complaint.version);
  });

  it('serves the OpenAPI document without a token and the docs page locally', async () => {
    const spec = await api<{ openapi: string; paths: Record<string, unknown> }>(
      stack.endpoints,
      'GET',
      '/openapi.json',
    );
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toContain('/complaints/{id}/claim');
    const docs = await fetch(`${stack.endpoints.api.url}/docs`);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(await docs.text()).toContain('/openapi.json');
  });

  it('answers GET /me with the caller’s role and authority limit', async () => {
    const tier1 = await api(stack.endpoints, 'GET', '/me', { token: token('tier1') });
    expect(meSchema.parse(tier1.body)).toEqual({
      id: 'dev-tier1',
      role: 'tier1',
      email: 'tier1@support.localhost',
      authorityLimit: 100,
      currency: 'EUR',
    });
    const manager = await api(stack.endpoints, 'GET', '/me', { token: token('manager') });
    expect(meSchema.parse(manager.body)).toMatchObject({ role: 'manager', authorityLimit: null });
    expect((await api(stack.endpoints, 'GET', '/me')).status).toBe(401);
  });

  it('answers as /openapi.json documents it (the console’s types are generated from it)', async () => {
    complaintListSchema.parse((await list('/complaints?queue=tier1')).body);
    const current = complaintDetailSchema.parse(await detail(first.id));
    const note = await post(first.id, 'notes', {
      body: { text: 'Checked the schema.' },
      version: current.complaint.version,
    });
    expect(note.status).toBe(201);
    complaintWriteSchema.parse(note.body);
  });
});
