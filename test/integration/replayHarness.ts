import { isDeepStrictEqual } from 'node:util';
import type { ComplaintStore } from '../../functions/adapters/ports';
import type { Complaint, TimelineEntry } from '../../functions/core/complaint';
import type { LambdaHandler } from '../../scripts/local/localStack';
import type { WorkflowStep } from '../../workflows/ComplaintWorkflow';

/** A step whose second run (or a stale run of an older step) changed something. */
export interface ReplayFinding {
  step: WorkflowStep;
  complaintId: string;
  kind: 'replay' | 'stale' | 'output';
  event: unknown;
  detail: string;
}

interface Snapshot {
  complaint: Complaint | undefined;
  timeline: TimelineEntry[];
  mails: number;
}

/**
 * RecordFailure records a failure once per live wait: the manager's wait timing out is a new failure. A
 * late RecordFailure after AwaitAttention has registered cannot be told from that timeout, so the harness
 * replays it only in place (twice in a row), not late.
 */
const replayedInPlaceOnly = (step: WorkflowStep) => step === 'recordFailure';

/**
 * Entries a person (agent, customer) or the API added meanwhile: the comparison is skipped then, as the
 * difference is theirs, not the replay's.
 */
const concurrent = (e: TimelineEntry) =>
  (e.kind === 'audit' && e.actor.kind !== 'system') ||
  e.kind === 'note' ||
  (e.kind === 'message' &&
    (e.direction === 'inbound' || e.purpose === 'info_request' || e.purpose === 'reply'));

/**
 * Wraps every workflow step handler so that each invocation runs twice in a row (Lambda and Step
 * Functions deliver at least once), then runs the complaint's previous step once more, late. After
 * each extra run the complaint, its timeline and the mails about it must be exactly as after the first
 * run, and a replay must return what the first run returned.
 */
export function replayHarness(store: ComplaintStore, mailsAbout: (c: Complaint) => Promise<number>) {
  const findings: ReplayFinding[] = [];
  const counts = { replays: 0, stale: 0, skipped: 0 };
  const previous = new Map<
    string,
    { step: WorkflowStep; event: Record<string, unknown>; run: LambdaHandler }
  >();
  /** Invocations started per complaint: another step running meanwhile (e.g. after a callback) is not ours. */
  const started = new Map<string, number>();
  const startedFor = (id: string) => started.get(id) ?? 0;

  /**
   * The complaint with the timeline that records its version: a save writes the item and then its audit
   * entries, so a read in between is retried.
   */
  const snapshot = async (id: string): Promise<Snapshot> => {
    for (let attempt = 0; ; attempt++) {
      const complaint = await store.get(id);
      const timeline = await store.timeline(id);
      const recorded = !complaint || timeline.some((e) => e.id === `${id}-v${complaint.version}`);
      if (recorded || complaint.version === 1 || attempt >= 20) {
        return { complaint, timeline, mails: complaint ? await mailsAbout(complaint) : 0 };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  /** The difference between two snapshots, or undefined; 'concurrent' when a person acted meanwhile. */
  const compare = (before: Snapshot, after: Snapshot): string | undefined => {
    const known = new Set(before.timeline.map((e) => e.id));
    const added = after.timeline.filter((e) => !known.has(e.id));
    if (added.some(concurrent)) return 'concurrent';
    // An entry's key includes its time: the same id written again at another time is a second item.
    const copies = after.timeline.length - before.timeline.length - added.length;
    if (copies > 0) return `${copies} timeline entries written again`;
    if (added.length > 0)
      return `timeline entries added: ${added.map((e) => ('action' in e ? e.action : e.id)).join(', ')}`;
    // Only a person's decision (acceptDecision) moves a complaint into `deciding`, never a step: that
    // write landed between the snapshots, even when its audit entry was not read with them.
    if (before.complaint?.status !== 'deciding' && after.complaint?.status === 'deciding')
      return 'concurrent';
    if (!isDeepStrictEqual(before.complaint, after.complaint)) {
      return `complaint changed: v${before.complaint?.version} ${before.complaint?.status} -> v${after.complaint?.version} ${after.complaint?.status}`;
    }
    // A decision in flight mails from the API after its accepting write (the info request): a mail
    // that lands while the complaint is `deciding` is the person's, even when the write came earlier.
    if (before.mails !== after.mails && after.complaint?.status === 'deciding') return 'concurrent';
    if (before.mails !== after.mails) return `mails about the complaint: ${before.mails} -> ${after.mails}`;
    return undefined;
  };

  const record = (finding: ReplayFinding | 'skipped') => {
    if (finding === 'skipped') counts.skipped++;
    else findings.push(finding);
  };

  const wrap =
    (step: WorkflowStep, handler: LambdaHandler): LambdaHandler =>
    async (input) => {
      const event = input as Record<string, unknown>;
      const complaintId = String(event.complaintId);
      started.set(complaintId, startedFor(complaintId) + 1);
      const generation = startedFor(complaintId);
      const first = await handler(event);
      const once = await snapshot(complaintId);

      counts.replays++;
      const second = await handler(event).catch((e: Error) => ({ threw: e.name }));
      const twice = await snapshot(complaintId);
      const replayed = startedFor(complaintId) === generation ? compare(once, twice) : 'concurrent';
      if (replayed === 'concurrent') record('skipped');
      else if (replayed) record({ step, complaintId, kind: 'replay', event, detail: replayed });
      // The waits the state machine computes from a step's output count from now: not part of the result.
      const strip = (o: unknown) =>
        o && typeof o === 'object' ? { ...o, awaitSeconds: undefined, wakeSeconds: undefined } : o;
      if (replayed !== 'concurrent' && !isDeepStrictEqual(strip(first), strip(second))) {
        record({
          step,
          complaintId,
          kind: 'output',
          event,
          detail: `${JSON.stringify(first)} then ${JSON.stringify(second)}`,
        });
      }

      const older = previous.get(complaintId);
      if (older && !replayedInPlaceOnly(older.step)) {
        counts.stale++;
        await older.run(older.event).catch(() => undefined);
        const after = await snapshot(complaintId);
        const late = startedFor(complaintId) === generation ? compare(twice, after) : 'concurrent';
        if (late === 'concurrent') record('skipped');
        else if (late)
          record({
            step: older.step,
            complaintId,
            kind: 'stale',
            event: older.event,
            detail: `after ${step}: ${late}`,
          });
      }
      previous.set(complaintId, { step, event, run: handler });
      return first;
    };

  return { wrap, findings, counts };
}
