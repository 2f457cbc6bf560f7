/**
 * AWS list prices (us-east-1, USD, first pay-as-you-go tier, free tiers left out) as the pricing pages
 * of each service stated them on `checkedOn`. The build machine has no network to check them again:
 * update the prices and this date together.
 */
export const awsListPrices = {
  checkedOn: '2025-06-01',
  region: 'us-east-1',
  /** Step Functions Standard: per state transition ($0.025 per 1,000). */
  stepFunctionsTransition: 0.025 / 1000,
  /** Lambda arm64: per request ($0.20 per million) and per GB-second (first 6 billion GB-s/month). */
  lambdaRequest: 0.2 / 1_000_000,
  lambdaArmGbSecond: 0.0000133334,
  /** DynamoDB on demand (since the 2024-11-01 price cut): per write and per read request unit. */
  dynamoDbWriteUnit: 0.625 / 1_000_000,
  dynamoDbReadUnit: 0.125 / 1_000_000,
  /** SES: per mail received, per 256 KB chunk received, per mail sent, per GB of attachments sent. */
  sesMailIn: 0.1 / 1000,
  sesInboundChunk: 0.09 / 1000,
  sesMailOut: 0.1 / 1000,
  sesOutboundGb: 0.12,
  /** HTTP API: per request (first 300 million a month), metered in 512 KB increments. */
  httpApiRequest: 1 / 1_000_000,
  /** S3 Standard: per PUT and per GET (SES stores each received mail, intake reads it). */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /**
   * EventBridge: per custom event put on a bus, each started 64 KB of an entry billed as one (rules and
   * their delivery to targets on the same bus are not billed).
   */
  eventBridgeEvent: 1 / 1_000_000,
  /** SQS standard queue: per request, each started 64 KB of its payload billed as one. */
  sqsRequest: 0.4 / 1_000_000,
} as const;

export type AwsPrices = Omit<typeof awsListPrices, 'checkedOn' | 'region'>;

/** Invocations of one Lambda function and their measured mean duration. */
export interface LambdaUsage {
  invocations: number;
  meanDurationMs: number;
  memoryMb: number;
}

/** What one complaint used, counted on the local stack (per complaint: totals divided by the count). */
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
  /** Sizes in bytes of the domain events put on the bus (as EventBridge sizes a `PutEvents` entry). */
  busEventBytes: number[];
  /**
   * Batches the report projector took from its queue (its invocations). The rule sends every bus
   * event to that queue; the event source receives a batch's messages and deletes them, ten at a time.
   */
  projectorBatches: number;
}

export interface CostBreakdown {
  stepFunctions: number;
  lambda: number;
  dynamoDb: number;
  ses: number;
  httpApi: number;
  s3: number;
  eventBridge: number;
  sqs: number;
}

export interface ComplaintCost {
  perComplaint: number;
  perThousand: number;
  breakdown: CostBreakdown;
}

const chunk256Kb = 256 * 1024;
const chunk64Kb = 64 * 1024;

/** Each payload billed per started 64 KB (an EventBridge entry, an SQS request). */
const started64Kb = (sizes: number[]) =>
  sizes.reduce((n, bytes) => n + Math.max(1, Math.ceil(bytes / chunk64Kb)), 0);

/** Lambda bills duration in 1 ms steps (per invocation, rounded up) times the configured memory. */
export function lambdaCost(usage: LambdaUsage, prices: AwsPrices = awsListPrices): number {
  const gbSeconds = usage.invocations * (Math.ceil(usage.meanDurationMs) / 1000) * (usage.memoryMb / 1024);
  return usage.invocations * prices.lambdaRequest + gbSeconds * prices.lambdaArmGbSecond;
}

/** SES receiving: per mail plus per started 256 KB of it; sending: per mail plus attachment GB. */
export function sesCost(usage: ComplaintUsage, prices: AwsPrices = awsListPrices): number {
  const chunks = usage.mailsInBytes.reduce((n, bytes) => n + Math.max(1, Math.ceil(bytes / chunk256Kb)), 0);
  return (
    usage.mailsInBytes.length * prices.sesMailIn +
    chunks * prices.sesInboundChunk +
    usage.mailsOut * prices.sesMailOut +
    (usage.mailsOutAttachmentBytes / 1024 ** 3) * prices.sesOutboundGb
  );
}

/**
 * The SQS requests of the report projection queue: a send per event (per started 64 KB), and per batch
 * the receives and deletes of its messages, up to ten per request. The event source's empty polls of an
 * idle queue cost the same whatever the traffic: they are no complaint's.
 */
export function sqsRequests(usage: ComplaintUsage): number {
  const sends = started64Kb(usage.busEventBytes);
  const perBatch = Math.ceil(usage.busEventBytes.length / Math.max(1, usage.projectorBatches) / 10);
  return sends + 2 * perBatch * usage.projectorBatches;
}

/**
 * The AWS cost of one complaint from its counted usage at list prices, per service. S3 counts the PUT
 * by which SES stores each received mail and the GET by which intake reads it; EventBridge the domain
 * events the stream's publisher puts on the bus; SQS their way to the report projector.
 */
export function complaintCost(usage: ComplaintUsage, prices: AwsPrices = awsListPrices): ComplaintCost {
  const breakdown: CostBreakdown = {
    stepFunctions: usage.stateTransitions * prices.stepFunctionsTransition,
    lambda: Object.values(usage.lambda).reduce((sum, fn) => sum + lambdaCost(fn, prices), 0),
    dynamoDb:
      usage.dynamoDbReadUnits * prices.dynamoDbReadUnit + usage.dynamoDbWriteUnits * prices.dynamoDbWriteUnit,
    ses: sesCost(usage, prices),
    httpApi: usage.apiRequests * prices.httpApiRequest,
    s3: usage.mailsInBytes.length * (prices.s3Put + prices.s3Get),
    eventBridge: started64Kb(usage.busEventBytes) * prices.eventBridgeEvent,
    sqs: sqsRequests(usage) * prices.sqsRequest,
  };
  const perComplaint = Object.values(breakdown).reduce((a, b) => a + b, 0);
  return { perComplaint, perThousand: perComplaint * 1000, breakdown };
}
