import type { Deps } from '../application/deps';
import { fileReleasedMail } from '../application/intake/fileReleasedMail';
import { receiveMail } from '../application/intake/receiveMail';
import { sweepReleasedMail } from '../application/intake/sweepReleases';
import { complaintStore } from '../composition/factories/complaintStore';
import { mailLedger } from '../composition/factories/mailLedger';
import { rawMailStore } from '../composition/factories/rawMailStore';
import { sfnWorkflow } from '../composition/factories/sfnWorkflow';
import { lambdaEntry } from '../composition/lambda';
import { deliveryOf } from '../core/mail/filing';
import { quarantineReleaseEventSchema, releaseSweepEventSchema } from '../core/mail/quarantineRelease';
import { sesReceiptEventSchema } from '../core/mail/sesReceipt';

/**
 * SES receipt rule Lambda action, invoked asynchronously after the S3 action stored the raw mail; the
 * API's hand-over of a mail a manager released from quarantine (also asynchronous); and, every five
 * minutes, the schedule's sweep of released mail whose hand-over was lost. All three deliver at
 * least once: `receiveMail` files each mail exactly once whatever the number of deliveries (claims on
 * the dedupe key, send-once acknowledgement, execution named after the complaint).
 */
export const createHandler =
  (deps: Deps) =>
  async (event: unknown): Promise<void> => {
    if (releaseSweepEventSchema.safeParse(event).success) {
      const sweep = await sweepReleasedMail(deps);
      if (sweep.filed.length + sweep.forgotten.length > 0)
        deps.logger.warn('released mail swept', { ...sweep });
      return;
    }
    const release = quarantineReleaseEventSchema.safeParse(event);
    if (release.success) {
      const { id } = release.data.quarantineRelease;
      const outcome = await fileReleasedMail(deps, id);
      deps.logger.info('released mail filed', { quarantineId: id, ...outcome });
      return;
    }
    for (const record of sesReceiptEventSchema.parse(event).Records) {
      const delivery = deliveryOf(record, deps.settings.rawMailPrefix);
      const outcome = await receiveMail(deps, delivery);
      deps.logger.info('inbound mail filed', { sesMessageId: delivery.sesMessageId, ...outcome });
    }
  };

export const { handler, handlerFor } = lambdaEntry(createHandler, ['stateMachineArn', 'rawMailBucket'], {
  store: complaintStore,
  rawMail: rawMailStore,
  workflow: sfnWorkflow,
  ledger: mailLedger,
});
