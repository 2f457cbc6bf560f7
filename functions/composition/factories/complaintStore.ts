import { DynamoComplaintStore } from '../../adapters/complaintStore';
import type { ComplaintStore } from '../../adapters/ports';
import type { AdapterContext } from '../awsAdapters';

/**
 * The complaint store in the function's cold start, for every function that reads or writes complaints
 * (the workflow steps, intake, the API, mail feedback, the queue metrics): without it, `buildDeps`
 * imports the store on its first call, as for the report projector, the stream publisher and the digest,
 * which never call it.
 */
export const complaintStore = ({ settings, dynamodb }: AdapterContext): ComplaintStore =>
  new DynamoComplaintStore(settings.tableName, dynamodb);
