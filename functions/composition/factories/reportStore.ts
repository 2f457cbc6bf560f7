import type { ReportStore } from '../../adapters/ports';
import { DynamoReportStore } from '../../adapters/reportStore';
import type { AdapterContext } from '../awsAdapters';

/**
 * The report counters in the function's cold start, for the projector (every event): without it,
 * `buildDeps` imports the store on its first call.
 */
export const reportStore = ({ settings, dynamodb }: AdapterContext): ReportStore =>
  new DynamoReportStore(settings.tableName, dynamodb);
