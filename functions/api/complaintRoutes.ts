import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Actor, Complaint } from '../core/complaint';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import type { AgentRole, Policy } from '../core/policy';
import type { Services } from '../shared/services';
import { json } from './problem';
import { listQuerySchema } from './schemas';

export interface RouteContext {
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  actor: Actor & { role: AgentRole };
  services: Services;
  policy: Policy;
  now: () => Date;
}

export type RouteHandler = (ctx: RouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

export const etag = (c: Complaint) => ({ etag: `"${c.version}"` });

/** The complaint as agents see it: the callback token stays server-side. */
export function view(c: Complaint) {
  const { taskToken: _token, threadToken: _thread, ...visible } = c;
  return visible;
}

export async function loadComplaint(ctx: RouteContext): Promise<Complaint> {
  const id = ctx.event.pathParameters?.id ?? '';
  const complaint = /^[0-9a-f]{26}$/.test(id) ? await ctx.services.store.get(id) : undefined;
  if (!complaint) throw new NotFoundError(`No complaint with id "${id}"`);
  return complaint;
}

export function parseBody(ctx: RouteContext): unknown {
  const { body, isBase64Encoded } = ctx.event;
  if (!body) throw new ValidationError('A JSON body is required');
  try {
    return JSON.parse(isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body);
  } catch {
    throw new ValidationError('The body is not valid JSON');
  }
}

/** The version the caller acted on: the If-Match header (ETag) or a `version` body field. */
export function expectedVersion(ctx: RouteContext, bodyVersion: number | undefined): number | undefined {
  const header = ctx.event.headers?.['if-match'];
  if (header === undefined) return bodyVersion;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw new ValidationError('If-Match must be the ETag of the complaint, e.g. "3"');
  return Number(match[1]);
}

export function assertVersion(c: Complaint, expected: number | undefined) {
  if (expected !== undefined && expected !== c.version) {
    throw new ConflictError(`The complaint is at version ${c.version}, not ${expected}`, {
      currentVersion: c.version,
      status: c.status,
    });
  }
}

export const listComplaints: RouteHandler = async (ctx) => {
  const query = listQuerySchema.parse(ctx.event.queryStringParameters ?? {});
  const { store } = ctx.services;
  if (query.reference) {
    const id = await store.findIdByReference(query.reference.toUpperCase());
    const complaint = id ? await store.get(id) : undefined;
    return json(200, { items: complaint ? [view(complaint)] : [] });
  }
  const queue = query.queue ?? (query.tier ? (`tier${query.tier}` as AgentRole) : ctx.actor.role);
  const page = await store.queue(queue, {
    ...(query.limit ? { limit: query.limit } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  return json(200, { items: page.items.map(view), ...(page.cursor ? { cursor: page.cursor } : {}) });
};

export const getComplaint: RouteHandler = async (ctx) => {
  const complaint = await loadComplaint(ctx);
  const timeline = await ctx.services.store.timeline(complaint.id);
  return json(200, { complaint: view(complaint), timeline }, etag(complaint));
};
