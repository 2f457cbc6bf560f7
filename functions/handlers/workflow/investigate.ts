import type { Deps } from '../../application/deps';
import { loadWithTimeline } from '../../application/workflowSupport';
import { teamNotifier } from '../../composition/awsAdapters';
import { lambdaEntry } from '../../composition/lambda';
import type { Complaint, MessageEntry } from '../../core/complaint';
import {
  investigateComplaint,
  isRecurring,
  type PastComplaint,
  recurringWindow,
} from '../../core/investigation';
import { investigate, needsRiskEscalation, workflowState } from '../../core/lifecycle';
import { automaticMailBlockedFor } from '../../core/mail/loopGuard';
import * as z from '../../core/schema';

const eventSchema = z.object({ complaintId: z.string().check(z.minLength(1)) });

const pastComplaint = (c: Complaint): PastComplaint => ({
  id: c.id,
  createdAt: c.createdAt,
  status: c.status,
  subject: c.subject,
  ...(c.category ? { category: c.category } : {}),
  ...(c.followUp?.lastOutcome && c.followUp.lastOutcome !== 'unreachable'
    ? { csat: c.followUp.lastOutcome }
    : {}),
  ...(isAutomatedComplaint(c) ? { automated: true } : {}),
});

/** Opened by automated mail, or from a robot address (noreply, mailer-daemon) whatever its headers. */
const isAutomatedComplaint = (c: Complaint) =>
  c.automated === true || automaticMailBlockedFor(c.customerEmail) !== undefined;

/**
 * Investigate step: the customer's history, triage (category, sentiment, priority), risk signals,
 * possible duplicates and the recurring-issue count; then starts the SLA clock.
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const { complaintId } = eventSchema.parse(event);
  const { store } = deps;
  const policy = deps.settings.policy;
  const now = deps.clock();
  const { complaint, timeline } = await loadWithTimeline(deps, complaintId);
  // A retried step finds the work done: hand back the same state.
  if (complaint.status !== 'received' && complaint.status !== 'reopened') {
    return workflowState(complaint, now, { riskEscalation: needsRiskEscalation(complaint) });
  }
  const history = await store.byCustomer(complaint.customerEmail, { limit: 100 });
  const text = timeline
    // Automated mail on the timeline (an out-of-office, a bounce) is not the customer's words.
    .filter((e): e is MessageEntry => e.kind === 'message' && e.direction === 'inbound' && !e.automated)
    .map((m) => m.text)
    .join('\n\n');
  const found = investigateComplaint({
    complaintId,
    subject: complaint.subject,
    text,
    createdAt: complaint.createdAt,
    now,
    history: history.items.map(pastComplaint),
    automated: isAutomatedComplaint(complaint),
    policy,
  });
  const window = recurringWindow(found.category, new Date(complaint.createdAt), policy);
  const customers = await store.recordCategoryOccurrence(window.key, complaint.customerEmail);
  const recurring = isRecurring(customers, policy);
  const { complaint: next, audit } = investigate(complaint, found, policy, now);
  const flagged = recurring
    ? { ...next, recurringIssue: { category: found.category, windowStart: window.windowStart, customers } }
    : next;
  // The window is recorded either way: a GDPR erasure finds the sets that hold the customer's address.
  const details = { ...audit.details, recurringWindow: window.key };
  await store.save(flagged, [
    {
      ...audit,
      details: recurring ? { ...details, recurringIssue: { window: window.key, customers } } : details,
    },
  ]);
  deps.logger.info('complaint investigated', {
    complaintId,
    category: found.category,
    priority: next.priority,
    riskSignals: found.riskSignals.length,
    recurring,
  });
  return workflowState(flagged, now, { riskEscalation: needsRiskEscalation(flagged) });
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], { notifier: teamNotifier });
