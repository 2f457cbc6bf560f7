import { z } from 'zod';
import { waitingKinds } from '../../core/complaint';
import { ConflictError } from '../../core/errors';
import { awaitPerson } from '../../core/lifecycle';
import { config } from '../../shared/config';
import { logger } from '../../shared/logger';
import { getServices } from '../../shared/services';
import { loadComplaint } from '../../shared/workflowSupport';

const eventSchema = z.object({
  complaintId: z.string().min(1),
  taskToken: z.string().min(1),
  waitingFor: z.enum(waitingKinds),
  awaitSeconds: z.number().int().positive(),
});

/**
 * First half of every callback task: stores the task token on the complaint (one live token, written
 * with a version condition) so the API, intake or the survey link can complete it.
 */
export async function handler(event: unknown) {
  const { complaintId, taskToken, waitingFor, awaitSeconds } = eventSchema.parse(event);
  const services = getServices();
  for (let attempt = 0; ; attempt++) {
    const complaint = await loadComplaint(services, complaintId);
    const { complaint: next, audit } = awaitPerson(
      complaint,
      taskToken,
      waitingFor,
      awaitSeconds,
      config().policy,
      new Date(),
    );
    try {
      await services.store.save(next, [audit]);
      logger.info('waiting for a person', { complaintId, waitingFor, tier: next.tier, dueAt: next.slaDueAt });
      return { complaintId };
    } catch (e) {
      // Someone wrote in between (e.g. a customer message was filed): re-read and register again.
      if (!(e instanceof ConflictError) || attempt >= 4) throw e;
    }
  }
}
