import { handOver } from '../application/decisionHandOver';
import { mailCustomerOnce } from '../application/workflowSupport';
import {
  agentEntryId,
  assertMayWrite,
  assertMergeTarget,
  claimComplaint,
  mergeNote,
  noteEntry,
  recordReply,
} from '../core/casework';
import type { Complaint } from '../core/complaint';
import { closeByAgent } from '../core/decisions';
import { NotFoundError } from '../core/errors';
import { agentReplyMail } from '../core/mail/templates';
import { etag, prepareWrite, type RouteContext, type RouteHandler, view } from './complaintRoutes';
import { json } from './problem';
import { claimRequestSchema, mergeRequestSchema, noteRequestSchema, replyRequestSchema } from './schemas';

const ok = (c: Complaint, status = 200) => json(status, { complaint: view(c) }, etag(c));

/** Assigns the complaint to the caller: a conditional write, so of two claims at once one wins (409). */
export const claim: RouteHandler = async (ctx) => {
  const { complaint } = await prepareWrite(ctx, claimRequestSchema, true);
  const claimed = claimComplaint(complaint, ctx.actor, ctx.now());
  if (!claimed) return ok(complaint);
  await ctx.services.store.save(claimed.complaint, [claimed.audit]);
  return ok(claimed.complaint);
};

/** A public reply: recorded as an outbound message and mailed once per identical request. */
export const reply: RouteHandler = async (ctx) => {
  const { body, complaint, version } = await prepareWrite(ctx, replyRequestSchema);
  const now = ctx.now();
  const firstResponse = recordReply(complaint, ctx.actor, now);
  if (firstResponse) await ctx.services.store.save(firstResponse.complaint, [firstResponse.audit]);
  const current = firstResponse?.complaint ?? complaint;
  const entryId = agentEntryId(complaint, 'reply', ctx.actor, version, body.text);
  await mailCustomerOnce(
    ctx.services,
    current,
    agentReplyMail(current, body.text),
    'reply',
    entryId,
    now,
    false,
  );
  return json(201, { complaint: view(current), entryId }, etag(current));
};

/**
 * An internal note: appended to the timeline only (the complaint itself does not change), once per
 * agent, version and text.
 */
export const addNote: RouteHandler = async (ctx) => {
  const { body, complaint, version } = await prepareWrite(ctx, noteRequestSchema);
  const note = noteEntry(
    agentEntryId(complaint, 'note', ctx.actor, version, body.text),
    ctx.actor,
    body.text,
    ctx.now(),
  );
  // A retried request (the same text on the same version by the same agent) answers the note it added.
  const added = await ctx.services.store.appendOnce(complaint.id, note);
  return json(201, { note: added.entry }, etag(complaint));
};

/**
 * The complaint a duplicate is merged into: another one (400 for itself) that exists (404) and that the
 * caller may write to (403 below its tier: the merge notes the duplicate on its timeline).
 */
export async function loadMergeTarget(ctx: RouteContext, source: Complaint, targetId: string) {
  assertMergeTarget(source, targetId);
  const target = await ctx.services.store.get(targetId);
  if (!target) throw new NotFoundError(`No complaint with id "${targetId}" to merge into`);
  assertMayWrite(target, ctx.actor);
  return target;
}

/**
 * Merges a duplicate into another complaint: the duplicate is closed through the workflow (reason
 * `duplicate`, `mergedInto`), then the target's timeline gets a note naming it.
 */
export const merge: RouteHandler = async (ctx) => {
  const { body, complaint } = await prepareWrite(ctx, mergeRequestSchema);
  const target = await loadMergeTarget(ctx, complaint, body.into);
  const closing = await handOver(
    ctx.services,
    ctx.actor,
    ctx.now,
    complaint,
    'agent',
    closeByAgent(ctx.actor, 'duplicate', target.id),
  );
  await ctx.services.store.append(target.id, [mergeNote(complaint, target, ctx.actor, ctx.now())]);
  return json(202, { complaint: view(closing), mergedInto: target.id }, etag(closing));
};
