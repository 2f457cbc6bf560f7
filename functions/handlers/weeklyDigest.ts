import type { Deps } from '../application/deps';
import { sendWeeklyDigest } from '../application/insights/weeklyDigest';
import { mailLedger } from '../composition/factories/mailLedger';
import { sesMailer } from '../composition/factories/sesMailer';
import { lambdaEntry } from '../composition/lambda';

/**
 * EventBridge Scheduler target (Mondays): mails the weekly insights digest once per week. A repeated
 * invocation (Scheduler delivers at least once) finds the week's digest sent and sends nothing; one
 * during another's send fails with OutboundMailInFlightError, and Scheduler retries it.
 */
export const createHandler = (deps: Deps) => async (): Promise<{ week?: string; status?: string }> => {
  const recipients = deps.settings.digestRecipients;
  // Without recipients the schedule is deployed disabled; an invocation by hand sends nothing.
  if (recipients.length === 0) {
    deps.logger.warn('weekly digest has no recipients (context digestRecipients, notifications.manager)');
    return {};
  }
  const run = await sendWeeklyDigest(
    { ...deps, recipients, sendLeaseSeconds: deps.settings.sendLeaseSeconds },
    deps.clock(),
  );
  deps.logger.info(run.status === 'sent' ? 'weekly digest sent' : 'weekly digest was sent already', {
    week: run.week,
    recipients: recipients.length,
    sesMessageId: run.sesMessageId,
  });
  return { week: run.week, status: run.status };
};

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  mailer: sesMailer,
  ledger: mailLedger,
});
