import { z } from 'zod';
import { logger } from '../shared/logger';
import { fileMailFeedback } from '../shared/mailFeedback';
import { getMailServices } from '../shared/mailServices';
import { getServices } from '../shared/services';

/** The SNS event Lambda receives: one record per notification (the SES event is the `Message`). */
const snsEventSchema = z.object({
  Records: z.array(z.object({ Sns: z.object({ MessageId: z.string().min(1), Message: z.string() }) })).min(1),
});

/**
 * The `MailFeedback` configuration set's SNS topic invokes this (asynchronously, at least once) with
 * the bounce, complaint, delivery, reject and delivery-delay events of every mail sent with it. Each is
 * filed on its complaint or quarantined; a failure is retried by Lambda, then lands in the dead-letter
 * queue.
 */
export async function handler(event: unknown): Promise<void> {
  const { store } = getServices();
  const { ledger, quarantine } = getMailServices();
  for (const { Sns } of snsEventSchema.parse(event).Records) {
    const outcome = await fileMailFeedback(
      { store, ledger, quarantine },
      { id: Sns.MessageId, message: Sns.Message },
      new Date(),
    );
    logger.info('SES event filed', { snsMessageId: Sns.MessageId, ...outcome });
  }
}
