import { Logger } from '@aws-lambda-powertools/logger';

/** One structured logger for every handler (Powertools: JSON lines with the Lambda context). */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'complaints' });
