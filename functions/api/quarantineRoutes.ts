import { ConflictError, NotFoundError } from '../core/errors';
import { complaintIdPattern } from '../core/reference';
import type { RouteContext, RouteHandler } from './complaintRoutes';
import { openCursor, signCursor } from './cursors';
import { json } from './problem';
import { quarantineListQuerySchema } from './schemas';

const quarantineId = (ctx: RouteContext) => {
  const id = ctx.event.pathParameters?.id ?? '';
  if (!complaintIdPattern.test(id)) throw new NotFoundError(`No quarantined mail with id "${id}"`);
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
 * POST /quarantine/{id}/release: the manager vouches for the mail, which the intake function then files
 * through normal intake without the quarantine rules (the API carries no MIME parser). 202 with
 * `handedOver` while intake works on it; once intake recorded the outcome, a release answers 200 with
 * it. Idempotent: until the outcome is recorded every release hands the mail over again (so a hand-over
 * lost to a crash is completed by repeating the call), and intake files it once whatever the number.
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
  if (released.outcome) return json(200, released);
  await ctx.services.intake.fileReleased(id);
  const handedOver = released.handedOver ?? { to: 'intake' as const, at: ctx.now().toISOString() };
  await quarantine.recordHandOver(id, handedOver);
  return json(202, { ...released, handedOver });
};
