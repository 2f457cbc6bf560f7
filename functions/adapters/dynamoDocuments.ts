import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Item } from './complaintStore';

/** Base of the repositories on the complaints table: its name and a document client. */
export abstract class TableRepository {
  protected readonly db: DynamoDBDocumentClient;

  constructor(
    protected readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    // Optional fields are left out of items instead of failing the marshalling.
    this.db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }
}

/**
 * A key part for values that may exceed DynamoDB's 2 KB partition-key limit (Message-IDs can be that
 * long): their SHA-256, base64url.
 */
export const hashedKey = (value: string) => createHash('sha256').update(value).digest('base64url');

/** The domain record of a stored item: the table's key and index attributes removed. */
export function withoutKeys<T>(item: Item, keys: readonly string[]): T {
  const copy: Item = { ...item };
  for (const key of keys) delete copy[key];
  return copy as T;
}
