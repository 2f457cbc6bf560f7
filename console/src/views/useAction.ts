import { useState } from 'preact/hooks';
import { ApiProblem, type Complaint, ok } from '../api/client';
import type { paths } from '../api/generated/schema';
import { type RequestName, validateBody } from '../api/validation';
import { useApp } from '../context';

type WritePath = {
  [P in keyof paths]: paths[P] extends { post: unknown }
    ? P extends `/complaints/{id}/${string}`
      ? P
      : never
    : never;
}[keyof paths];

export interface ActionState {
  busy: boolean;
  /** Problems by field (`_` = the form as a whole). */
  issues: Record<string, string>;
}

/**
 * One write on the complaint: the body is checked with the API's published schema first, sent with
 * the version the agent acted on (If-Match), and a problem comes back by field. A 409/428 is handed to
 * `onConflict` (the page asks for a reload), never shown as a raw error.
 */
export function useAction(
  complaint: Complaint,
  path: WritePath,
  request: RequestName | undefined,
  handlers: { onDone: () => void; onConflict: () => void },
) {
  const { api } = useApp();
  const [state, setState] = useState<ActionState>({ busy: false, issues: {} });
  const run = async (body: Record<string, unknown> = {}) => {
    const issues = request ? validateBody(request, body) : {};
    if (Object.keys(issues).length > 0) return setState({ busy: false, issues });
    setState({ busy: true, issues: {} });
    try {
      await ok(
        // biome-ignore lint/suspicious/noExplicitAny: each path has its own body type; the schema check above guards it
        (api.POST as any)(path, {
          params: { path: { id: complaint.id }, header: { 'If-Match': `"${complaint.version}"` } },
          body,
        }),
      );
      setState({ busy: false, issues: {} });
      handlers.onDone();
    } catch (e) {
      if (e instanceof ApiProblem && e.isConflict) {
        setState({ busy: false, issues: {} });
        return handlers.onConflict();
      }
      const fields = e instanceof ApiProblem ? e.fieldIssues : {};
      setState({
        busy: false,
        issues: Object.keys(fields).length > 0 ? fields : { _: (e as Error).message },
      });
    }
  };
  return { ...state, run };
}
