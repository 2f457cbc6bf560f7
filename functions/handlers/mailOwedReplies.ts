import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { OutboundMailInFlightError } from '../application/customerMail';
import type { Deps } from '../application/deps';
import { mailOwedReply } from '../application/owedReplies';
import { complaintStore } from '../composition/factories/complaintStore';
import { mailLedger } from '../composition/factories/mailLedger';
import { sesMailer } from '../composition/factories/sesMailer';
import { lambdaEntry } from '../composition/lambda';
import * as z from '../core/schema';

/**
 * The message the rule queues: the EventBridge event of a first response (`CustomerContacted` via
 * `reply`); only the ids are read (the event id is the first response's audit entry id).
 */
const firstResponseSchema = z.object({
  detail: z.object({
    eventId: z.string().check(z.minLength(1)),
    complaintId: z.string().check(z.minLength(1)),
    type: z.literal('CustomerContacted'),
    data: z.object({ via: z.literal('reply') }),
  }),
});

/**
 * The reply outbox (`mailOwedReply`): the bus's rule queues the domain event of every first response
 * to a customer, and this function takes them from the queue and makes sure the reply each announced
 * was mailed. A reply whose request still holds its send lease, or one that failed, is a partial batch
 * failure: the queue delivers it again a visibility timeout later (longer than the lease), and after
 * its receives are spent moves it to the dead-letter queue, which raises an alarm.
 */
export const createMailer =
  (deps: Parameters<typeof mailOwedReply>[0] & { logger: Pick<Logger, 'info' | 'warn' | 'error'> }) =>
  async (batch: SQSEvent): Promise<SQSBatchResponse> => {
    const failed: string[] = [];
    for (const record of batch.Records) {
      let ids: { eventId: string; complaintId: string } | undefined;
      try {
        ids = firstResponseSchema.parse(JSON.parse(record.body)).detail;
        const outcome = await mailOwedReply(deps, ids.complaintId, ids.eventId);
        // Only a first response recorded before first responses kept their reply's text has none.
        if (outcome === 'no text') deps.logger.warn('owed reply has no text to send', ids);
        else deps.logger.info('owed reply', { ...ids, outcome });
      } catch (error) {
        if (error instanceof OutboundMailInFlightError)
          deps.logger.info('owed reply being sent elsewhere, again after its lease', { ...ids });
        else deps.logger.error('owed reply not mailed', { messageId: record.messageId, ...ids, error });
        failed.push(record.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };

export const createHandler = (deps: Deps) => createMailer(deps);

export const { handler, handlerFor } = lambdaEntry(createHandler, [], {
  store: complaintStore,
  ledger: mailLedger,
  mailer: sesMailer,
});
