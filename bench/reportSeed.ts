import type { DynamoReportStore } from '../functions/adapters/reportStore';
import { type DomainEvent, parseDomainEvent } from '../functions/core/events/domainEvents';
import { complaintCategories } from '../functions/core/investigation';
import { type CounterUpdate, reportUpdates, sumCounterUpdate } from '../functions/core/reports/projection';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rootCauses = [
  'carrier_delay',
  'warehouse_error',
  'billing_error',
  'product_defect',
  'website_bug',
  'policy',
  'staff',
  'other',
];
const priorities = ['low', 'normal', 'high', 'urgent'] as const;

/** A deterministic number in [0, 1) for complaint `n` and draw `k` (a small integer hash). */
function draw(n: number, k: number): number {
  let x = Math.imul(n + 1, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca77);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return ((x ^ (x >>> 15)) >>> 0) / 2 ** 32;
}

/**
 * The domain events of one synthetic complaint `n`, opened in the `days` before `now`: opened, maybe
 * escalated on a risk signal, answered, maybe breached, resolved by one of 40 agents, followed up
 * (satisfied, unsatisfied and reopened, or unreachable), closed. Each is validated against its schema,
 * as the publisher does.
 */
export function complaintEvents(n: number, now: Date, days = 84): DomainEvent[] {
  const opened = now.getTime() - Math.floor(draw(n, 0) * days * DAY) - HOUR;
  const complaintId = `bench-${n}`;
  const priority = priorities[Math.floor(draw(n, 1) * priorities.length)] as (typeof priorities)[number];
  const envelope = {
    schemaVersion: 1,
    complaintId,
    customerId: `cus-bench${Math.floor(n * 0.8)}`,
    tier: 1,
    priority,
    category: complaintCategories[n % complaintCategories.length],
    openedAt: new Date(opened).toISOString(),
  };
  const agent = { kind: 'agent', id: `agent-${n % 40}`, role: 'tier1' };
  const events: Record<string, unknown>[] = [];
  const at = (ms: number) => new Date(Math.min(ms, now.getTime())).toISOString();
  const add = (type: string, ms: number, data: Record<string, unknown>, actor: object = { kind: 'system' }) =>
    events.push({
      ...envelope,
      eventId: `${complaintId}-v${events.length + 2}`,
      complaintVersion: events.length + 2,
      type,
      occurredAt: at(ms),
      actor,
      data,
    });
  add('ComplaintOpened', opened, { reference: `CMP-${n.toString(36).toUpperCase()}`, automated: false });
  if (draw(n, 2) < 0.03) {
    add('ComplaintEscalated', opened + 60_000, {
      cause: 'risk_signal',
      fromTier: 1,
      toTier: 2,
      riskSignals: ['legal_threat'],
    });
  }
  const firstDue = opened + 8 * HOUR;
  const answered = opened + Math.floor(draw(n, 3) * 10 * HOUR);
  add(
    'CustomerContacted',
    answered,
    { via: 'reply', sla: { target: 'firstResponse', dueAt: at(firstDue) }, firstResponseAt: at(answered) },
    agent,
  );
  if (draw(n, 4) < 0.1) {
    add('SlaBreached', answered + HOUR, {
      cause: 'sla_breach',
      sla: { target: 'resolution', dueAt: at(answered + HOUR) },
      fromTier: 1,
      toTier: 2,
      managerAlert: false,
    });
  }
  const resolved = answered + Math.floor(draw(n, 5) * 5 * DAY);
  add(
    'ResolutionApplied',
    resolved,
    {
      decisionId: `${complaintId}-d1`,
      resolution: {
        type: 'refund',
        amount: 10 + Math.floor(draw(n, 6) * 90),
        currency: 'EUR',
        rootCause: rootCauses[Math.floor(draw(n, 7) ** 2 * rootCauses.length)],
      },
      authorityLimit: 100,
      sla: { target: 'resolution', dueAt: at(opened + 5 * DAY) },
    },
    agent,
  );
  const outcome = draw(n, 8);
  const followUp = resolved + 2 * DAY;
  if (outcome < 0.8) {
    add('FollowUpCompleted', followUp, { outcome: 'satisfied', via: 'call' }, agent);
    add('ComplaintClosed', followUp, { reason: 'satisfied' }, agent);
  } else if (outcome < 0.9) {
    add('FollowUpCompleted', followUp, { outcome: 'unsatisfied', via: 'call' }, agent);
    add('ComplaintReopened', followUp, {
      via: 'unsatisfied_follow_up',
      wasClosed: false,
      fromPriority: priority,
      toPriority: priority,
    });
  } else {
    add('FollowUpCompleted', followUp, { outcome: 'unreachable', via: 'call' }, agent);
    add('SurveyAnswered', followUp + DAY, { outcome: 'satisfied' });
    add('ComplaintClosed', followUp + DAY, { reason: 'satisfied' });
  }
  return events.map(parseDomainEvent);
}

/**
 * Counts the events of complaints `from`..`to - 1` into the report counters with the projection the
 * report consumer runs (`reportUpdates`) and the store it writes with (`DynamoReportStore.apply`, one event's write). To seed
 * 100,000 complaints in minutes instead of hours (DynamoDB Local updates a few hundred items a second),
 * the updates of all of them are summed per counter item and applied 99 items per transaction (each
 * with one marker): the counters hold what the consumer would have counted event by event. Returns
 * the number of events counted and of counter items written.
 */
export async function seedReports(
  reports: DynamoReportStore,
  from: number,
  to: number,
  now: Date,
): Promise<{ events: number; items: number }> {
  let events = 0;
  const totals = new Map<string, CounterUpdate>();
  for (let n = from; n < to; n++) {
    for (const event of complaintEvents(n, now)) {
      events++;
      for (const update of reportUpdates(event)) sumCounterUpdate(totals, update);
    }
  }
  const updates = [...totals.values()];
  const chunks: CounterUpdate[][] = [];
  for (let i = 0; i < updates.length; i += 99) chunks.push(updates.slice(i, i + 99));
  for (let i = 0; i < chunks.length; i += 4) {
    await Promise.all(
      chunks.slice(i, i + 4).map((chunk, j) => reports.apply(`bench-seed-${from}-${i + j}`, chunk, now)),
    );
  }
  return { events, items: updates.length };
}
