import { deliveryOf } from '../core/mail/filing';
import { sesReceiptEventSchema } from '../core/mail/sesReceipt';
import { config } from '../shared/config';
import { logger } from '../shared/logger';
import { receiveMail } from '../shared/mailIntake';
import { getMailServices } from '../shared/mailServices';
import { getServices } from '../shared/services';

/**
 * SES receipt rule Lambda action, invoked asynchronously after the S3 action stored the raw mail. SES and
 * async Lambda deliver at least once: `receiveMail` files each mail exactly once whatever the number of
 * deliveries (claims on the dedupe key, send-once acknowledgement, execution named after the complaint).
 */
export async function handler(event: unknown): Promise<void> {
  const cfg = config();
  const deps = { services: getServices(), mail: getMailServices(), config: cfg };
  for (const record of sesReceiptEventSchema.parse(event).Records) {
    const delivery = deliveryOf(record, cfg.rawMailPrefix);
    const outcome = await receiveMail(deps, delivery);
    logger.info('inbound mail filed', { sesMessageId: delivery.sesMessageId, ...outcome });
  }
}
