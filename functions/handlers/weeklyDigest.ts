import type { Deps } from '../application/deps';
import { sendWeeklyDigest } from '../application/insights/weeklyDigest';
import { sesMailer } from '../composition/awsAdapters';
import { lambdaEntry } from '../composition/lambda';

/**
 * EventBridge Scheduler target (Mondays): mails the weekly insights digest. A repeated invocation
 * (Scheduler delivers at least once) mails it again: harmless for a summary, and rare.
 */
export const createHandler = (deps: Deps) => async (): Promise<{ week?: string }> => {
  const recipients = deps.settings.digestRecipients;
  // Without recipients the schedule is deployed disabled; an invocation by hand sends nothing.
  if (recipients.length === 0) {
    deps.logger.warn('weekly digest has no recipients (context digestRecipients, notifications.manager)');
    return {};
  }
  const sent = await sendWeeklyDigest({ ...deps, recipients }, deps.clock());
  deps.logger.info('weekly digest sent', { week: sent.week, recipients: recipients.length });
  return { week: sent.week };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], { mailer: sesMailer });
