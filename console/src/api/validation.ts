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

const validators = new Map<RequestName, Validator>();

/**
 * Checks a form's body with the JSON Schema the API publishes for it (generated from the zod schemas
 * the API validates with), before it is sent. Answers the first problem per field; the API checks
 * again and its problem details are shown the same way.
 */
export function validateBody(name: RequestName, body: unknown): Record<string, string> {
  let validator = validators.get(name);
  if (!validator) {
    const { $schema: _ignored, ...schema } = components.schemas[name] as Schema & { $schema?: string };
    validator = new Validator(schema as Schema, '2020-12', false);
    validators.set(name, validator);
  }
  const result = validator.validate(body);
  const issues: Record<string, string> = {};
  for (const e of result.errors) {
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
  if (keyword === 'required')
    return error.replace(/^Instance does not have required property "(.*)"\.$/, 'Required');
  return error.replace(/^Instance /, 'Value ');
}
