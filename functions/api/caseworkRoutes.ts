import { mailCustomerOnce, sendLeaseOf } from '../application/customerMail';
import { handOver } from '../application/decisionHandOver';
import {
  agentEntryId,
  assertMailable,
  assertMayWrite,
  assertMergeable,
  assertMergeTarget,
  claimComplaint,
  mergeNote,
  noteEntry,
  recordReply,
} from '../core/casework';
import type { Complaint } from '../core/complaint';
import { closeByAgent } from '../core/decisions';
import { erasedFor, isErased } from '../core/erasure';
import { ConflictError, NotFoundError, StaleWriteError } from '../core/errors';
import { agentReplyMail } from '../core/mail/templates';
import {
  etag,
  expectedVersion,
  loadComplaint,
  parseBody,
  prepareWrite,
  type RouteContext,
  type RouteHandler,
  view,
} from './complaintRoutes';
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

/**
 * A public reply: recorded as an outbound message and mailed once per identical request. The first one
 * records the first response before the mail goes out, with the reply's text and its send lease in the
 * same write: from then on the mail is owed, and should this request die before SES takes it, the
 * reply outbox sends it once the lease has run out (`mailOwedReply`, from the first response's domain
 * event). The same request again after that write (the process died, or the send failed, before the
 * mail was recorded) mails the reply unless it went out, and answers 201 as the first time, where the
 * version it names would otherwise be refused as stale.
 */
export const reply: RouteHandler = async (ctx) => {
  let prepared: Awaited<ReturnType<typeof prepareWrite<{ text: string; version?: number | undefined }>>>;
  try {
    prepared = await prepareWrite(ctx, replyRequestSchema);
  } catch (e) {
    const replayed = e instanceof ConflictError ? await firstReplyOwed(ctx) : undefined;
    if (!replayed) throw e;
    return replayed;
  }
  const { body, complaint, version } = prepared;
  assertMailable(complaint);
  const now = ctx.now();
  const entryId = agentEntryId(complaint, 'reply', ctx.actor, version, body.text);
  const firstResponse = recordReply(complaint, ctx.actor, now, entryId, body.text);
  // Taken with the first response, so the outbox meets it held while this request sends the mail.
  const leased = firstResponse
    ? sendLeaseOf(entryId, now, ctx.services.settings.sendLeaseSeconds)
    : undefined;
  if (firstResponse) {
    try {
      await ctx.services.store.save(firstResponse.complaint, [firstResponse.audit], {}, leased);
    } catch (e) {
      // Its twin (the same request at once) wrote the first response first: the reply it names is this.
      const replayed = e instanceof ConflictError ? await firstReplyOwed(ctx) : undefined;
      if (!replayed) throw e;
      return replayed;
    }
  }
  const current = firstResponse?.complaint ?? complaint;
  await mailCustomerOnce(
    ctx.services,
    current,
    agentReplyMail(current, body.text),
    'reply',
    entryId,
    now,
    false,
    undefined,
    leased,
  );
  return json(201, { complaint: view(current), entryId }, etag(current));
};

/**
 * The answer to a first reply asked again after its first response was recorded (see `reply`), by its
 * twin at once or after an attempt that died: its mail, sent now unless it went out (while the twin is
 * still sending it, a 409), else undefined. The first response names the reply it records.
 */
async function firstReplyOwed(ctx: RouteContext) {
  const body = replyRequestSchema.parse(parseBody(ctx));
  const complaint = await loadComplaint(ctx);
  const entryId = agentEntryId(complaint, 'reply', ctx.actor, expectedVersion(ctx, body.version), body.text);
  const timeline = await ctx.services.store.timeline(complaint.id);
  const owed = timeline.some(
    (t) => t.kind === 'audit' && t.action === 'recordReply' && t.details?.entryId === entryId,
  );
  if (!owed) return undefined;
  await mailCustomerOnce(
    ctx.services,
    complaint,
    agentReplyMail(complaint, body.text),
    'reply',
    entryId,
    ctx.now(),
    false,
    timeline,
  );
  return json(201, { complaint: view(complaint), entryId }, etag(complaint));
}

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
  // Its text may name the customer: written only while the complaint still does (an erasure saved
  // meanwhile moved its version: 409, as any write on the version read).
  const added = await ctx.services.store.appendOnce(complaint.id, note, complaint.customerEmail);
  return json(201, { note: added.entry }, etag(complaint));
};

/**
 * The complaint a duplicate is merged into: another one (400 for itself) that exists (404), that the
 * caller may write to (403 below its tier: the merge notes the duplicate on its timeline) and that is
 * the same customer's and still open (409, `assertMergeable`).
 */
export async function loadMergeTarget(ctx: RouteContext, source: Complaint, targetId: string) {
  const target = await loadWritableTarget(ctx, source, targetId);
  assertMergeable(source, target);
  return target;
}

/** The merge target as {@link loadMergeTarget} checks it, but whatever became of it since. */
async function loadWritableTarget(ctx: RouteContext, source: Complaint, targetId: string) {
  assertMergeTarget(source, targetId);
  const target = await ctx.services.store.get(targetId);
  if (!target) throw new NotFoundError(`No complaint with id "${targetId}" to merge into`);
  assertMayWrite(target, ctx.actor);
  return target;
}

/**
 * Merges a duplicate into another complaint: the duplicate is closed through the workflow (reason
 * `duplicate`, `mergedInto`), then the target's timeline gets a note naming it (once: `appendOnce`).
 * The same request again, on the version it acted on, after the merge went through (its answer was
 * lost, or the process died before the note): 202 as the first time, and the note is added if it is
 * missing. On the current version, a merged complaint is a 409 like any closed one.
 */
export const merge: RouteHandler = async (ctx) => {
  let prepared: Awaited<ReturnType<typeof prepareWrite<{ into: string; version?: number | undefined }>>>;
  try {
    prepared = await prepareWrite(ctx, mergeRequestSchema);
  } catch (e) {
    const replayed = e instanceof ConflictError ? await mergedAlready(ctx) : undefined;
    if (!replayed) throw e;
    return replayed;
  }
  const { body, complaint } = prepared;
  const target = await loadMergeTarget(ctx, complaint, body.into);
  // On the target as checked: a target merged meanwhile (into this one, say) is a 409, not a second close.
  const closing = await handOver(
    ctx.services,
    ctx.actor,
    ctx.now,
    complaint,
    'agent',
    closeByAgent(ctx.actor, 'duplicate', target.id),
    undefined,
    undefined,
    { id: target.id, version: target.version },
  );
  await addMergeNote(ctx, complaint, target);
  return json(202, { complaint: view(closing), mergedInto: target.id }, etag(closing));
};

/**
 * The target's note of the duplicate merged into it (once: its id names both). It names their customer:
 * written only while the target still does; once an erasure saved it meanwhile, as the erasure leaves
 * notes, since its last pass over the timeline may be over.
 */
export async function addMergeNote(ctx: RouteContext, duplicate: Complaint, target: Complaint) {
  const note = mergeNote(duplicate, target, ctx.actor, ctx.now());
  const { store } = ctx.services;
  try {
    await store.appendOnce(target.id, note, target.customerEmail);
  } catch (e) {
    if (!(e instanceof StaleWriteError && e.current && isErased(e.current))) throw e;
    await store.appendOnce(target.id, erasedFor(note, target.customerEmail));
  }
}

/** The answer to a merge asked again after it went through (see `merge`), else undefined. */
async function mergedAlready(ctx: RouteContext) {
  const body = mergeRequestSchema.parse(parseBody(ctx));
  const complaint = await loadComplaint(ctx);
  const decision = complaint.pendingDecision;
  const into =
    complaint.closure?.mergedInto ?? (decision?.action === 'close' ? decision.mergedInto : undefined);
  if (into !== body.into || expectedVersion(ctx, body.version) >= complaint.version) return undefined;
  // Only a caller who could have made it (the tier rule): anyone else keeps the 409, stale before forbidden.
  try {
    assertMayWrite(complaint, ctx.actor);
  } catch {
    return undefined;
  }
  // The merge was checked when it was made: its target may have closed since.
  const target = await loadWritableTarget(ctx, complaint, into);
  await addMergeNote(ctx, complaint, target);
  return json(202, { complaint: view(complaint), mergedInto: target.id }, etag(complaint));
}
