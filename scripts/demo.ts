import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentRole } from '../functions/core/policy';
import type { LocalEndpoints } from './local/localStack';
import { api, mailbox, sendMail, waitFor, waitForMail } from './local/localStackClient';

/**
 * `npm run demo`: walks every path of the lifecycle against a running `npm start`, printing each
 * transition as it happens. Uses only the public interfaces: SMTP, the mailbox, the agent API and the
 * survey link. With `COMPLAINTS_PROFILE=fast npm start` it takes about a minute; with the standard
 * profile the timed paths (SLA breach, reminders, follow-up calls) take business days and time out here.
 */
const dataDir = process.env.COMPLAINTS_DATA_DIR ?? '.local';
let endpoints: LocalEndpoints;
try {
  endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
} catch {
  console.error(
    `No ${dataDir}/endpoints.json: start the local stack first with \`COMPLAINTS_PROFILE=fast npm start\`.`,
  );
  process.exit(1);
}

interface Detail {
  complaint: {
    status: string;
    tier: number;
    priority: string;
    version: number;
    waitingFor?: string;
    reopenCount?: number;
  };
  timeline: {
    kind: string;
    id: string;
    at: string;
    action?: string;
    direction?: string;
    purpose?: string;
    toStatus?: string;
    details?: Record<string, unknown>;
  }[];
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const token = (role: AgentRole) => endpoints.tokens[role];

/** One customer's case: opens it by mail and prints its timeline as it grows. */
class Case {
  id = '';
  reference = '';
  replyTo = '';
  private seen = new Set<string>();
  readonly customer: string;

  constructor(readonly name: string) {
    this.customer = `${name.toLowerCase().replace(/\W+/g, '.')}.${Date.now().toString(36)}@example.org`;
  }

  log(text: string) {
    console.log(`${elapsed()}  ${this.name.padEnd(22)} ${text}`);
  }

  async open(subject: string, text: string) {
    this.log(`customer emails "${subject}"`);
    await sendMail(endpoints, { from: this.customer, subject, text });
    const ack = await waitForMail(endpoints, this.customer, /CMP-[0-9A-Z]{6}/);
    this.reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
    this.replyTo = ack.replyTo[0] as string;
    const found = await api<{ items: { id: string }[] }>(
      endpoints,
      'GET',
      `/complaints?reference=${this.reference}`,
      {
        token: token('tier1'),
      },
    );
    this.id = found.body.items[0]?.id as string;
    this.log(`acknowledged as ${this.reference}`);
  }

  async detail(): Promise<Detail> {
    const d = (await api<Detail>(endpoints, 'GET', `/complaints/${this.id}`, { token: token('manager') }))
      .body;
    for (const e of d.timeline) {
      if (this.seen.has(e.id)) continue;
      this.seen.add(e.id);
      if (e.kind === 'audit') {
        const info = e.details ? ` ${JSON.stringify(e.details).slice(0, 110)}` : '';
        this.log(`  ${e.action} -> ${e.toStatus}${info}`);
      } else if (e.direction === 'outbound') {
        this.log(`  mail to customer (${e.purpose})`);
      }
    }
    return d;
  }

  until(predicate: (d: Detail) => boolean, what: string, timeoutMs = 60_000) {
    return waitFor(
      async () => {
        const d = await this.detail();
        return predicate(d) ? d : undefined;
      },
      `${this.name}: ${what}`,
      timeoutMs,
    );
  }

  waitingFor(kind: string) {
    return this.until(
      (d) => d.complaint.waitingFor === kind && d.complaint.status !== 'deciding',
      `waiting for ${kind}`,
    );
  }

  async act(path: string, body: unknown, role: AgentRole = 'tier1') {
    // Every write carries the version the agent acted on (If-Match), as a real client would.
    const { version } = (await this.detail()).complaint;
    const res = await api(endpoints, 'POST', `/complaints/${this.id}/${path}`, {
      token: token(role),
      body,
      headers: { 'if-match': `"${version}"` },
    });
    this.log(`${role} POST ${path} -> HTTP ${res.status}`);
  }
}

const refund = (amount: number) => ({
  type: 'refund',
  amount,
  summary: `We refunded ${amount} EUR.`,
  rootCause: 'carrier_delay',
});

const scenarios: Record<string, (c: Case) => Promise<void>> = {
  'Happy path': async (c) => {
    await c.open('Parcel two weeks late', 'My parcel from order 1234 is two weeks late.');
    await c.waitingFor('agent');
    await c.act('resolution', refund(40));
    await c.waitingFor('follow_up');
    await c.act('follow-up', { outcome: 'satisfied', note: 'Customer happy.' });
    await c.until((d) => d.complaint.status === 'closed', 'closed');
  },
  Approval: async (c) => {
    await c.open('Broken television', 'The TV arrived with a cracked screen. I want my money back.');
    await c.waitingFor('agent');
    await c.act('resolution', refund(600));
    await c.waitingFor('approval');
    await c.act('approval', { decision: 'reject', reason: 'Offer a replacement first.' }, 'tier2');
    await c.waitingFor('agent');
    await c.act('resolution', refund(600));
    await c.waitingFor('approval');
    await c.act('approval', { decision: 'approve' }, 'tier2');
    await c.waitingFor('follow_up');
  },
  'Request info': async (c) => {
    await c.open('Item missing', 'One item is missing from my order.');
    await c.waitingFor('agent');
    await c.act('info-requests', { question: 'Which item is missing?' });
    await c.waitingFor('customer');
    c.log('customer replies to the reply-to address');
    await sendMail(endpoints, {
      from: c.customer,
      to: c.replyTo,
      subject: 'Re: Item missing',
      text: 'The charger.',
    });
    await c.waitingFor('agent');
  },
  Abandoned: async (c) => {
    await c.open('Refund status', 'Where is my refund?');
    await c.waitingFor('agent');
    await c.act('info-requests', { question: 'What is your order number?' });
    await c.until((d) => d.complaint.status === 'closed', 'closed as abandoned');
  },
  'Risk signal': async (c) => {
    await c.open('Final warning', 'My lawyer will take legal action unless you refund me this week.');
    await c.until((d) => d.complaint.tier >= 2 && d.complaint.waitingFor === 'agent', 'escalated on risk');
  },
  'SLA breach': async (c) => {
    await c.open('Nobody answers', 'I wrote days ago and nobody answered.');
    await c.until((d) => d.timeline.some((e) => e.action === 'escalate'), 'escalated on breach');
  },
  'Survey, unsatisfied': async (c) => {
    await c.open('Sofa torn', 'The sofa has a tear in the seat.');
    await c.waitingFor('agent');
    await c.act('resolution', {
      type: 'replacement',
      summary: 'A new sofa is on its way.',
      rootCause: 'warehouse_error',
    });
    for (let attempt = 1; attempt <= 2; attempt++) {
      await c.until(
        (d) =>
          d.complaint.waitingFor === 'follow_up' &&
          d.timeline.filter((e) => e.action === 'recordUnreachable').length === attempt - 1,
        'follow-up call',
      );
      await c.act('follow-up', { outcome: 'unreachable' });
    }
    const survey = await waitForMail(endpoints, c.customer, /Are you satisfied/, 60_000);
    const link = /(http\S+answer=unsatisfied)/.exec(survey.body.text ?? '')?.[1] as string;
    await c.waitingFor('survey');
    c.log('customer clicks "not satisfied" in the survey mail and confirms on the page it opens');
    // The link opens a confirmation page and changes nothing; only the page's form post answers.
    await (await fetch(link)).text();
    const answered = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'answer=unsatisfied',
    });
    await answered.text();
    if (!answered.ok) throw new Error(`survey answer: HTTP ${answered.status}`);
    await c.until(
      (d) => (d.complaint.reopenCount ?? 0) > 0 && d.complaint.waitingFor === 'agent',
      'reopened',
    );
  },
};

console.log(`Demo against ${endpoints.api.url} — ${Object.keys(scenarios).length} complaints in parallel\n`);
const results = await Promise.allSettled(
  Object.entries(scenarios).map(async ([name, run]) => {
    const c = new Case(name);
    await run(c);
    c.log('done');
  }),
);
const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
for (const f of failed) console.error(`\nFAILED: ${String(f.reason)}`);
console.log(
  `\n${results.length - failed.length}/${results.length} paths completed in ${elapsed().trim()}; ${(await mailbox(endpoints.mailbox.url)).length} mails in ${endpoints.mailbox.url}`,
);
process.exit(failed.length === 0 ? 0 : 1);
