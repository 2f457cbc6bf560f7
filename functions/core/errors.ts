/**
 * Domain errors. Each maps to one HTTP status in `functions/api/problem.ts`; the workflow Lambdas let
 * them propagate with their `name` so the state machine can Catch/Retry them by error name.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The addressed thing does not exist (HTTP 404). */
export class NotFoundError extends DomainError {}

/** The complaint changed since the caller read it, or the workflow moved on (HTTP 409). */
export class ConflictError extends DomainError {}

/** The caller may not do this at all (HTTP 403). */
export class ForbiddenError extends DomainError {}

/** The caller's authority limit does not cover the amount (HTTP 403, with the limit in force). */
export class OverAuthorityError extends DomainError {}

/** The request is well-formed but not valid in the complaint's current state (HTTP 422). */
export class InvalidTransitionError extends DomainError {}

/** Input failed validation (HTTP 400). */
export class ValidationError extends DomainError {}
