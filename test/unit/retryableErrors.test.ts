import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { OutboundMailInFlightError } from '../../functions/application/customerMail';
import { awsTransientErrors } from '../../functions/application/retryableErrors';
import * as errors from '../../functions/core/errors';
import { UnparseableMailError } from '../../functions/core/mail/inboundMail';

describe('retryable error names', () => {
  it('are the names the AWS SDK gives its throttling and transient exceptions', () => {
    const metadata = { message: 'x', $metadata: {} };
    const names = [
      new ProvisionedThroughputExceededException(metadata),
      new ThrottlingException(metadata),
      new RequestLimitExceeded(metadata),
      new InternalServerError(metadata),
      new TransactionConflictException(metadata),
      new TooManyRequestsException(metadata),
    ].map((e) => e.name);
    expect(awsTransientErrors).toEqual(expect.arrayContaining(names));
  });

  it('every error class of ours carries its literal name, and a cause', () => {
    const classes = [
      ...Object.values(errors),
      UnparseableMailError,
      OutboundMailInFlightError,
    ] as (typeof errors.DomainError)[];
    for (const ErrorClass of classes) {
      const cause = new Error('root');
      const error =
        ErrorClass === errors.DomainError || Object.values(errors).includes(ErrorClass)
          ? new ErrorClass('m', {}, { cause })
          : new (ErrorClass as unknown as new (m: string, o: ErrorOptions) => Error)('m', { cause });
      expect(error.name).toBe(ErrorClass.errorName);
      expect(error.cause).toBe(cause);
    }
  });
});
