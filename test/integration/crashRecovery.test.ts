import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkInvariants, type InvariantReport, invariantsHold } from '../../scripts/chaos/invariants';
import type { LoadRecord } from '../../scripts/chaos/load';
import { type StackProcess, startStackProcess } from '../../scripts/chaos/stackProcess';
import type { CrashPoint } from '../../scripts/local/crashPoints';
import { api, mailbox, sendMail, waitFor } from '../../scripts/local/localStackClient';

/**
 * One `kill -9` at a fixed point per class of crash (`npm run chaos` does it at random moments): the
 * stack runs in a child process that kills itself at the named crash point, is started again on the same
 * data, and the crash invariants must then hold.
 */
describe('crash recovery (kill -9 at fixed points)', () => {
  const stacks: StackProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const s of stacks.splice(0)) await s.kill();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function crashingStack(point: `${CrashPoint}${'' | `:${number}`}`) {
    const dataDir = await mkdtemp(join(tmpdir(), 'complaints-crash-'));
    dirs.push(dataDir);
    const stack = await startStackProcess({ dataDir, env: { LOCAL_CRASH_AT: point } });
    stacks.push(stack);
    return { dataDir, stack };
  }

  async function restart(dataDir: string, crashed: StackProcess) {
    expect(await crashed.exited).toBe('SIGKILL');
    const stack = await startStackProcess({ dataDir });
    stacks.push(stack);
    return stack;
  }

  async function settled(stack: StackProcess, record: LoadRecord, timeoutMs = 120_000) {
    let last: InvariantReport | undefined;
    await waitFor(
      async () => {
        last = await checkInvariants(stack.endpoints, record);
        return invariantsHold(last) ? last : undefined;
      },
      'the invariants to hold',
      timeoutMs,
    ).catch(() => undefined);
    return last as InvariantReport;
  }

  it('files a mail answered 250 whose intake never ran', async () => {
    const { dataDir, stack } = await crashingStack('smtp.afterAccept');
    const messageId = '<crash-after-accept@chaos.test>';
    await sendMail(stack.endpoints, {
      from: 'ann@chaos.test',
      subject: 'Broken kettle',
      text: 'It leaks.',
      messageId,
    });
    const again = await restart(dataDir, stack);
    const record: LoadRecord = {
      sent: [messageId],
      mails: [{ messageId, from: 'ann@chaos.test' }],
      writes: [],
    };
    const report = await settled(again, record);
    expect(report).toMatchObject({
      mailsFiled: 1,
      mailsLost: 0,
      mailsDoubled: 0,
      stuck: 0,
      failedExecutions: 0,
    });
    await waitFor(
      async () =>
        (await mailbox(again.endpoints.mailbox.url)).find((m) => m.destination.to.includes('ann@chaos.test')),
      'the acknowledgement',
    );
  }, 240_000);

  it('applies a resolution answered 202 exactly once when the stack dies right after answering', async () => {
    // The claim is the first write answered 2xx, the resolution the second.
    const { dataDir, stack } = await crashingStack('api.afterWriteAnswered:2');
    const messageId = '<crash-after-202@chaos.test>';
    await sendMail(stack.endpoints, {
      from: 'bob@chaos.test',
      subject: 'Late parcel',
      text: 'Still waiting.',
      messageId,
    });
    const token = stack.endpoints.tokens.tier1;
    const complaint = await waitFor(async () => {
      const page = await api<{ items: { id: string; status: string }[] }>(
        stack.endpoints,
        'GET',
        '/complaints?queue=tier1',
        {
          token,
        },
      );
      return page.body.items?.find((c) => c.status === 'awaiting_agent');
    }, 'the complaint in the tier-1 queue');
    const write = async (path: string, body: object) => {
      const detail = await api<{ complaint: { version: number } }>(
        stack.endpoints,
        'GET',
        `/complaints/${complaint.id}`,
        {
          token,
        },
      );
      return api(stack.endpoints, 'POST', `/complaints/${complaint.id}${path}`, {
        token,
        body,
        headers: { 'if-match': `"${detail.body.complaint.version}"` },
      });
    };
    expect((await write('/claim', {})).status).toBe(200);
    const resolved = await write('/resolution', {
      type: 'refund',
      amount: 40,
      currency: 'EUR',
      summary: 'Refunded.',
      rootCause: 'carrier_delay',
    });
    expect(resolved.status).toBe(202);
    const again = await restart(dataDir, stack);
    const record: LoadRecord = {
      sent: [messageId],
      mails: [{ messageId, from: 'bob@chaos.test' }],
      writes: [
        { complaintId: complaint.id, action: 'claim', status: 200 },
        { complaintId: complaint.id, action: 'resolve', status: 202, amount: 40 },
      ],
    };
    const report = await settled(again, record);
    expect(report).toMatchObject({
      writesLost: 0,
      writesDoubled: 0,
      refundsDoubled: 0,
      stuck: 0,
      failedExecutions: 0,
    });
    await waitFor(
      async () =>
        (await mailbox(again.endpoints.mailbox.url)).find(
          (m) =>
            m.destination.to.includes('bob@chaos.test') &&
            /resol|refund/i.test(`${m.subject} ${m.body.text}`),
        ),
      'the resolution mail',
      120_000,
    );
  }, 300_000);

  it('sends the acknowledgement after a crash in the middle of sending it', async () => {
    const { dataDir, stack } = await crashingStack('ses.midSend');
    const messageId = '<crash-mid-send@chaos.test>';
    await sendMail(stack.endpoints, {
      from: 'cem@chaos.test',
      subject: 'Wrong size',
      text: 'Too small.',
      messageId,
    });
    const again = await restart(dataDir, stack);
    const record: LoadRecord = {
      sent: [messageId],
      mails: [{ messageId, from: 'cem@chaos.test' }],
      writes: [],
    };
    const report = await settled(again, record);
    expect(report).toMatchObject({ mailsLost: 0, mailsDoubled: 0, stuck: 0, failedExecutions: 0 });
    // The send lease of the killed process has to run out before a retry may send: within a few minutes.
    const acks = await waitFor(
      async () => {
        const sent = (await mailbox(again.endpoints.mailbox.url)).filter((m) =>
          m.destination.to.includes('cem@chaos.test'),
        );
        return sent.length > 0 ? sent : undefined;
      },
      'the acknowledgement',
      180_000,
    );
    expect(acks).toHaveLength(1);
  }, 360_000);

  it('mails a first reply whose request died after recording it, before SES took the mail: once', async () => {
    // The acknowledgement is the first mail sent, the reply the second: the stack dies as SES gets it.
    const { dataDir, stack } = await crashingStack('ses.midSend:2');
    const customer = 'dana@chaos.test';
    await sendMail(stack.endpoints, { from: customer, subject: 'Cracked lid', text: 'It broke.' });
    const token = stack.endpoints.tokens.tier1;
    const complaint = await waitFor(async () => {
      const page = await api<{
        items: { id: string; status: string; version: number; customerEmail: string }[];
      }>(stack.endpoints, 'GET', '/complaints?queue=tier1', { token });
      return page.body.items?.find((c) => c.status === 'awaiting_agent' && c.customerEmail === customer);
    }, 'the complaint in the tier-1 queue');
    await waitFor(
      async () =>
        (await mailbox(stack.endpoints.mailbox.url)).find((m) => m.destination.to.includes(customer)),
      'the acknowledgement',
    );
    const text = 'We send you a new lid today.';
    // The agent's request never gets an answer: the first response is committed, the mail not sent.
    const answered = await api(stack.endpoints, 'POST', `/complaints/${complaint.id}/replies`, {
      token,
      body: { text, version: complaint.version },
    }).catch(() => undefined);
    expect(answered).toBeUndefined();
    const again = await restart(dataDir, stack);
    // The reply outbox sends it once the dead request's send lease has run out (a queue's visibility
    // timeout after it first met the lease).
    const replies = async () =>
      (await mailbox(again.endpoints.mailbox.url)).filter(
        (m) => m.destination.to.includes(customer) && m.body.text?.includes(text),
      );
    await waitFor(async () => ((await replies()).length > 0 ? true : undefined), 'the reply', 240_000);
    const detail = await api<{ complaint: { firstResponseAt?: string }; timeline: { purpose?: string }[] }>(
      again.endpoints,
      'GET',
      `/complaints/${complaint.id}`,
      { token: again.endpoints.tokens.tier1 },
    );
    expect(detail.body.complaint.firstResponseAt).toBeDefined();
    expect(detail.body.timeline.filter((e) => e.purpose === 'reply')).toHaveLength(1);
    expect(await replies()).toHaveLength(1);
  }, 420_000);
});
