import { createTransport } from 'nodemailer';
import type { LocalEndpoints } from '../local/localStack';
import { api } from '../local/localStackClient';

/** A mail the intake answered 250: it must be filed exactly once. */
export interface AcceptedMail {
  messageId: string;
  from: string;
  /** A reply to this complaint, or a new complaint. */
  replyTo?: string;
}

/** A complaint write the API answered 2xx: it must take effect exactly once. */
export interface AnsweredWrite {
  complaintId: string;
  action: 'claim' | 'reply' | 'resolve' | 'request_approval' | 'request_info' | 'approve' | 'follow_up';
  status: number;
  amount?: number;
}

/** What one load run accepted (everything answered 250 or 2xx before the kill). */
export interface LoadRecord {
  /** Every Message-ID sent, answered or not: none may be filed twice. */
  sent: string[];
  mails: AcceptedMail[];
  writes: AnsweredWrite[];
  /**
   * Writes answered otherwise, by action and status (`resolve 409`): what the load's agents were refused,
   * for reading a run (a resolution refused because its wait timed out under load is correct, not lost).
   */
  refused?: Record<string, number>;
}

export interface LoadOptions {
  /** Unique per run: Message-IDs and customer addresses are made from it. */
  runId: string;
  /** Parallel SMTP connections. */
  connections: number;
  /** New mails per second over all connections: arrivals at a steady rate, as a mailbox sees them. */
  mailRate: number;
  /** Parallel agents per tier (tier 1-3), acting on their queues. */
  agentsPerTier: number;
  /** Deterministic choices (amounts, replies). */
  random: () => number;
  /** Complaints known from earlier rounds, for customer replies. */
  known: { id: string; reference: string; customerEmail: string }[];
}

interface QueueItem {
  id: string;
  reference: string;
  status: string;
  tier: number;
  customerEmail: string;
}

const tierTokens = ['tier1', 'tier2', 'tier3'] as const;

/**
 * Mixed load until `signal` aborts: new complaints and customer replies over SMTP, and agents working
 * their queues over the API (claim, resolve within or above their limit, approve, record satisfied
 * follow-up calls). Only what was answered 250 / 2xx is recorded.
 */
export async function runLoad(
  endpoints: LocalEndpoints,
  options: LoadOptions,
  signal: AbortSignal,
  record: LoadRecord,
): Promise<void> {
  let counter = 0;
  const sender = async (connection: number) => {
    const transport = createTransport({
      host: endpoints.smtp.host,
      port: endpoints.smtp.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 1,
      socketTimeout: 15_000,
    });
    try {
      const started = Date.now();
      for (let sentHere = 0; !signal.aborted; sentHere++) {
        // Each connection carries its share of the rate: wait for this mail's slot.
        const slot = started + (sentHere * 1000 * options.connections) / options.mailRate;
        if (slot > Date.now()) await sleep(slot - Date.now());
        if (signal.aborted) return;
        const n = counter++;
        const messageId = `<chaos-${options.runId}-${connection}-${n}@chaos.test>`;
        const known = options.known;
        const reply = known.length > 0 && options.random() < 0.15 ? pick(known, options.random) : undefined;
        const from = reply ? reply.customerEmail : `customer-${options.runId}-${n}@chaos.test`;
        const mail = reply
          ? { subject: `Re: [${reply.reference}] My order`, text: 'Any news about my order?' }
          : { subject: `Order ${n} arrived damaged`, text: `Order ${n} arrived with a dented box.` };
        record.sent.push(messageId);
        try {
          await transport.sendMail({ from, to: endpoints.supportAddress, messageId, ...mail });
          record.mails.push({ messageId, from, ...(reply ? { replyTo: reply.id } : {}) });
        } catch {
          if (signal.aborted) return;
        }
      }
    } finally {
      transport.close();
    }
  };

  const agent = async (tier: (typeof tierTokens)[number]) => {
    const token = endpoints.tokens[tier];
    while (!signal.aborted) {
      try {
        const page = await api<{ items: QueueItem[] }>(
          endpoints,
          'GET',
          `/complaints?queue=${tier}&limit=20`,
          {
            token,
          },
        );
        const items = page.status === 200 ? page.body.items : [];
        if (items.length === 0) await sleep(200);
        for (const item of shuffle(items, options.random)) {
          if (signal.aborted) return;
          await actOn(endpoints, tier, item, options.random, record);
        }
      } catch {
        if (signal.aborted) return;
        await sleep(200);
      }
    }
  };

  await Promise.all([
    ...Array.from({ length: options.connections }, (_, i) => sender(i)),
    ...tierTokens.flatMap((tier) => Array.from({ length: options.agentsPerTier }, () => agent(tier))),
  ]);
}

async function actOn(
  endpoints: LocalEndpoints,
  tier: (typeof tierTokens)[number],
  item: QueueItem,
  random: () => number,
  record: LoadRecord,
) {
  const token = endpoints.tokens[tier];
  const write = async (path: string, action: AnsweredWrite['action'], body: object, amount?: number) => {
    const detail = await api<{ complaint: { version: number } }>(endpoints, 'GET', `/complaints/${item.id}`, {
      token,
    });
    if (detail.status !== 200) return false;
    const res = await api(endpoints, 'POST', `/complaints/${item.id}${path}`, {
      token,
      body,
      headers: { 'if-match': `"${detail.body.complaint.version}"` },
    });
    if (res.status >= 200 && res.status < 300) {
      record.writes.push({ complaintId: item.id, action, status: res.status, ...(amount ? { amount } : {}) });
      return true;
    }
    const answer = `${action} ${res.status}`;
    record.refused = { ...record.refused, [answer]: (record.refused?.[answer] ?? 0) + 1 };
    return false;
  };
  if (item.status === 'awaiting_agent') {
    if (!(await write('/claim', 'claim', {}))) return;
    // Some agents answer the customer first: the first reply records the first response, then mails it
    // (a kill between the two leaves it to the reply outbox).
    if (random() < 0.3) {
      await write('/replies', 'reply', {
        text: 'We are looking into your order and will come back to you today.',
      });
    }
    // Some complaints need the customer first: the workflow mails the question (nobody answers it here,
    // so the complaint is reminded, then closed as abandoned).
    if (random() < 0.15) {
      await write('/info-requests', 'request_info', { question: 'Which order number is it?' });
      return;
    }
    // Tier 1 may apply 100 EUR alone: 150 goes to a tier-2 approval.
    const amount = tier === 'tier1' && random() < 0.3 ? 150 : 40;
    await write(
      '/resolution',
      amount > 100 && tier === 'tier1' ? 'request_approval' : 'resolve',
      {
        type: 'refund',
        amount,
        currency: 'EUR',
        summary: 'Refunded the damaged order.',
        rootCause: 'warehouse_error',
      },
      amount,
    );
  } else if (item.status === 'awaiting_approval') {
    await write('/approval', 'approve', { decision: 'approve' });
  } else if (item.status === 'awaiting_follow_up') {
    await write('/follow-up', 'follow_up', { outcome: 'satisfied', note: 'Happy with the refund.' });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pick<T>(items: T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

/** A small seeded generator (mulberry32): the same seed gives the same choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
