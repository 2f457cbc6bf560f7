import { ConflictError, NotFoundError } from '../core/errors';
import type { RouteContext, RouteHandler } from './complaintRoutes';
import { openCursor, signCursor } from './cursors';
import { json } from './problem';
import { quarantineListQuerySchema } from './schemas';

const quarantineId = (ctx: RouteContext) => {
  const id = ctx.event.pathParameters?.id ?? '';
  if (!/^[0-9a-f]{26}$/.test(id)) throw new NotFoundError(`No quarantined mail with id "${id}"`);
  return id;
};

/** GET /quarantine: held mail, newest first, with the reasons and a summary to judge it by (signed cursors). */
export const listQuarantine: RouteHandler = async (ctx) => {
  const query = quarantineListQuerySchema.parse(ctx.event.queryStringParameters ?? {});
  const scope = ['quarantine', query.status] as const;
  const cursor = await openCursor(ctx.services.signingKey, scope, query.cursor);
  const page = await ctx.services.quarantine.list(query.status, {
    ...(query.limit ? { limit: query.limit } : {}),
    ...(cursor ? { cursor } : {}),
  });
  const next = await signCursor(ctx.services.signingKey, scope, page.cursor);
  return json(200, { items: page.items, ...(next ? { cursor: next } : {}) });
};

/**
 * POST /quarantine/{id}/release: the manager vouches for the mail, which then goes through normal intake
 * without the quarantine rules. Idempotent: releasing again files nothing new (intake's claim on the
 * mail holds) and answers with the same outcome.
 */
export const releaseQuarantined: RouteHandler = async (ctx) => {
  const id = quarantineId(ctx);
  const { quarantine } = ctx.services;
  if ((await quarantine.get(id))?.sesEvent) {
    throw new ConflictError(`Item ${id} is an SES event, not a mail: there is nothing to release`);
  }
  const released = await quarantine.release(id, { by: ctx.actor, at: ctx.now().toISOString() });
  if (!released) throw new NotFoundError(`No quarantined mail with id "${id}"`);
  if (released.status === 'erased') {
    throw new ConflictError(`The sender's data was erased from mail ${id}: there is nothing to release`);
  }
  // Loaded with the first release rather than at every cold start of the API: intake's MIME parsing
  // stack is most of the API bundle, and no other route uses it.
  const { receiveMail } = await import('../application/intake/receiveMail');
  const outcome = await receiveMail(ctx.services, released.delivery, { release: true });
  await quarantine.recordOutcome(id, outcome);
  return json(200, { ...released, outcome });
};
