import type { WorkflowState } from '../../workflows/contract';
import type { Complaint, MessageEntry, TimelineEntry } from '../core/complaint';
import { customerIdOf } from '../core/customerId';
import {
  investigateComplaint,
  isRecurring,
  type PastComplaint,
  recurringWindow,
} from '../core/investigation';
import { investigate, needsRiskEscalation, workflowState } from '../core/lifecycle';
import { automaticMailBlockedFor, type OwnMail, ownMailOf } from '../core/mail/loopGuard';
import type { Deps } from './deps';

const pastComplaint = (c: Complaint, own: OwnMail): PastComplaint => ({
  id: c.id,
  createdAt: c.createdAt,
  status: c.status,
  subject: c.subject,
  ...(c.category ? { category: c.category } : {}),
  ...(c.followUp?.lastOutcome && c.followUp.lastOutcome !== 'unreachable'
    ? { csat: c.followUp.lastOutcome }
    : {}),
  ...(isAutomatedComplaint(c, own) ? { automated: true } : {}),
});

/**
 * Opened by automated mail, or from a robot address (noreply, mailer-daemon) or one of this system's
 * own, whatever its headers.
 */
const isAutomatedComplaint = (c: Complaint, own: OwnMail) =>
  c.automated === true || automaticMailBlockedFor(c.customerEmail, own) !== undefined;

/** A complaint's investigation, worked out and not yet saved (see {@link investigationOf}). */
export interface Investigation {
  /** The state the workflow goes on with, once `change` (if any) is saved. */
  state: WorkflowState;
  /** The investigated complaint and its audit entry; absent when it was investigated already. */
  change?: { next: Complaint; entries: TimelineEntry[]; log: Record<string, unknown> };
}

/**
 * The investigation of a complaint just read with its timeline: the customer's history, triage
 * (category, sentiment, priority), risk signals, possible duplicates and the recurring-issue count;
 * then the SLA clock starts. Its two requests read (the history) or are idempotent (the recurring-issue
 * window is a set add), so it may be worked out again and again until its change is saved. Once per
 * complaint opening: a complaint past `received` / `reopened` was investigated (a retried or late
 * step), and its state is handed back unchanged.
 */
export async function investigationOf(
  deps: Pick<Deps, 'store' | 'settings'>,
  complaint: Complaint,
  timeline: TimelineEntry[],
  now: Date,
): Promise<Investigation> {
  const { store } = deps;
  const policy = deps.settings.policy;
  if (complaint.status !== 'received' && complaint.status !== 'reopened') {
    return { state: workflowState(complaint, now, { riskEscalation: needsRiskEscalation(complaint) }) };
  }
  const own = ownMailOf(deps.settings);
  const history = await store.byCustomer(complaint.customerEmail, { limit: 100 });
  const text = timeline
    // Automated mail on the timeline (an out-of-office, a bounce) is not the customer's words.
    .filter((e): e is MessageEntry => e.kind === 'message' && e.direction === 'inbound' && !e.automated)
    .map((m) => m.text)
    .join('\n\n');
  const found = investigateComplaint({
    complaintId: complaint.id,
    subject: complaint.subject,
    text,
    createdAt: complaint.createdAt,
    now,
    history: history.items.map((c) => pastComplaint(c, own)),
    automated: isAutomatedComplaint(complaint, own),
    policy,
  });
  const window = recurringWindow(found.category, new Date(complaint.createdAt), policy);
  // Counted by customer id, not address: the window then holds nothing an erasure has to find, also
  // when the erasure runs between this step's read and this write (the step's save then fails on the
  // version, and its retry counts the erased complaint under the same id: once).
  const customers = await store.recordCategoryOccurrence(window.key, customerIdOf(complaint.customerEmail));
  const recurring = isRecurring(customers, policy);
  const { complaint: next, audit } = investigate(complaint, found, policy, now);
  const flagged = recurring
    ? { ...next, recurringIssue: { category: found.category, windowStart: window.windowStart, customers } }
    : next;
  // The window is recorded either way: a GDPR erasure finds the sets that hold the customer's address.
  const details = { ...audit.details, recurringWindow: window.key };
  return {
    state: workflowState(flagged, now, { riskEscalation: needsRiskEscalation(flagged) }),
    change: {
      next: flagged,
      entries: [
        {
          ...audit,
          details: recurring ? { ...details, recurringIssue: { window: window.key, customers } } : details,
        },
      ],
      log: {
        complaintId: complaint.id,
        category: found.category,
        priority: next.priority,
        riskSignals: found.riskSignals.length,
        recurring,
      },
    },
  };
}

/** Logs an investigation whose change was saved. */
export function logInvestigated(deps: Pick<Deps, 'logger'>, investigation: Investigation): void {
  if (investigation.change) deps.logger.info('complaint investigated', investigation.change.log);
}

/** The investigation ({@link investigationOf}), saved: the state change with its audit entry. */
export async function investigateOnce(
  deps: Pick<Deps, 'store' | 'settings' | 'logger'>,
  complaint: Complaint,
  timeline: TimelineEntry[],
  now: Date,
): Promise<WorkflowState> {
  const investigation = await investigationOf(deps, complaint, timeline, now);
  if (investigation.change) {
    await deps.store.save(investigation.change.next, investigation.change.entries);
    logInvestigated(deps, investigation);
  }
  return investigation.state;
}
