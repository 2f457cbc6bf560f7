import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { reportMarkerPrefix } from '../../functions/adapters/reportStore';
import { eventOfRecord } from '../../functions/application/insights/publishDomainEvents';
import { countsInReports } from '../../functions/application/insights/reports';
import { parseDomainEvent } from '../../functions/core/events/domainEvents';
import type { LocalEndpoints } from '../local/localStack';
import type { AcceptedMail, AnsweredWrite } from './load';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

/** What the invariants found; every count but the first three of each group must be 0. */
export interface InvariantReport {
  mailsAccepted: number;
  mailsFiled: number;
  /** Answered 250, filed nowhere (no complaint timeline, no quarantine). */
  mailsLost: number;
  /** Filed more than once (any Message-ID we sent). */
  mailsDoubled: number;
  writesAnswered: number;
  writesApplied: number;
  /** Answered 2xx, no effect. */
  writesLost: number;
  /** Took effect more than once. */
  writesDoubled: number;
  /** Resolutions (refunds) applied more than once for the same decision. */
  refundsDoubled: number;
  /**
   * Requests for information the workflow accepted (answered or not: the API may have died after the
   * accepting write), made well before the scan, whose question no mail on the timeline asks.
   */
  questionsUnasked: number;
  /** Accepted questions mailed more than once. */
  questionsDoubled: number;
  /**
   * First responses recorded (answered 2xx or not: the API may have died after the write), made well
   * before the scan (see {@link replySlackMs}), whose reply no mail on the timeline carries: the reply
   * outbox did not send it.
   */
  repliesUnsent: number;
  /** Replies mailed more than once (two timeline mails with one send-once key). */
  repliesDoubled: number;
  /** Complaints not closed, in no queue and with no running execution. */
  stuck: number;
  failedExecutions: number;
  /** Domain events the bus's log should hold: one per committed catalogued change (audit item). */
  eventsExpected: number;
  /**
   * Committed changes with no event in the log, though the log has events of changes made well after
   * them (see {@link publishSlackMs}).
   */
  eventsMissing: number;
  /**
   * Committed changes with no event in the log yet, the latest ones: on their way through the stream;
   * and events of changes made while the table was scanned, which the scan may have missed.
   */
  eventsInFlight: number;
  /** How long ago the oldest of those was made (0 with none). */
  oldestInFlightMs: number;
  /** Changes with more than one event in the log (by event id, or by complaint and version). */
  eventsDuplicated: number;
  /** Events in the log with no committed change behind them. */
  eventsWithoutChange: number;
  /**
   * Logged events that count in the reports, made well before the table scan (see
   * {@link publishSlackMs}), whose report marker is not in the table: the projector lost them. (Counted
   * twice cannot happen unseen: an event's counters commit only with its marker, put only if absent.)
   * Younger ones without a marker are in flight.
   */
  eventsUncounted: number;
  /** The ids behind each non-zero count, for the report. */
  examples: Record<string, string[]>;
}

interface Entry {
  PK: string;
  SK: string;
  entity?: string;
  kind?: string;
  direction?: string;
  messageId?: string;
  action?: string;
  details?: Record<string, unknown>;
  purpose?: string;
  at?: string;
  status?: string;
  toStatus?: string;
  summary?: { messageId?: string };
  GSI2PK?: string;
  executionName?: string;
  id?: string;
}

const bare = (id: string | undefined) => (id ?? '').replace(/^<|>$/g, '').trim().toLowerCase();

/**
 * Checks the crash invariants against what the stack has stored: every mail answered 250 is filed
 * exactly once, every write answered 2xx took effect exactly once, no refund twice, every open complaint
 * is in a queue or has a running execution, no execution FAILED.
 */
export async function checkInvariants(
  endpoints: LocalEndpoints,
  accepted: { sent: string[]; mails: AcceptedMail[]; writes: AnsweredWrite[] },
): Promise<InvariantReport> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: endpoints.dynamodb.endpoint, region, credentials }),
  );
  const items: Entry[] = [];
  const scannedFrom = Date.now();
  for await (const page of paginateScan({ client: db }, { TableName: 'Complaints' })) {
    items.push(...((page.Items ?? []) as Entry[]));
  }
  const filings = new Map<string, number>();
  const count = (id: string | undefined) => {
    if (id) filings.set(bare(id), (filings.get(bare(id)) ?? 0) + 1);
  };
  const audits = new Map<string, Entry[]>();
  const questions = new Map<string, number>();
  /** Per complaint, the send-once key of every reply mail on its timeline (once per mail). */
  const replies = new Map<string, string[]>();
  const complaints: Entry[] = [];
  for (const item of items) {
    if (item.PK.startsWith('COMPLAINT#') && item.SK === 'META') complaints.push(item);
    else if (item.PK.startsWith('COMPLAINT#') && item.kind === 'message' && item.direction === 'inbound') {
      count(item.messageId);
    } else if (
      item.PK.startsWith('COMPLAINT#') &&
      item.kind === 'message' &&
      item.purpose === 'info_request'
    ) {
      const id = item.PK.slice('COMPLAINT#'.length);
      questions.set(id, (questions.get(id) ?? 0) + 1);
    } else if (
      item.PK.startsWith('COMPLAINT#') &&
      item.kind === 'message' &&
      item.direction === 'outbound' &&
      item.purpose === 'reply'
    ) {
      const id = item.PK.slice('COMPLAINT#'.length);
      replies.set(id, [...(replies.get(id) ?? []), String(item.id)]);
    } else if (item.PK.startsWith('COMPLAINT#') && item.kind === 'audit') {
      const id = item.PK.slice('COMPLAINT#'.length);
      audits.set(id, [...(audits.get(id) ?? []), item]);
    } else if (item.PK.startsWith('QUARANTINE#') && item.status !== 'released') {
      // A released mail is filed on a complaint as well: count it once, there.
      count(item.summary?.messageId);
    }
  }
  const examples: Record<string, string[]> = {};
  const note = (what: string, id: string) => {
    examples[what] = [...(examples[what] ?? []), id].slice(0, 5);
  };

  let mailsFiled = 0;
  let mailsLost = 0;
  for (const mail of accepted.mails) {
    const n = filings.get(bare(mail.messageId)) ?? 0;
    if (n === 0) {
      mailsLost++;
      note('mailsLost', mail.messageId);
    } else mailsFiled++;
  }
  let mailsDoubled = 0;
  for (const id of new Set(accepted.sent)) {
    if ((filings.get(bare(id)) ?? 0) > 1) {
      mailsDoubled++;
      note('mailsDoubled', id);
    }
  }

  const actions = (id: string, action: string) => (audits.get(id) ?? []).filter((a) => a.action === action);
  const applied = (id: string) => actions(id, 'applyResolution').length;
  let writesApplied = 0;
  let writesLost = 0;
  let writesDoubled = 0;
  const byComplaint = new Map<string, AnsweredWrite[]>();
  for (const w of accepted.writes)
    byComplaint.set(w.complaintId, [...(byComplaint.get(w.complaintId) ?? []), w]);
  for (const [id, writes] of byComplaint) {
    const kinds = (k: AnsweredWrite['action']) => writes.filter((w) => w.action === k).length;
    // Each kind of write is answered 2xx at most once per complaint in this load, so its effect
    // must be there exactly once.
    const effects: Record<AnsweredWrite['action'], number> = {
      claim: actions(id, 'claim').length,
      resolve: applied(id),
      approve: applied(id),
      request_approval: (audits.get(id) ?? []).filter(
        (a) => a.action === 'awaitPerson' && a.details?.waitingFor === 'approval',
      ).length,
      follow_up: actions(id, 'close').filter((a) => a.toStatus === 'closed').length,
      request_info: questions.get(id) ?? 0,
      reply: new Set(replies.get(id)).size,
    };
    for (const kind of Object.keys(effects) as AnsweredWrite['action'][]) {
      // Resolving and approving both end in one applied resolution: a complaint reopened by its customer
      // may be resolved once more, so they are counted together.
      const answered =
        kind === 'resolve' || kind === 'approve' ? kinds('resolve') + kinds('approve') : kinds(kind);
      if (kind === 'approve' && kinds('resolve') > 0) continue;
      if (kind === 'resolve' && kinds('resolve') === 0) continue;
      if (answered === 0) continue;
      const effect = effects[kind];
      if (effect === 0) {
        writesLost += answered;
        note('writesLost', `${id} ${kind}`);
      } else if (kind !== 'claim' && kind !== 'request_approval' && kind !== 'reply' && effect > answered) {
        writesDoubled += effect - answered;
        note('writesDoubled', `${id} ${kind}`);
      } else writesApplied += answered;
    }
  }
  // A complaint may be resolved again after a customer reopened it, by a new decision: what must never
  // happen is the same decision applied (and paid) twice.
  let refundsDoubled = 0;
  for (const c of complaints) {
    const id = c.PK.slice('COMPLAINT#'.length);
    const decisions = actions(id, 'applyResolution').map((a) => String(a.details?.decisionId));
    const twice = decisions.filter((d, i) => decisions.indexOf(d) !== i);
    if (twice.length > 0) {
      refundsDoubled += twice.length;
      note('refundsDoubled', `${id} decision ${twice[0]}`);
    }
  }

  // Every request for information the workflow was handed is asked, once (AskCustomer), whatever became
  // of the API call that made it; one accepted in the last moments before the scan may be on its way.
  let questionsUnasked = 0;
  let questionsDoubled = 0;
  for (const [id, entries] of audits) {
    // A decision released (its hand-over failed: the workflow never had it) is asked by nobody.
    const released = new Set(
      entries.filter((a) => a.action === 'releaseDecision').map((a) => a.details?.decisionId),
    );
    const accepted = entries.filter(
      (a) =>
        a.action === 'acceptDecision' &&
        a.details?.decision === 'request_info' &&
        !released.has(a.details?.decisionId),
    );
    const settled = accepted.filter((a) => scannedFrom - Date.parse(a.at ?? '') > publishSlackMs).length;
    const asked = questions.get(id) ?? 0;
    if (asked < settled) {
      questionsUnasked += settled - asked;
      note('questionsUnasked', id);
    } else if (asked > accepted.length) {
      questionsDoubled += asked - accepted.length;
      note('questionsDoubled', id);
    }
  }

  // Every first response recorded is mailed, once, whatever became of the request that recorded it: by
  // that request, its retry, or the reply outbox once the request's send lease has ended.
  let repliesUnsent = 0;
  let repliesDoubled = 0;
  for (const [id, entries] of audits) {
    const mailed = replies.get(id) ?? [];
    for (const first of entries.filter((a) => a.action === 'recordReply')) {
      const key = String(first.details?.entryId);
      if (!mailed.includes(key) && scannedFrom - Date.parse(first.at ?? '') > replySlackMs) {
        repliesUnsent++;
        note('repliesUnsent', `${id} ${key}`);
      }
    }
  }
  for (const [id, keys] of replies) {
    const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (twice.length > 0) {
      repliesDoubled += twice.length;
      note('repliesDoubled', `${id} ${twice[0]}`);
    }
  }

  const sfn = new SFNClient({ endpoint: endpoints.stepfunctions.endpoint, region, credentials });
  const running = new Set(await executionNamesWith(sfn, endpoints.stepfunctions.stateMachineArn, 'RUNNING'));
  const failed = await executionNamesWith(sfn, endpoints.stepfunctions.stateMachineArn, 'FAILED');
  for (const name of failed) note('failedExecutions', name);
  let stuck = 0;
  for (const c of complaints) {
    if (c.status === 'closed' || c.GSI2PK) continue;
    // Executions are named after the complaint (then `<id>-r<n>` after reopens, kept on the complaint).
    if (running.has(c.executionName ?? c.PK.slice('COMPLAINT#'.length))) continue;
    stuck++;
    note('stuck', `${c.PK.slice('COMPLAINT#'.length)} ${c.status}`);
  }
  const events = await checkEvents(endpoints, items, scannedFrom);
  for (const [what, ids] of Object.entries(events.examples)) for (const id of ids) note(what, id);
  return {
    ...events.counts,
    mailsAccepted: accepted.mails.length,
    mailsFiled,
    mailsLost,
    mailsDoubled,
    writesAnswered: accepted.writes.length,
    writesApplied,
    writesLost,
    writesDoubled,
    refundsDoubled,
    questionsUnasked,
    questionsDoubled,
    repliesUnsent,
    repliesDoubled,
    stuck,
    failedExecutions: failed.length,
    examples,
  };
}

/**
 * True when the report shows nothing lost, doubled, stuck or failed, and no event on its way for longer
 * than `inFlightMs` (none at all by default: a quiet stack has published every change).
 */
export const invariantsHold = (r: InvariantReport, inFlightMs = 0) =>
  (r.eventsInFlight === 0 || r.oldestInFlightMs <= inFlightMs) &&
  r.mailsLost +
    r.mailsDoubled +
    r.writesLost +
    r.writesDoubled +
    r.refundsDoubled +
    r.questionsUnasked +
    r.questionsDoubled +
    r.repliesUnsent +
    r.repliesDoubled +
    r.stuck +
    r.failedExecutions +
    r.eventsMissing +
    r.eventsDuplicated +
    r.eventsWithoutChange +
    r.eventsUncounted ===
    0;

/**
 * How far a change and its event may pass another change and its event: steps run concurrently and
 * commit a moment after they stamp their change (longer when a write is retried), and the stream
 * publishes in commit order.
 */
const publishSlackMs = 30_000;

/**
 * How long a first response may wait for its reply: a request that died holds the mail's send lease
 * (45 s), and the reply outbox looks again a visibility timeout (60 s) after it found the lease live.
 */
const replySlackMs = 150_000;

/**
 * Exactly one event in the bus's log per committed change: every audit item of the table that records a
 * catalogued change has its event (by event id), no change has two, and no event lacks its change.
 *
 * A stack that is still at work (the chaos load's unanswered complaints pass SLA warnings and breaches
 * every minute) always has its latest changes on their way from the table's stream to the bus. A change
 * without its event counts as missing once the log holds events of changes made more than
 * {@link publishSlackMs} after it; until then it is in flight, and the report says how long the oldest
 * has been. An event whose change the table scan did not see is without a change if it was made before
 * the scan began (by the same slack); a later one's change may have been written behind the scan, and it
 * counts as in flight. A quiet stack has nothing in flight, which `invariantsHold` requires by default.
 */
async function checkEvents(endpoints: LocalEndpoints, items: Entry[], scannedFrom: number) {
  const expected = new Map<string, number>();
  for (const item of items) {
    if (!item.PK.startsWith('COMPLAINT#') || item.kind !== 'audit') continue;
    const event = eventOfRecord({ sequenceNumber: '', eventName: 'INSERT', newImage: item as never });
    if (event) expected.set(event.eventId, Date.parse(event.occurredAt));
  }
  const logged: ({
    eventId: string;
    complaintId: string;
    complaintVersion: number;
    occurredAt: string;
  } & Record<string, unknown>)[] = [];
  for (let after = 0; ; ) {
    const response = await fetch(`${endpoints.events.endpoint}/events?after=${after}&limit=1000`);
    const page = (await response.json()) as { events: { detail: (typeof logged)[number] }[]; next: number };
    logged.push(...page.events.map((e) => e.detail));
    if (page.events.length === 0) break;
    after = page.next;
  }
  const examples: Record<string, string[]> = {};
  const byId = new Map<string, number>();
  const byChange = new Map<string, number>();
  for (const e of logged) {
    byId.set(e.eventId, (byId.get(e.eventId) ?? 0) + 1);
    const change = `${e.complaintId} v${e.complaintVersion}`;
    byChange.set(change, (byChange.get(change) ?? 0) + 1);
  }
  const newestLogged = logged.reduce((newest, e) => Math.max(newest, Date.parse(e.occurredAt)), 0);
  const unlogged = [...expected].filter(([id]) => !byId.has(id));
  const missing = unlogged.filter(([, at]) => at <= newestLogged - publishSlackMs).map(([id]) => id);
  const inFlight = unlogged.filter(([, at]) => at > newestLogged - publishSlackMs).map(([, at]) => at);
  // An event whose change the scan did not see: missing from the table if it was made before the scan
  // began, else its change may have been written behind the scan, in flight the other way.
  const unscanned = new Map<string, number>();
  for (const e of logged) if (!expected.has(e.eventId)) unscanned.set(e.eventId, Date.parse(e.occurredAt));
  const withoutChange = [...unscanned]
    .filter(([, at]) => at < scannedFrom - publishSlackMs)
    .map(([id]) => id);
  for (const [, at] of unscanned) if (at >= scannedFrom - publishSlackMs) inFlight.push(at);
  const duplicated = [
    ...[...byId].filter(([, n]) => n > 1).map(([id]) => id),
    ...[...byChange].filter(([, n]) => n > 1).map(([change]) => change),
  ];
  // Every logged event that counts in the reports has its marker, once the projector has had time.
  const markers = new Set(
    items
      .filter((i) => i.PK.startsWith(reportMarkerPrefix))
      .map((i) => i.PK.slice(reportMarkerPrefix.length)),
  );
  const uncounted: string[] = [];
  for (const e of logged) {
    if (markers.has(e.eventId) || !countedByProjector(e)) continue;
    const at = Date.parse(e.occurredAt);
    if (at < scannedFrom - publishSlackMs) uncounted.push(e.eventId);
    else inFlight.push(at);
  }
  if (uncounted.length) examples.eventsUncounted = uncounted.slice(0, 5);
  if (missing.length) examples.eventsMissing = missing.slice(0, 5);
  if (duplicated.length) examples.eventsDuplicated = duplicated.slice(0, 5);
  if (withoutChange.length) examples.eventsWithoutChange = withoutChange.slice(0, 5);
  return {
    counts: {
      eventsExpected: expected.size,
      eventsMissing: missing.length,
      eventsInFlight: inFlight.length,
      oldestInFlightMs: inFlight.length > 0 ? Date.now() - inFlight.reduce((a, b) => Math.min(a, b)) : 0,
      eventsDuplicated: duplicated.length,
      eventsWithoutChange: withoutChange.length,
      eventsUncounted: uncounted.length,
    },
    examples,
  };
}

/** Whether the report projector writes for a logged event (an unreadable one: it should, and fails). */
function countedByProjector(detail: unknown): boolean {
  try {
    return countsInReports(parseDomainEvent(detail));
  } catch {
    return true;
  }
}

async function executionNamesWith(
  sfn: SFNClient,
  stateMachineArn: string,
  statusFilter: 'RUNNING' | 'FAILED',
) {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter, nextToken }));
    names.push(...(page.executions ?? []).map((e) => e.name as string));
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}
