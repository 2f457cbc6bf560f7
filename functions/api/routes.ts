import type { AgentRole } from '../core/policy';

/**
 * The agent API's routes: one table read by the Lambda router and by the CDK stack (which creates one
 * HTTP API route per entry behind the JWT authorizer), so the two cannot drift.
 */
export interface RouteSpec {
  method: 'GET' | 'POST';
  /** API Gateway route path, with `{param}` placeholders. */
  path: string;
  /** Roles allowed to call it (checked server-side from the token's groups). */
  roles: readonly AgentRole[];
  summary: string;
}

const agents = ['tier1', 'tier2', 'tier3', 'manager'] as const;

export const apiRoutes = {
  listComplaints: {
    method: 'GET',
    path: '/complaints',
    roles: agents,
    summary: 'Find complaints by reference, or list a tier queue ordered by SLA due time',
  },
  getComplaint: {
    method: 'GET',
    path: '/complaints/{id}',
    roles: agents,
    summary: 'Complaint detail with its timeline (messages and audit events)',
  },
  proposeResolution: {
    method: 'POST',
    path: '/complaints/{id}/resolution',
    roles: agents,
    summary: 'Resolve the complaint within the caller’s authority limit',
  },
} as const satisfies Record<string, RouteSpec>;
export type RouteName = keyof typeof apiRoutes;

/** OAuth scope every agent route requires (Cognito resource server `complaints`, scope `agent`). */
export const apiScope = 'complaints/agent';
