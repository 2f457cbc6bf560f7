import type { RouteHandler } from './complaintRoutes';
import { json } from './problem';

/**
 * GET /me: the caller's role and authority limit, so a client can say before a proposal is sent whether
 * it will be applied or go to approval (the API decides again on every write).
 */
export const getMe: RouteHandler = async (ctx) =>
  json(200, {
    id: ctx.actor.id,
    role: ctx.actor.role,
    ...(ctx.actor.email ? { email: ctx.actor.email } : {}),
    authorityLimit: ctx.policy.authority[ctx.actor.role],
    currency: ctx.policy.currency,
  });
