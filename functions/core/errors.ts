import type { Complaint } from './complaint';

/**
 * Domain errors. Each maps to one HTTP status in `functions/api/problem.ts`; the workflow Lambdas let
 * them propagate and Lambda reports `error.name` as the error type, which the state machine's Retry and
 * Catch match. Every class therefore carries its name as a string literal (`errorName`, also its
 * `name`): a bundler that minifies class names would otherwise change what the state machine sees.
 */
export class DomainError extends Error {
  static readonly errorName: string = 'DomainError';
  override readonly name: string = DomainError.errorName;
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The addressed thing does not exist (HTTP 404). */
export class NotFoundError extends DomainError {
  static override readonly errorName = 'NotFoundError';
  override readonly name: string = NotFoundError.errorName;
}

/** The complaint changed since the caller read it, or the workflow moved on (HTTP 409). */
export class ConflictError extends DomainError {
  static override readonly errorName = 'ConflictError';
  override readonly name: string = ConflictError.errorName;
}

/**
 * A conditional write of the complaint lost to another write (HTTP 409, like any conflict, and the same
 * name for the workflow's Retry and Catch). `current` is the complaint as stored then, when the failed
 * condition returned it: for the caller to start again from, never part of an answer.
 */
export class StaleWriteError extends ConflictError {
  readonly current: Complaint | undefined;
  constructor(
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions & { current?: Complaint | undefined },
  ) {
    super(message, details, options);
    this.current = options?.current;
  }
}

/** The caller may not do this at all (HTTP 403). */
export class ForbiddenError extends DomainError {
  static override readonly errorName = 'ForbiddenError';
  override readonly name: string = ForbiddenError.errorName;
}

/** The caller's authority limit does not cover the amount (HTTP 403, with the limit in force). */
export class OverAuthorityError extends DomainError {
  static override readonly errorName = 'OverAuthorityError';
  override readonly name: string = OverAuthorityError.errorName;
}

/** The request is well-formed but not valid in the complaint's current state (HTTP 422). */
export class InvalidTransitionError extends DomainError {
  static override readonly errorName = 'InvalidTransitionError';
  override readonly name: string = InvalidTransitionError.errorName;
}

/** Input failed validation (HTTP 400). */
export class ValidationError extends DomainError {
  static override readonly errorName = 'ValidationError';
  override readonly name: string = ValidationError.errorName;
}

/**
 * A step found a person's decision in flight (status `deciding`): the workflow retries it (Retry on
 * this error name) until the API has either completed the task or released its claim.
 */
export class ComplaintBusyError extends DomainError {
  static override readonly errorName = 'ComplaintBusyError';
  override readonly name: string = ComplaintBusyError.errorName;
}
