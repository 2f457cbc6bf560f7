import type { Deps } from '../application/deps';
import { fileMailFeedback } from '../application/mailFeedback';
import { complaintStore } from '../composition/factories/complaintStore';
import { mailLedger } from '../composition/factories/mailLedger';
import { lambdaEntry } from '../composition/lambda';
import * as z from '../core/schema';

/** The SNS event Lambda receives: one record per notification (the SES event is the `Message`). */
const snsEventSchema = z.object({
  Records: z
    .array(z.object({ Sns: z.object({ MessageId: z.string().check(z.minLength(1)), Message: z.string() }) }))
    .check(z.minLength(1)),
});

/**
 * The `MailFeedback` configuration set's SNS topic invokes this (asynchronously, at least once) with
 * the bounce, complaint, delivery, reject and delivery-delay events of every mail sent with it. Each is
 * filed on its complaint or quarantined; a failure is retried by Lambda, then lands in the dead-letter
 * queue.
 */
export const createHandler =
  (deps: Deps) =>
  async (event: unknown): Promise<void> => {
    for (const { Sns } of snsEventSchema.parse(event).Records) {
      const outcome = await fileMailFeedback(deps, { id: Sns.MessageId, message: Sns.Message });
      deps.logger.info('SES event filed', { snsMessageId: Sns.MessageId, ...outcome });
    }
  };

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  ledger: mailLedger,
});
