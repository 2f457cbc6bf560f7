import type { Complaint, TimelineEntry } from '../core/complaint';
import { NotFoundError } from '../core/errors';
import { teamNotification } from '../core/mail/templates';
import type { AgentRole } from '../core/policy';
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
