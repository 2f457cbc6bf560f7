import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { assessAuthority } from '../core/authority';
import type { Actor, AgentDecision, Complaint } from '../core/complaint';
import { ConflictError, NotFoundError, OverAuthorityError, ValidationError } from '../core/errors';
import { acceptDecision, releaseDecision } from '../core/lifecycle';
import type { AgentRole, Policy } from '../core/policy';
import type { Services } from '../shared/services';
import { tierOf } from './auth';
import { json } from './problem';
import { listQuerySchema, resolutionRequestSchema } from './schemas';

export interface RouteContext {
  event: APIGatewayProxyEventV2WithJWTAuthorizer;
  actor: Actor & { role: AgentRole };
  services: Services;
  policy: Policy;
  now: () => Date;
}

type RouteHandler = (ctx: RouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

const etag = (c: Complaint) => ({ etag: `"${c.version}"` });

/** The complaint as agents see it: the callback token stays server-side. */
function view(c: Complaint) {
  const { taskToken: _token, threadToken: _thread, ...visible } = c;
  return visible;
}

async function loadComplaint(ctx: RouteContext): Promise<Complaint> {
  const id = ctx.event.pathParameters?.id ?? '';
  const complaint = /^[0-9a-f]{26}$/.test(id) ? await ctx.services.store.get(id) : undefined;
  if (!complaint) throw new NotFoundError(`No complaint with id "${id}"`);
  return complaint;
}

function parseBody(ctx: RouteContext): unknown {
  const { body, isBase64Encoded } = ctx.event;
  if (!body) throw new ValidationError('A JSON body is required');
  try {
    return JSON.parse(isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body);
  } catch {
    throw new ValidationError('The body is not valid JSON');
  }
}

/** The version the caller acted on: the If-Match header (ETag) or a `version` body field. */
function expectedVersion(ctx: RouteContext, bodyVersion: number | undefined): number | undefined {
  const header = ctx.event.headers?.['if-match'];
  if (header === undefined) return bodyVersion;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw new ValidationError('If-Match must be the ETag of the complaint, e.g. "3"');
  return Number(match[1]);
}

function assertVersion(c: Complaint, expected: number | undefined) {
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
  const tier = query.tier ?? tierOf(ctx.actor.role);
  const page = await store.queue(tier, {
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

/**
 * An agent resolves a complaint waiting for them. The authority check runs here, server-side, on the
 * caller's role from the verified token; the decision consumes the live task token with a conditional
 * write (so of two agents acting at once exactly one wins) and is then handed to the workflow.
 */
export const proposeResolution: RouteHandler = async (ctx) => {
  const body = resolutionRequestSchema.parse(parseBody(ctx));
  const complaint = await loadComplaint(ctx);
  assertVersion(complaint, expectedVersion(ctx, body.version));
  const currency = body.amount !== undefined ? (body.currency ?? ctx.policy.currency) : undefined;
  if (currency !== undefined && currency !== ctx.policy.currency) {
    throw new ValidationError(`Amounts must be in the account currency ${ctx.policy.currency}`, {
      issues: [{ path: 'currency', message: `expected ${ctx.policy.currency}` }],
    });
  }
  const assessment = assessAuthority(ctx.actor.role, body, ctx.policy);
  if (!assessment.withinAuthority) {
    throw new OverAuthorityError(
      `A ${body.type} of ${assessment.value} exceeds the ${ctx.actor.role} limit`,
      {
        limit: assessment.limit,
        value: assessment.value,
        approverRole: assessment.approverRole,
      },
    );
  }
  const token = complaint.taskToken;
  if (complaint.status !== 'awaiting_agent' || !token) {
    throw new ConflictError(`The complaint is ${complaint.status} and not waiting for an agent decision`, {
      currentVersion: complaint.version,
      status: complaint.status,
    });
  }
  const decision: AgentDecision = {
    action: 'resolve',
    resolution: {
      type: body.type,
      ...(body.amount !== undefined ? { amount: body.amount, currency } : {}),
      summary: body.summary,
      rootCause: body.rootCause,
      appliedBy: ctx.actor,
      authorityLimit: assessment.limit,
    },
  };
  const { store, workflow } = ctx.services;
  const accepted = acceptDecision(complaint, decision, ctx.actor, ctx.now());
  await store.save(accepted.complaint, [accepted.audit], { taskToken: token });
  try {
    await workflow.succeed(token, decision);
  } catch (e) {
    if (!(e instanceof ConflictError)) throw e;
    // The callback timed out in the meantime (the complaint is being escalated): undo the claim.
    const released = releaseDecision(accepted.complaint, ctx.actor, ctx.now());
    await store.save(released.complaint, [released.audit]);
    throw new ConflictError('The complaint moved on (it was escalated) before the decision reached it', {
      currentVersion: released.complaint.version,
      status: released.complaint.status,
    });
  }
  return json(202, { complaint: view(accepted.complaint) }, etag(accepted.complaint));
};
