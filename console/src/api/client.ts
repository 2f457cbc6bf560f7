import createClient, { type Middleware } from 'openapi-fetch';
import { activeSession } from '../auth';
import type { ConsoleConfig } from '../config';
import type { components, paths } from './generated/schema';

export type Complaint = components['schemas']['Complaint'];
export type TimelineEntry = components['schemas']['TimelineEntry'];
export type Me = components['schemas']['Me'];
export type Problem = components['schemas']['Problem'];
export type QuarantineItem = components['schemas']['QuarantineList']['items'][number];
export type Role = Me['role'];
export type SlaReport = components['schemas']['SlaReport'];
export type RecurringReport = components['schemas']['RecurringReport'];
export type AtRiskReport = components['schemas']['AtRiskReport'];
export type CsatReport = components['schemas']['CsatReport'];
export type WorkloadReport = components['schemas']['WorkloadReport'];

/** An answer that is not 2xx, with the RFC 9457 problem details the API sent (if any). */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
  /** 409 (stale version, the complaint moved on) and 428 (no version): the complaint must be read again. */
  get isConflict() {
    return this.status === 409 || this.status === 428;
  }
  /** Validation issues by field name (`amount`, `text`, ...), the first message of each. */
  get fieldIssues(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const issue of this.problem.issues ?? []) {
      const field = (issue.path ?? '').split('.')[0] || '_';
      out[field] ??= issue.message ?? 'invalid';
    }
    return out;
  }
}

/** Raised on 401: the session ended; the app goes back to sign-in (drafts are kept, see drafts.ts). */
export const sessionExpired = new EventTarget();

export type Api = ReturnType<typeof createApi>;

export function createApi(config: ConsoleConfig) {
  // Answers are typed as their JSON; the CSV of a report is asked for with `parseAs: 'text'`.
  const client = createClient<paths, `${string}/json`>({ baseUrl: config.apiUrl });
  const auth: Middleware = {
    // The access token, renewed first when it is about to expire (the agent never sees it lapse).
    async onRequest({ request }) {
      const session = await activeSession(config);
      if (session) request.headers.set('authorization', `Bearer ${session.accessToken}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) sessionExpired.dispatchEvent(new Event('expired'));
      return response;
    },
  };
  client.use(auth);
  return client;
}

/** The data of a 2xx answer, or an ApiProblem. */
export async function ok<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) {
    throw new ApiProblem(response.status, (error ?? {}) as Partial<Problem>);
  }
  return data as NonNullable<T>;
}
