import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../core/errors';
import { awaitAgent } from '../../core/lifecycle';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';

const eventSchema = z.object({
  complaintId: z.string().min(1),
  taskToken: z.string().min(1),
  purpose: z.literal('agent'),
});

/**
 * First half of the AwaitAgent callback task: stores the task token on the complaint (one live token,
 * written with a version condition) so the API can complete it with the agent's decision.
 */
export async function handler(event: unknown) {
  const { complaintId, taskToken } = eventSchema.parse(event);
  const { store } = getServices();
  for (let attempt = 0; ; attempt++) {
    const complaint = await store.get(complaintId);
    if (!complaint) throw new NotFoundError(`Complaint ${complaintId} not found`);
    const { complaint: next, audit } = awaitAgent(complaint, taskToken, new Date());
    try {
      await store.save(next, [audit]);
      logger.info('awaiting agent', { complaintId, tier: next.tier, slaDueAt: next.slaDueAt });
      return { complaintId };
    } catch (e) {
      // Someone wrote in between (e.g. a customer message): re-read and register the token again.
      if (!(e instanceof ConflictError) || attempt >= 4) throw e;
    }
  }
}
