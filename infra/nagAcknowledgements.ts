import type { Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

export function acknowledgeGrantWildcards(
  _stack: Stack,
  _fns: IFunction[],
  _r: { table: Table; rawMailBucket: IBucket; rawMailPrefix: string },
): void {}
