import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { $ZodError } from 'zod/v4/core';
import { OutboundMailInFlightError } from '../application/customerMail';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  OverAuthorityError,
  ValidationError,
} from '../core/errors';

/** Raised by the API layer for authentication failures (missing or unusable claims). */
export class UnauthorizedError extends DomainError {
  static override readonly errorName = 'UnauthorizedError';
  override readonly name: string = UnauthorizedError.errorName;
}

/** A write that did not say which complaint version it acted on (RFC 6585 428 Precondition Required). */
export class PreconditionRequiredError extends DomainError {
  static override readonly errorName = 'PreconditionRequiredError';
  override readonly name: string = PreconditionRequiredError.errorName;
}

/** A body that is not JSON by its `Content-Type` (RFC 9110 415 Unsupported Media Type). */
export class UnsupportedMediaTypeError extends DomainError {
  static override readonly errorName = 'UnsupportedMediaTypeError';
  override readonly name: string = UnsupportedMediaTypeError.errorName;
}

const statusByError: [new (...args: never[]) => DomainError, number, string][] = [
  [UnauthorizedError, 401, 'Unauthorized'],
  [ForbiddenError, 403, 'Forbidden'],
  [OverAuthorityError, 403, 'Over authority limit'],
  [NotFoundError, 404, 'Not found'],
  [ConflictError, 409, 'Conflict'],
  [InvalidTransitionError, 409, 'Not allowed in the current state'],
  [ValidationError, 400, 'Invalid request'],
  [PreconditionRequiredError, 428, 'Precondition required'],
  [UnsupportedMediaTypeError, 415, 'Unsupported media type'],
];

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * RFC 9457 problem details. The standard members are the RFC's: an extension member of the same name
 * (say an error's `status` detail) is dropped rather than allowed to contradict the HTTP status.
 */
export function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}) {
  const {
    type: _type,
    title: _title,
    status: _status,
    detail: _detail,
    instance: _instance,
    ...members
  } = extra;
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail, ...members }),
  } satisfies APIGatewayProxyStructuredResultV2;
}

/**
 * Maps an error to its HTTP answer in one place: client mistakes get 4xx with the reason, only
 * unexpected faults become 500 (and then without internals).
 */
export function errorResponse(error: unknown): {
  response: APIGatewayProxyStructuredResultV2;
  unexpected: boolean;
} {
  // Full zod's ZodError and zod/mini's errors are both `$ZodError`s.
  if (error instanceof $ZodError) {
    const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
    return {
      response: problem(400, 'Invalid request', 'The request did not pass validation', { issues }),
      unexpected: false,
    };
  }
  // The same reply or question asked twice at once (a double click): the other request holds the
  // mail's send lease and sends it, once. A conflict of the client's making, not a fault of ours.
  if (error instanceof OutboundMailInFlightError) {
    return {
      response: problem(
        409,
        'Conflict',
        'The same mail is being sent by another request (this one came twice): it goes out once. Read the complaint again',
      ),
      unexpected: false,
    };
  }
  for (const [type, status, title] of statusByError) {
    if (error instanceof type) {
      return { response: problem(status, title, error.message, error.details ?? {}), unexpected: false };
    }
  }
  return { response: problem(500, 'Internal error', 'Something went wrong on our side'), unexpected: true };
}
