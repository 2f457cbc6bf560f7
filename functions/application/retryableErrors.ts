import { ComplaintBusyError, ConflictError } from '../core/errors';
import { OutboundMailInFlightError } from './customerMail';

/**
 * Errors the Lambda service reports for an invocation that may well succeed when retried (throttling,
 * service faults, a sandbox that timed out). AWS recommends retrying these on every Lambda task.
 */
export const lambdaServiceErrors = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Sandbox.Timedout',
] as const;

/**
 * AWS SDK errors a handler lets through, by the `name` Lambda reports as the error type: DynamoDB and
 * SES throttling or transient faults (checked against the SDK's exception classes in a unit test).
 * `ServiceUnavailable` is the code of an unmodelled HTTP 503, which the SDK surfaces under that name.
 */
export const awsTransientErrors = [
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
] as const;

/** Our own retryable errors, by their literal names (which survive minification). */
export const conflictErrors = [ConflictError.errorName] as const;
export const busyErrors = [ComplaintBusyError.errorName] as const;
export const mailInFlightErrors = [OutboundMailInFlightError.errorName] as const;
