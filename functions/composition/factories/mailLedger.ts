import { DynamoMailLedger } from '../../adapters/mailLedger';
import type { MailLedger } from '../../adapters/ports';
import type { AdapterContext } from '../awsAdapters';

/**
 * The mail ledger in the function's cold start, for a function that uses it on every invocation (it
 * files or sends mail): without it, `buildDeps` imports the ledger on its first call.
 */
export const mailLedger = ({ settings, dynamodb }: AdapterContext): MailLedger =>
  new DynamoMailLedger(settings.tableName, dynamodb);
