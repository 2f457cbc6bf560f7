/**
 * AWS list prices (us-east-1, USD, first pay-as-you-go tier, free tiers left out) and a pure function
 * from the usage of one complaint to its cost per service. The build machine has no network to check
 * the prices again: update the prices and `checkedOn` together.
 */
export const awsListPrices = {
  checkedOn: '2025-06-01',
  region: 'us-east-1',
  /** Step Functions Standard: per state transition ($0.025 per 1,000). */
  stepFunctionsTransition: 0.025 / 1000,
  /** Lambda arm64: per request and per GB-second. */
  lambdaRequest: 0.2 / 1_000_000,
  lambdaArmGbSecond: 0.0000133334,
  /** DynamoDB on demand: per write and per read request unit. */
  dynamoDbWriteUnit: 0.625 / 1_000_000,
  dynamoDbReadUnit: 0.125 / 1_000_000,
  /** SES: per mail received, per 256 KB chunk received, per mail sent, per GB of attachments sent. */
  sesMailIn: 0.1 / 1000,
  sesInboundChunk: 0.09 / 1000,
  sesMailOut: 0.1 / 1000,
  sesOutboundGb: 0.12,
  /** HTTP API: per request (first 300 million a month). */
  httpApiRequest: 1 / 1_000_000,
  /** S3 Standard: per PUT and per GET (SES stores each received mail, intake reads it). */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
} as const;

export type AwsPrices = Omit<typeof awsListPrices, 'checkedOn' | 'region'>;

/** Invocations of one Lambda function and their mean duration. */
export interface LambdaUsage {
  invocations: number;
  meanDurationMs: number;
  memoryMb: number;
}

/** What one complaint uses. */
export interface ComplaintUsage {
  stateTransitions: number;
  lambda: Record<string, LambdaUsage>;
  dynamoDbReadUnits: number;
  dynamoDbWriteUnits: number;
  /** Sizes in bytes of the mails received (each billed per mail and per started 256 KB chunk). */
  mailsInBytes: number[];
  mailsOut: number;
  /** Attachment bytes of the mails sent. */
  mailsOutAttachmentBytes: number;
  apiRequests: number;
}

export interface CostBreakdown {
  stepFunctions: number;
  lambda: number;
  dynamoDb: number;
  ses: number;
  httpApi: number;
  s3: number;
}

export interface ComplaintCost {
  perComplaint: number;
  perThousand: number;
  breakdown: CostBreakdown;
}

const chunk256Kb = 256 * 1024;

/** Lambda bills duration in 1 ms steps times the configured memory, plus each request. */
export function lambdaCost(usage: LambdaUsage, prices: AwsPrices = awsListPrices): number {
  const gbSeconds = usage.invocations * (Math.ceil(usage.meanDurationMs) / 1000) * (usage.memoryMb / 1024);
  return usage.invocations * prices.lambdaRequest + gbSeconds * prices.lambdaArmGbSecond;
}

/** The AWS cost of one complaint from its usage at list prices, per service. */
export function complaintCost(usage: ComplaintUsage, prices: AwsPrices = awsListPrices): ComplaintCost {
  const chunks = usage.mailsInBytes.reduce((n, bytes) => n + Math.max(1, Math.ceil(bytes / chunk256Kb)), 0);
  const breakdown: CostBreakdown = {
    stepFunctions: usage.stateTransitions * prices.stepFunctionsTransition,
    lambda: Object.values(usage.lambda).reduce((sum, fn) => sum + lambdaCost(fn, prices), 0),
    dynamoDb:
      usage.dynamoDbReadUnits * prices.dynamoDbReadUnit + usage.dynamoDbWriteUnits * prices.dynamoDbWriteUnit,
    ses:
      usage.mailsInBytes.length * prices.sesMailIn +
      chunks * prices.sesInboundChunk +
      usage.mailsOut * prices.sesMailOut +
      (usage.mailsOutAttachmentBytes / 1024 ** 3) * prices.sesOutboundGb,
    httpApi: usage.apiRequests * prices.httpApiRequest,
    s3: usage.mailsInBytes.length * (prices.s3Put + prices.s3Get),
  };
  const perComplaint = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return { perComplaint, perThousand: perComplaint * 1000, breakdown };
}
