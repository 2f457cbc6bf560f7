import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ListOptions, Page } from '../adapters/ports';
import { eraseCustomer } from '../application/customerErasure';
import { clearUndeliverable } from '../application/deliverability';
import type { Deps } from '../application/deps';
import { appliedSoFar } from '../core/authority';
import { assertMayWrite } from '../core/casework';
import type { Actor, Complaint } from '../core/complaint';
import { ConflictError, NotFoundError, StaleWriteError, ValidationError } from '../core/errors';
import type { AgentRole, Policy } from '../core/policy';
import { complaintIdPattern } from '../core/reference';
import { type CursorScope, openCursor, signCursor } from './cursors';
import { json, PreconditionRequiredError, UnsupportedMediaTypeError } from './problem';
import type { RecentComplaints } from './recentComplaints';
import {
  clearUndeliverableRequestSchema,
  customerComplaintsQuerySchema,
  customerEmailSchema,
  decimalIntegerPattern,
  listQuerySchema,
} from './schemas';

export interface RouteContext {
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  actor: Actor & { role: AgentRole };
  services: Deps;
  policy: Policy;
  now: () => Date;
  /** The complaints this process read or wrote last (see `startingFromRecent`). */
  recent?: RecentComplaints;
  /** How a write route wrapped in `startingFromRecent` started, and whether its decision was accepted. */
  start?: WriteStart;
}

/**
 * Where a write started: from a kept complaint (`fromRecent`), or from the stored complaint a lost
 * conditional write returned (`stored`); `accepted` once the route's first write committed.
 */
export interface WriteStart {
  fromRecent?: Complaint;
  stored?: Complaint;
  accepted: boolean;
}

export type RouteHandler = (ctx: RouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

export const etag = (c: Complaint) => ({ etag: `"${c.version}"` });

/** The complaint as agents see it: callback tokens (live and spent) stay server-side. */
export function view(c: Complaint) {
  const { taskToken: _token, spentTokens: _spent, threadToken: _thread, ...visible } = c;
  return visible;
}

export async function loadComplaint(ctx: RouteContext): Promise<Complaint> {
  const id = ctx.event.pathParameters?.id ?? '';
  const complaint = complaintIdPattern.test(id) ? await ctx.services.store.get(id) : undefined;
  if (!complaint) throw new NotFoundError(`No complaint with id "${id}"`);
  ctx.recent?.keep(complaint);
  return complaint;
}

/**
 * The complaint a write wrapped in `startingFromRecent` starts from without a read: the stored one a
 * lost write returned, else the kept one at the version the caller acted on. None when the caller
 * named no version (the usual way then answers 404 before 428, as always).
 */
function startOf(ctx: RouteContext, bodyVersion: number | undefined): Complaint | undefined {
  const { start, recent } = ctx;
  if (!start) return undefined;
  if (start.stored) return start.stored;
  let version: number;
  try {
    version = expectedVersion(ctx, bodyVersion);
  } catch {
    return undefined;
  }
  start.fromRecent = recent?.at(ctx.event.pathParameters?.id ?? '', version);
  return start.fromRecent;
}

/**
 * Runs a decision route from the complaint this process kept (read by GET /complaints/{id} or written
 * by a decision) when it is at the version the caller acted on: one read fewer. Its first write (the
 * decision's acceptance, conditional on that version and the live task token) is what makes that
 * correct. Should anything fail before that write committed, a kept complaint decided nothing: the
 * route runs again from the stored complaint (the one the failed condition returned, else a read), so
 * the caller gets exactly the answer the usual way gives. Every check runs on every request, on
 * whichever complaint it starts from; the kept ones are never answered from.
 */
export const startingFromRecent =
  (route: RouteHandler): RouteHandler =>
  async (ctx) => {
    if (!ctx.recent) return route(ctx);
    const start: WriteStart = { accepted: false };
    try {
      return await route({ ...ctx, start });
    } catch (e) {
      if (!start.fromRecent || start.accepted) throw e;
      ctx.recent.forget(start.fromRecent.id);
      const stored = e instanceof StaleWriteError ? e.current : undefined;
      if (stored) ctx.recent.keep(stored);
      return route({ ...ctx, ...(stored ? { start: { stored, accepted: false } } : { start: undefined }) });
    }
  };

/** How the version of a write must be written, in If-Match and in the body alike. */
const versionFormat = 'a non-negative decimal integer without leading zeros, such as 3';

/** `application/json` or a JSON-based type (`application/problem+json`), as RFC 6839 names them. */
const jsonMediaType = /^application\/(?:[\w.-]+\+)?json$/;

/**
 * A body is read as JSON only when its `Content-Type` says so, or names no type (a bare HTTP client).
 * One sent as `text/plain`, as a form (curl's `-d` without a type) or as anything else is refused (415)
 * rather than read as JSON anyway: what a proxy, a log or a firewall in the chain reads by its type as
 * text or form fields, the API must not act on as JSON. JSON is UTF-8 (RFC 8259 §8.1): a charset that
 * says otherwise is refused too, instead of the bytes being read as UTF-8 under a label that claims
 * another encoding. Two `Content-Type` headers come joined with a comma (as API Gateway joins repeated
 * headers) and are no one type.
 */
function assertJsonContentType(headers: Record<string, string | undefined> | undefined) {
  const value = headers?.['content-type'];
  if (value === undefined) return;
  const [type = '', ...parameters] = value.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (jsonMediaType.test(type) && (charset === undefined || /^"?utf-8"?$/.test(charset))) return;
  throw new UnsupportedMediaTypeError(
    `The body must be JSON sent as application/json (UTF-8), not ${JSON.stringify(value.slice(0, 100))}`,
  );
}

export function parseBody(ctx: RouteContext): unknown {
  const { body, isBase64Encoded } = ctx.event;
  if (!body) throw new ValidationError('A JSON body is required');
  assertJsonContentType(ctx.event.headers);
  // The source text of each number named `version`, by the object holding it: JSON reads `3.0`, `3e0`
  // and `-0` as the numbers 3 and 0, which a version written as If-Match takes would not be.
  const versionSources = new Map<unknown, string>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
      function (this: unknown, key: string, value: unknown, context?: { source?: string }) {
        if (key === 'version' && typeof value === 'number' && context?.source !== undefined) {
          versionSources.set(this, context.source);
        }
        return value;
      },
    );
  } catch {
    throw new ValidationError('The body is not valid JSON');
  }
  const source = versionSources.get(parsed);
  if (source !== undefined && !decimalIntegerPattern.test(source)) {
    const message = `The body version ${source} must be ${versionFormat}`;
    throw new ValidationError(message, { issues: [{ path: 'version', message, code: 'invalid_version' }] });
  }
  return parsed;
}

/**
 * The version the caller acted on: the If-Match header (ETag) or a `version` body field. Every write
 * must carry one (428 otherwise), so that an agent never acts on a complaint they have not seen. A
 * request may carry both, but then they must name the same version: which of two versions the agent
 * acted on cannot be told, and taking either one could apply a decision made on another version.
 */
export function expectedVersion(ctx: RouteContext, bodyVersion: number | undefined): number {
  const header = ctx.event.headers?.['if-match'];
  if (header === undefined) {
    if (bodyVersion !== undefined) return bodyVersion;
    throw new PreconditionRequiredError(
      'Send the complaint version you acted on: the If-Match header with the ETag of GET /complaints/{id} (e.g. If-Match: "3") or a "version" field in the body',
    );
  }
  const version = versionOfIfMatch(header);
  if (bodyVersion !== undefined && bodyVersion !== version) {
    const message = `If-Match names version ${version} and the body version ${bodyVersion}: send one version, or the same in both`;
    throw new ValidationError(message, { issues: [{ path: 'version', message, code: 'version_mismatch' }] });
  }
  return version;
}

/**
 * The version an If-Match header names. Versions are safe non-negative integers and the ETag is strong,
 * so only one quoted decimal integer as the ETag writes it is taken: a weak tag (`W/"3"`), a list, `*`
 * (which would act on any version), leading zeros (`"0003"`, no ETag this API gives) or a number past
 * 2^53 (which would read as another one) is a 400, never a stale-version 409.
 */
export function versionOfIfMatch(header: string): number {
  const match = /^"([^"]*)"$/.exec(header.trim());
  const digits = match?.[1];
  const version = digits !== undefined && decimalIntegerPattern.test(digits) ? Number(digits) : Number.NaN;
  if (!Number.isSafeInteger(version)) {
    const message = `If-Match must be the ETag of GET /complaints/{id}: one quoted version, ${versionFormat} ("3"; no weak tag, list or *)`;
    throw new ValidationError(message, { issues: [{ path: 'If-Match', message, code: 'invalid_if_match' }] });
  }
  return version;
}

export function assertVersion(c: Complaint, expected: number) {
  if (expected !== c.version) {
    throw new ConflictError(`The complaint is at version ${c.version}, not ${expected}`, {
      currentVersion: c.version,
      complaintStatus: c.status,
    });
  }
}

/**
 * One page of a list, cursors signed for that list (api/cursors.ts): the cursor the client sends back is
 * checked before the repository sees it.
 */
async function pageOf(
  ctx: RouteContext,
  scope: CursorScope,
  query: { limit?: number | undefined; cursor?: string | undefined; status?: ListOptions['status'] },
  read: (options: ListOptions) => Promise<Page<Complaint>>,
) {
  const cursor = await openCursor(ctx.services.signingKey, scope, query.cursor);
  const page = await read({
    ...(query.limit ? { limit: query.limit } : {}),
    ...(cursor ? { cursor } : {}),
    ...(query.status ? { status: query.status } : {}),
  });
  const next = await signCursor(ctx.services.signingKey, scope, page.cursor);
  return json(200, { items: page.items.map(view), ...(next ? { cursor: next } : {}) });
}

/**
 * What every write reads first: its body (optional for a claim), the complaint (404), the version the
 * caller acted on (428 when missing, 409 when stale) and the tier rule (403 below the complaint's tier).
 * Stale before forbidden: an agent who acted on what they read before an escalation learns that the
 * complaint moved on.
 */
export async function prepareWrite<T extends { version?: number | undefined }>(
  ctx: RouteContext,
  schema: { parse(value: unknown): T },
  bodyOptional = false,
): Promise<{ body: T; complaint: Complaint; version: number }> {
  const body = schema.parse(bodyOptional && !ctx.event.body ? {} : parseBody(ctx));
  const complaint = startOf(ctx, body.version) ?? (await loadComplaint(ctx));
  const version = expectedVersion(ctx, body.version);
  assertVersion(complaint, version);
  assertMayWrite(complaint, ctx.actor);
  return { body, complaint, version };
}

/**
 * Lists complaints by one source (schemas.ts: reference, queue, assignee, customer; the caller's queue by
 * default). Queue and assignee lists are ordered by SLA due time, a customer's newest first.
 */
export const listComplaints: RouteHandler = async (ctx) => {
  const query = listQuerySchema.parse(ctx.event.queryStringParameters ?? {});
  const { store } = ctx.services;
  if (query.reference) {
    const id = await store.findIdByReference(query.reference);
    const complaint = id ? await store.get(id) : undefined;
    return json(200, { items: complaint ? [view(complaint)] : [] });
  }
  if (query.assignee) {
    const assignee = query.assignee === 'me' ? ctx.actor.id : query.assignee;
    return pageOf(ctx, ['assignee', assignee, query.status], query, (o) => store.byAssignee(assignee, o));
  }
  const { customer } = query;
  if (customer)
    return pageOf(ctx, ['customer', customer, query.status], query, (o) => store.byCustomer(customer, o));
  const queue = query.queue ?? (query.tier ? (`tier${query.tier}` as AgentRole) : ctx.actor.role);
  return pageOf(ctx, ['queue', queue, query.status], query, (o) => store.queue(queue, o));
};

/**
 * POST /customers/{email}/erase (managers): the customer's personal data removed from every complaint
 * of theirs, audit kept (shared/customerErasure). Idempotent: a repeat answers zeros.
 */
export const eraseCustomerData: RouteHandler = async (ctx) => {
  const email = customerEmailSchema.parse(ctx.event.pathParameters?.email ?? '');
  const summary = await eraseCustomer(ctx.services, email, ctx.actor, ctx.now());
  return json(200, summary);
};

/**
 * POST /customers/{email}/deliverable (managers): the address's undeliverable mark cleared, each
 * flagged complaint's flag too, audited with the reason. Idempotent; 404 for an address never seen.
 */
export const clearUndeliverableMark: RouteHandler = async (ctx) => {
  const email = customerEmailSchema.parse(ctx.event.pathParameters?.email ?? '');
  const { reason } = clearUndeliverableRequestSchema.parse(parseBody(ctx));
  return json(200, await clearUndeliverable(ctx.services, email, reason, ctx.actor, ctx.now()));
};

/** GET /customers/{email}/complaints: every complaint of one customer, newest first. */
export const listCustomerComplaints: RouteHandler = async (ctx) => {
  const email = customerEmailSchema.parse(ctx.event.pathParameters?.email ?? '');
  const query = customerComplaintsQuerySchema.parse(ctx.event.queryStringParameters ?? {});
  return pageOf(ctx, ['customer', email, query.status], query, (o) =>
    ctx.services.store.byCustomer(email, o),
  );
};

export const getComplaint: RouteHandler = async (ctx) => {
  const id = ctx.event.pathParameters?.id ?? '';
  const found = complaintIdPattern.test(id) ? await ctx.services.store.withTimeline(id) : undefined;
  if (!found) throw new NotFoundError(`No complaint with id "${id}"`);
  const { complaint, timeline } = found;
  // What an agent reads right before deciding: the decision can start from it (`startingFromRecent`).
  ctx.recent?.keep(complaint);
  // What the complaint has cost so far, which a resolution's authority check adds to: stored, or for a
  // complaint resolved before the total was kept, from its timeline (read here anyway).
  const appliedTotal = appliedSoFar(complaint, timeline, ctx.policy.currency);
  return json(200, { complaint: { ...view(complaint), appliedTotal }, timeline }, etag(complaint));
};
