import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { actorFromClaims } from '../api/auth';
import { addNote, claim, merge, reply } from '../api/caseworkRoutes';
import {
  clearUndeliverableMark,
  eraseCustomerData,
  getComplaint,
  listComplaints,
  listCustomerComplaints,
  type RouteContext,
} from '../api/complaintRoutes';
import {
  closeComplaint,
  decideApprovalRoute,
  escalate,
  proposeResolution,
  recordFollowUp,
  requestInfo,
} from '../api/decisionRoutes';
import { getMe } from '../api/meRoute';
import { errorResponse, problem } from '../api/problem';
import { RecentComplaints } from '../api/recentComplaints';
import { apiRoutes, functionOf, type RouteName } from '../api/routes';
import type { Deps } from '../application/deps';
import { allAdapters } from '../composition/factories/allAdapters';
import { lambdaEntry } from '../composition/lambda';
import { ForbiddenError } from '../core/errors';

/** The routes this function serves: `openApi` has a function of its own (`apiDocs.ts`). */
type RouterRouteName = Exclude<RouteName, 'openApi'>;
type AgentRouteName = Exclude<RouterRouteName, 'showSurvey' | 'answerSurvey'>;
type RouteHandler = (ctx: RouteContext) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * A route whose module is imported on its first request (a chunk of its own in the bundle): routes few
 * requests take (manager reports, quarantine, the survey) stay out of what every
 * cold start loads, and the first request that takes one pays its import once.
 */
const onFirstRequest =
  <M>(load: () => Promise<M>, route: (module: M) => RouteHandler): RouteHandler =>
  async (ctx) =>
    route(await load())(ctx);

const reportRoutes = () => import('../api/reportRoutes');
const quarantineRoutes = () => import('../api/quarantineRoutes');

const routeHandlers: Record<AgentRouteName, RouteHandler> = {
  getMe,
  listComplaints,
  getComplaint,
  listCustomerComplaints,
  eraseCustomer: eraseCustomerData,
  clearUndeliverable: clearUndeliverableMark,
  claimComplaint: claim,
  replyToCustomer: reply,
  addNote,
  mergeComplaint: merge,
  proposeResolution,
  decideApproval: decideApprovalRoute,
  requestInfo,
  escalate,
  recordFollowUp,
  closeComplaint,
  listQuarantine: onFirstRequest(quarantineRoutes, (m) => m.listQuarantine),
  releaseQuarantined: onFirstRequest(quarantineRoutes, (m) => m.releaseQuarantined),
  slaReport: onFirstRequest(reportRoutes, (m) => m.getSlaReport),
  recurringReport: onFirstRequest(reportRoutes, (m) => m.getRecurringReport),
  atRiskReport: onFirstRequest(reportRoutes, (m) => m.getAtRiskReport),
  csatReport: onFirstRequest(reportRoutes, (m) => m.getCsatReport),
  workloadReport: onFirstRequest(reportRoutes, (m) => m.getWorkloadReport),
};

const byRouteKey = new Map(
  (Object.keys(apiRoutes) as RouteName[])
    .filter((name): name is RouterRouteName => functionOf(apiRoutes[name]) === 'api')
    .map((name) => [`${apiRoutes[name].method} ${apiRoutes[name].path}`, name]),
);

/** The agent API: one Lambda behind the HTTP API; API Gateway has matched the route and verified the JWT. */
export const createHandler = (deps: Deps) => {
  // Per execution environment (a local API worker thread): the complaints it read or wrote last, from
  // which a decision starts without reading again (api/recentComplaints.ts).
  const recent = new RecentComplaints({ now: () => deps.clock().getTime() });
  return async (
    event: APIGatewayProxyEventV2WithJWTAuthorizer,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const name = byRouteKey.get(event.routeKey);
    if (!name) return problem(404, 'Not found', `No route ${event.routeKey}`);
    try {
      if (name === 'showSurvey') return await (await import('../api/surveyRoute')).showSurvey(event, deps);
      if (name === 'answerSurvey') {
        return await (await import('../api/surveyRoute')).answerSurvey(event, deps, deps.clock);
      }
      const actor = actorFromClaims(event.requestContext.authorizer?.jwt?.claims);
      if (!(apiRoutes[name].roles as readonly string[]).includes(actor.role)) {
        throw new ForbiddenError(`The ${actor.role} role may not call ${event.routeKey}`);
      }
      return await routeHandlers[name]({
        event,
        actor,
        services: deps,
        policy: deps.settings.policy,
        now: deps.clock,
        recent,
      });
    } catch (error) {
      const { response, unexpected } = errorResponse(error);
      if (unexpected)
        deps.logger.error('unhandled API error', { routeKey: event.routeKey, error: error as Error });
      return response;
    }
  };
};

export const { handler, handlerFor } = lambdaEntry(
  createHandler,
  ['stateMachineArn', 'rawMailBucket', 'surveySigningSecretArn', 'intakeFunctionName'],
  allAdapters,
);
