import { type Schema, Validator } from '@cfworker/json-schema';
import { components } from './generated/openapi.json';

/** Request bodies the console sends, by their component name in `/openapi.json`. */
export type RequestName =
  | 'ReplyToCustomerRequest'
  | 'AddNoteRequest'
  | 'MergeComplaintRequest'
  | 'ProposeResolutionRequest'
  | 'DecideApprovalRequest'
  | 'RequestInfoRequest'
  | 'EscalateRequest'
  | 'RecordFollowUpRequest'
  | 'CloseComplaintRequest';

const validators = new Map<string, Validator>();

function validatorFor(key: string, schema: () => Schema): Validator {
  let validator = validators.get(key);
  if (!validator) {
    const { $schema: _ignored, ...rest } = schema() as Schema & { $schema?: string };
    validator = new Validator(rest as Schema, '2020-12', false);
    validators.set(key, validator);
  }
  return validator;
}

/**
 * Checks a form's body with the JSON Schema the API publishes for it (generated from the zod schemas
 * the API validates with), before it is sent. Answers the first problem per field; the API checks
 * again and its problem details are shown the same way.
 */
export function validateBody(name: RequestName, body: unknown): Record<string, string> {
  return issuesOf(
    validatorFor(name, () => components.schemas[name] as Schema),
    body,
  );
}

/** Queries the console builds from a form (the report filters), by their component name. */
export type QueryName = 'SlaReportQuery' | 'RecurringReportQuery' | 'CsatReportQuery' | 'AtRiskReportQuery';

/**
 * Checks a query with the schema the API publishes for it (generated from the zod schema it parses
 * the query with). Rules across parameters (a range in order) only the API checks; its problem
 * details name the parameter, so they are shown the same way.
 */
export function validateQuery(name: QueryName, query: Record<string, unknown>): Record<string, string> {
  return issuesOf(
    validatorFor(name, () => components.schemas[name] as Schema),
    query,
  );
}

function issuesOf(validator: Validator, value: unknown): Record<string, string> {
  const issues: Record<string, string> = {};
  for (const e of validator.validate(value).errors) {
    // Leaf errors name the field in their instance location (`#/text`); the rest restate them.
    const field = e.instanceLocation.replace(/^#\/?/, '').split('/')[0] || '_';
    if (
      e.keyword === 'properties' ||
      e.keyword === 'allOf' ||
      e.keyword === 'oneOf' ||
      e.keyword === 'anyOf'
    ) {
      continue;
    }
    issues[field] ??= describe(e.keyword, e.error);
  }
  return issues;
}

function describe(keyword: string, error: string) {
  if (keyword === 'minLength') return 'Required';
  if (keyword === 'pattern' || keyword === 'format') return 'Not in the expected format';
  if (keyword === 'required')
    return error.replace(/^Instance does not have required property "(.*)"\.$/, 'Required');
  return error.replace(/^Instance /, 'Value ');
}
