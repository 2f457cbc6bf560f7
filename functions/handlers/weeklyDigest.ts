import { z } from 'zod';
import { SesMailer } from '../adapters/mailer';
import { DynamoReportStore } from '../adapters/reportStore';
import { sendWeeklyDigest } from '../application/insights/weeklyDigest';
import { config, parseEnvironment } from '../shared/config';
import { logger } from '../shared/logger';

const env = parseEnvironment(
  z.object({
    /** Comma-separated product and business addresses. */
    DIGEST_RECIPIENTS: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.email())),
  }),
);

/**
 * EventBridge Scheduler target (Mondays): mails the weekly insights digest. A repeated invocation
 * (Scheduler delivers at least once) mails it again: harmless for a summary, and rare.
 */
export async function handler() {
  // Without recipients the schedule is deployed disabled; an invocation by hand sends nothing.
  if (env.DIGEST_RECIPIENTS.length === 0) {
    logger.warn('weekly digest has no recipients (context digestRecipients, notifications.manager)');
    return {};
  }
  const cfg = config();
  const sent = await sendWeeklyDigest(
    {
      reports: new DynamoReportStore(cfg.tableName),
      mailer: new SesMailer({
        from: cfg.senderAddress,
        ...(cfg.sesConfigurationSet ? { configurationSet: cfg.sesConfigurationSet } : {}),
      }),
      recipients: env.DIGEST_RECIPIENTS,
    },
    new Date(),
  );
  logger.info('weekly digest sent', { week: sent.week, recipients: env.DIGEST_RECIPIENTS.length });
  return { week: sent.week };
}
