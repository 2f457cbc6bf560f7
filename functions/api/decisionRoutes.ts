import { createHash } from 'node:crypto';
import type { SaveCondition } from '../adapters/ports';
import { deliverAgain, handOver as handOverDecision } from '../application/decisionHandOver';
import { appliedSoFar, appliedTotalFrom } from '../core/authority';
import { assertMailable } from '../core/casework';
import type { Complaint, Decision, WaitingFor } from '../core/complaint';
import {
  requestInfo as askCustomer,
  assertMayDecide,
  assertWaitingFor,
  closeByAgent,
  decideApproval,
  followUpOutcome,
  proposeResolution as propose,
  requestEscalation,
} from '../core/decisions';
import { ConflictError, StaleWriteError, ValidationError } from '../core/errors';
import { assertAmountInCurrency } from '../core/money';
import { addMergeNote, loadMergeTarget } from './caseworkRoutes';
import {
  etag,
  expectedVersion,
  loadComplaint,
  parseBody,
  prepareWrite,
  type RouteContext,
  type RouteHandler,
  startingFromRecent,
  view,
} from './complaintRoutes';
import { json } from './problem';
import {
  approvalRequestSchema,
  closeRequestSchema,
  escalationRequestSchema,
  followUpRequestSchema,
  infoRequestSchema,
  resolutionRequestSchema,
} from './schemas';

/**
 * Hands the caller's decision to the waiting workflow task (see `application/decisionHandOver.ts`), once
 * the caller may decide at its wait (the manager's after a failed step: `assertMayDecide`). Its accepting
 * write is the route's first: once it committed, the route never runs again (`startingFromRecent`), and
 * the complaint it wrote is kept for the next decision.
 */
const handOver = (
  ctx: RouteContext,
  complaint: Complaint,
  waitingFor: WaitingFor | readonly WaitingFor[],
  decision: Decision,
  unchanged?: SaveCondition['unchanged'],
) => {
  // At a wait the route does not decide, the hand-over's 409 says so.
  const waits: readonly WaitingFor[] = [waitingFor].flat();
  if (complaint.waitingFor && waits.includes(complaint.waitingFor)) assertMayDecide(complaint, ctx.actor);
  return handOverDecision(
    ctx.services,
    ctx.actor,
    ctx.now,
    complaint,
    waitingFor,
    decision,
    decisionIdOf(ctx, complaint.version),
    (written) => {
      if (ctx.start) ctx.start.accepted = true;
      ctx.recent?.keep(written);
    },
    unchanged,
  );
};

/**
 * The decision's idempotency key, from the request: the route, the caller, the version acted on and the
 * body. The same request again names the same decision.
 */
export const decisionIdOf = (
  ctx: Pick<RouteContext, 'actor'> & { event: Pick<RouteContext['event'], 'routeKey' | 'body'> },
  version: number,
) =>
  createHash('sha256')
    .update(JSON.stringify([ctx.event.routeKey, ctx.actor.id, version, ctx.event.body ?? '']))
    .digest('hex')
    .slice(0, 32);

/**
 * A decision asked again after its accepting write committed, and found `deciding` with the decision
 * this request names: its hand-over is completed now (202, as the first time; a 409 if its wait timed
 * out before the decision reached the workflow), instead of the retry being refused as stale. A process
 * that died between that write and the hand-over (or an answer lost on the way, which the client
 * retries) would otherwise leave the complaint waiting until its wait timed out, hours on a business
 * calendar. `then` is the status the workflow moves the complaint to
 * at once with such a decision (an info request's: waiting for the customer's answer, its question
 * mailed by AskCustomer): there the same request is answered 202 too while the newest accepted decision
 * on the timeline is this one. Any other refusal stands.
 */
const orDeliveredAgain =
  (route: RouteHandler, then?: Complaint['status']): RouteHandler =>
  async (ctx) => {
    try {
      return await route(ctx);
    } catch (e) {
      // Only a stale version can be the retry (the request names the version it read before the
      // accepting write), and only while the complaint is deciding (or `then`): the refusal says both,
      // so any other 409 is answered without another read.
      if (!(e instanceof ConflictError)) throw e;
      const stored = e instanceof StaleWriteError ? e.current : undefined;
      const status = stored?.status ?? e.details?.complaintStatus;
      if (status !== 'deciding' && (then === undefined || status !== then)) throw e;
      const complaint = stored ?? (await loadComplaint(ctx));
      const body = parseBody(ctx) as { version?: unknown };
      const version = expectedVersion(ctx, typeof body.version === 'number' ? body.version : undefined);
      const decisionId = decisionIdOf(ctx, version);
      if (complaint.status === 'deciding' && complaint.pendingDecision?.decisionId === decisionId)
        return accepted(await deliverAgain(ctx.services, ctx.actor, ctx.now, complaint));
      if (then === undefined || complaint.status !== then) throw e;
      const timeline = await ctx.services.store.timeline(complaint.id);
      const accepting = timeline.findLast((t) => t.kind === 'audit' && t.action === 'acceptDecision');
      if (accepting?.kind !== 'audit' || accepting.details?.decisionId !== decisionId) throw e;
      return accepted(complaint);
    }
  };

/** Where an agent's decision is taken: at the agent's wait, and at the manager's after a failed step. */
const agentDecides = ['agent', 'attention'] as const;

const accepted = (c: Complaint) => json(202, { complaint: view(c) }, etag(c));

/**
 * The refunds and credits applied to the complaint so far, which its authority check adds to: stored on
 * the complaint, else (resolved before the total was kept) read from its timeline.
 */
const alreadyAppliedTo = async (ctx: RouteContext, c: Complaint) =>
  appliedSoFar(c, undefined, ctx.policy.currency) ??
  appliedTotalFrom(c, await ctx.services.store.timeline(c.id), ctx.policy.currency);

/**
 * An agent resolves a complaint waiting for them: within their authority it is applied; above it, it
 * goes to the lowest role that may approve it. The check runs here on the role from the verified token
 * and again when the workflow applies it, both times on the complaint's total (what its earlier
 * resolutions paid plus this amount).
 */
export const proposeResolution: RouteHandler = orDeliveredAgain(
  startingFromRecent(async (ctx) => {
    const { body, complaint } = await prepareWrite(ctx, resolutionRequestSchema);
    const currency = body.amount !== undefined ? (body.currency ?? ctx.policy.currency) : undefined;
    if (currency !== undefined && currency !== ctx.policy.currency) {
      throw new ValidationError(`Amounts must be in the account currency ${ctx.policy.currency}`, {
        issues: [{ path: 'currency', message: `expected ${ctx.policy.currency}` }],
      });
    }
    if (body.amount !== undefined && currency !== undefined) assertAmountInCurrency(body.amount, currency);
    const decision = propose(
      ctx.actor,
      {
        type: body.type,
        ...(body.amount !== undefined ? { amount: body.amount, currency } : {}),
        summary: body.summary,
        rootCause: body.rootCause,
      },
      ctx.policy,
      ctx.now(),
      await alreadyAppliedTo(ctx, complaint),
    );
    return accepted(await handOver(ctx, complaint, agentDecides, decision));
  }),
);

/**
 * An approver decides on a proposal: the tier rule of every write (prepareWrite) and the approval's own
 * role rule (the role the proposal waits for or above, never the proposer) both apply.
 */
export const decideApprovalRoute: RouteHandler = orDeliveredAgain(
  startingFromRecent(async (ctx) => {
    const { body, complaint } = await prepareWrite(ctx, approvalRequestSchema);
    assertWaitingFor(complaint, 'approval');
    const verdict =
      body.decision === 'approve'
        ? ({ approve: true } as const)
        : { approve: false as const, reason: body.reason };
    const decision = decideApproval(
      complaint,
      ctx.actor,
      verdict,
      ctx.policy,
      ctx.now(),
      await alreadyAppliedTo(ctx, complaint),
    );
    return accepted(await handOver(ctx, complaint, 'approval', decision));
  }),
);

/**
 * Asks the customer: the question goes out from the workflow once it has the decision (AskCustomer), so
 * an accepted request is asked whatever becomes of this one.
 */
export const requestInfo: RouteHandler = orDeliveredAgain(
  startingFromRecent(async (ctx) => {
    const { body, complaint } = await prepareWrite(ctx, infoRequestSchema);
    assertMailable(complaint);
    return accepted(
      await handOver(ctx, complaint, agentDecides, askCustomer(ctx.actor, body.question, ctx.policy)),
    );
  }),
  'awaiting_customer',
);

export const escalate: RouteHandler = orDeliveredAgain(
  startingFromRecent(async (ctx) => {
    const { body, complaint } = await prepareWrite(ctx, escalationRequestSchema);
    return accepted(await handOver(ctx, complaint, agentDecides, requestEscalation(ctx.actor, body.reason)));
  }),
);

export const recordFollowUp: RouteHandler = orDeliveredAgain(
  startingFromRecent(async (ctx) => {
    const { body, complaint } = await prepareWrite(ctx, followUpRequestSchema);
    return accepted(
      await handOver(ctx, complaint, 'follow_up', followUpOutcome(ctx.actor, body.outcome, body.note)),
    );
  }),
);

export const closeComplaint: RouteHandler = orDeliveredAgain(
  startingFromRecent(async (ctx) => {
    const { body, complaint } = await prepareWrite(ctx, closeRequestSchema);
    // A duplicate closes on its target as checked (see `merge`).
    const target = body.mergedInto ? await loadMergeTarget(ctx, complaint, body.mergedInto) : undefined;
    const closing = await handOver(
      ctx,
      complaint,
      agentDecides,
      closeByAgent(ctx.actor, body.reason, body.mergedInto),
      target && { id: target.id, version: target.version },
    );
    // As a merge does: the target's timeline says which duplicate went into it (once: the note's id
    // names both).
    if (target) await addMergeNote(ctx, complaint, target);
    return accepted(closing);
  }),
);
