import type { AgentRole } from '../core/policy';

/**
 * The agent API's routes: one table read by the Lambda router and by the CDK stack (which creates one
 * HTTP API route per entry behind the JWT authorizer), so the two cannot drift.
 */
export interface RouteSpec {
  method: 'GET' | 'POST';
  /** API Gateway route path, with `{param}` placeholders. */
  path: string;
  /** Roles allowed to call it (checked server-side from the token's groups); empty for public routes. */
  roles: readonly AgentRole[];
  /** No bearer token: the route authenticates its caller itself (e.g. a signed survey link). */
  public?: true;
  /** Why a public route needs no authorizer (the cdk-nag APIG4 acknowledgement). */
  publicBecause?: string;
  summary: string;
  /** Also answers `text/csv` (the report's rows) when the client accepts it. */
  csv?: true;
  /** The Lambda function behind the route: the agent API's router unless named. */
  servedBy?: ApiFunction;
}

/**
 * The functions behind the HTTP API: `api`, the router of every agent and survey route, and `apiDocs`,
 * which serves the OpenAPI document alone (no table, no secret: a public route that needs neither, and
 * the document's generator stays out of the router's cold start).
 */
export const apiFunctions = ['api', 'apiDocs'] as const;
export type ApiFunction = (typeof apiFunctions)[number];

/** The function behind a route. */
export const functionOf = (route: RouteSpec): ApiFunction => route.servedBy ?? 'api';

const agents = ['tier1', 'tier2', 'tier3', 'manager'] as const;
const approvers = ['tier2', 'tier3', 'manager'] as const;

export const apiRoutes = {
  getMe: {
    method: 'GET',
    path: '/me',
    roles: agents,
    summary: 'The caller as the token names them: role and the authority limit they resolve within alone',
  },
  listComplaints: {
    method: 'GET',
    path: '/complaints',
    roles: agents,
    summary:
      'Find a complaint by reference, or list a queue, an assignee’s or a customer’s complaints (filters: queue, status, assignee, customer)',
  },
  getComplaint: {
    method: 'GET',
    path: '/complaints/{id}',
    roles: agents,
    summary: 'Complaint detail with its timeline (messages and audit events)',
  },
  claimComplaint: {
    method: 'POST',
    path: '/complaints/{id}/claim',
    roles: agents,
    summary: 'Assign the complaint to the caller (a higher role may take over another agent’s claim)',
  },
  replyToCustomer: {
    method: 'POST',
    path: '/complaints/{id}/replies',
    roles: agents,
    summary: 'Public reply, emailed to the customer (the first one meets the first-response target)',
  },
  addNote: {
    method: 'POST',
    path: '/complaints/{id}/notes',
    roles: agents,
    summary: 'Internal note on the timeline, never emailed',
  },
  mergeComplaint: {
    method: 'POST',
    path: '/complaints/{id}/merge',
    roles: agents,
    summary: 'Close a duplicate waiting for an agent as merged into another complaint',
  },
  proposeResolution: {
    method: 'POST',
    path: '/complaints/{id}/resolution',
    roles: agents,
    summary: 'Resolve within the caller’s authority limit, or propose it to the tier that may approve it',
  },
  decideApproval: {
    method: 'POST',
    path: '/complaints/{id}/approval',
    roles: approvers,
    summary: 'Approve or reject (with a reason) a proposal waiting for the caller’s role',
  },
  requestInfo: {
    method: 'POST',
    path: '/complaints/{id}/info-requests',
    roles: agents,
    summary: 'Ask the customer for information (SLA paused until they answer)',
  },
  escalate: {
    method: 'POST',
    path: '/complaints/{id}/escalation',
    roles: agents,
    summary: 'Escalate to the next tier, with a reason',
  },
  recordFollowUp: {
    method: 'POST',
    path: '/complaints/{id}/follow-up',
    roles: agents,
    summary: 'Record the outcome of the follow-up call: satisfied, unsatisfied or unreachable',
  },
  closeComplaint: {
    method: 'POST',
    path: '/complaints/{id}/close',
    roles: agents,
    summary: 'Close a complaint waiting for an agent (duplicate, withdrawn, resolved elsewhere)',
  },
  listCustomerComplaints: {
    method: 'GET',
    path: '/customers/{email}/complaints',
    roles: agents,
    summary: 'Complaints of one customer, newest first',
  },
  eraseCustomer: {
    method: 'POST',
    path: '/customers/{email}/erase',
    roles: ['manager'],
    summary:
      'GDPR erasure: the customer’s personal data removed from their complaints, quarantined mail and mail records, audit kept (idempotent)',
  },
  clearUndeliverable: {
    method: 'POST',
    path: '/customers/{email}/deliverable',
    roles: ['manager'],
    summary:
      'Clear the address’s undeliverable mark (SES hard bounce or spam complaint), e.g. after the customer fixed their mailbox: automatic mail may go to it again; audited on each flagged complaint (idempotent)',
  },
  showSurvey: {
    method: 'GET',
    path: '/survey/{token}',
    roles: [],
    public: true,
    publicBecause:
      'Customers open this link from an email; the handler verifies its HMAC-signed, expiring token and changes nothing.',
    summary:
      'The page of the signed, expiring link of the satisfaction email: asks the customer to confirm (a GET changes nothing, so link scanners cannot answer)',
  },
  answerSurvey: {
    method: 'POST',
    path: '/survey/{token}',
    roles: [],
    public: true,
    publicBecause:
      'Posted by the confirmation page of the survey link; the handler verifies its HMAC-signed, expiring token.',
    summary: 'The customer’s confirmed survey answer (form post, idempotent)',
  },
  listQuarantine: {
    method: 'GET',
    path: '/quarantine',
    roles: ['manager'],
    summary: 'Inbound mail held back (failed SES verdicts, unreadable, unmatched bounces), newest first',
  },
  releaseQuarantined: {
    method: 'POST',
    path: '/quarantine/{id}/release',
    roles: ['manager'],
    summary: 'Release a held mail into normal intake, bypassing the quarantine rules (idempotent)',
  },
  slaReport: {
    method: 'GET',
    path: '/reports/sla',
    roles: ['manager'],
    csv: true,
    summary:
      'SLA compliance over whole UTC days from..to (default: the last 30), by tier, priority or category: first responses and resolutions within target, median times, breaches',
  },
  recurringReport: {
    method: 'GET',
    path: '/reports/recurring',
    roles: ['manager'],
    csv: true,
    summary: 'Resolutions by category × root cause per ISO week, with spikes against the weeks before',
  },
  atRiskReport: {
    method: 'GET',
    path: '/reports/at-risk',
    roles: ['manager'],
    csv: true,
    summary:
      'Customers at risk (risk signals, unsatisfied follow-ups, reopened complaints) per ISO week of the range, newest first, with the reasons and the complaints, in pages',
  },
  csatReport: {
    method: 'GET',
    path: '/reports/csat',
    roles: ['manager'],
    csv: true,
    summary:
      'Customer satisfaction (follow-up calls, surveys, customer mail) per ISO week and over the range',
  },
  workloadReport: {
    method: 'GET',
    path: '/reports/workload',
    roles: ['manager'],
    csv: true,
    summary: 'Open complaints per tier; resolutions and average handling time per tier and per agent',
  },
  openApi: {
    method: 'GET',
    path: '/openapi.json',
    roles: [],
    public: true,
    publicBecause: 'The OpenAPI document describes the API; it holds no data and changes nothing.',
    servedBy: 'apiDocs',
    summary: 'This API as an OpenAPI 3.1 document, generated from the route table and the zod schemas',
  },
} as const satisfies Record<string, RouteSpec>;
export type RouteName = keyof typeof apiRoutes;

/** OAuth scope every agent route requires (Cognito resource server `complaints`, scope `agent`). */
export const apiScope = 'complaints/agent';

/** Request headers a browser client (the agent console) sends cross-origin; the API's CORS settings allow them. */
export const corsAllowHeaders = ['authorization', 'content-type', 'if-match'];
