import type { Complaint, MessageEntry, TimelineEntry } from '../core/complaint';
import { NotFoundError } from '../core/errors';
import type { RenderedMail } from '../core/mail/templates';
import { teamNotification } from '../core/mail/templates';
import type { AgentRole } from '../core/policy';
import { type CustomerMailOptions, mailCustomer } from './customerMail';
import type { Deps } from './deps';

export async function loadComplaint(deps: Pick<Deps, 'store'>, id: string): Promise<Complaint> {
  const complaint = await deps.store.get(id);
  if (!complaint) throw new NotFoundError(`Complaint ${id} not found`);
  return complaint;
}

/** The complaint and its timeline, in one read. */
export async function loadWithTimeline(
  deps: Pick<Deps, 'store'>,
  id: string,
): Promise<{ complaint: Complaint; timeline: TimelineEntry[] }> {
  const found = await deps.store.withTimeline(id);
  if (!found) throw new NotFoundError(`Complaint ${id} not found`);
  return found;
}

const firstInbound = (timeline: TimelineEntry[]) =>
  timeline.find((e): e is MessageEntry => e.kind === 'message' && e.direction === 'inbound');

/**
 * Mails the customer once per `entryId`: a workflow step retried after the mail went out finds the
 * entry on the timeline and does not send again. Threads under the customer's first mail. A caller
 * that has just read the timeline passes it (`timeline`), saving a read; any read from before the mail
 * was recorded will do, since the check is on the mail's own entry. `leased`: the caller took the
 * mail's send lease with the state change that calls for it (see `CustomerMailOptions.leased`).
 */
export async function mailCustomerOnce(
  deps: Pick<Deps, 'store' | 'mailer' | 'ledger' | 'settings'>,
  complaint: Complaint,
  mail: RenderedMail,
  purpose: NonNullable<MessageEntry['purpose']>,
  entryId: string,
  now: Date,
  automatic = true,
  known?: TimelineEntry[],
  leased?: CustomerMailOptions['leased'],
): Promise<void> {
  const timeline = known ?? (await deps.store.timeline(complaint.id));
  if (timeline.some((e) => e.id === entryId)) return;
  const { settings } = deps;
  const first = firstInbound(timeline);
  await mailCustomer(deps, complaint, mail, {
    purpose,
    automatic,
    entryId,
    now,
    supportAddress: settings.supportAddress,
    mailDomain: settings.mailDomain,
    ...(first?.messageId ? { inReplyTo: first.messageId } : {}),
    ...(leased ? { leased } : {}),
  });
}

/**
 * Notifies a team. Best effort: the state change it reports is already saved, and failing the workflow
 * step over a notification would be worse than a missing one (the complaint is in the team's queue).
 */
export async function notifyTeam(
  deps: Pick<Deps, 'notifier' | 'logger'>,
  role: AgentRole,
  complaint: Complaint,
  headline: string,
  details: string[] = [],
): Promise<void> {
  const { subject, text } = teamNotification(complaint, headline, details);
  try {
    await deps.notifier.notify(role, subject, text);
  } catch (error) {
    deps.logger.error('team notification failed', { complaintId: complaint.id, role, error: error as Error });
  }
}
