import { describe, expect, it } from 'vitest';
import {
  awsListPrices,
  type ComplaintUsage,
  complaintCost,
  lambdaCost,
  sesCost,
} from '../../bench/costModel';

const usage: ComplaintUsage = {
  stateTransitions: 11,
  lambda: {
    intake: { invocations: 1, meanDurationMs: 120, memoryMb: 1024 },
    steps: { invocations: 6, meanDurationMs: 30.2, memoryMb: 512 },
  },
  dynamoDbReadUnits: 10,
  dynamoDbWriteUnits: 40,
  mailsInBytes: [4_000],
  mailsOut: 3,
  mailsOutAttachmentBytes: 0,
  apiRequests: 5,
  busEventBytes: [900, 1_200],
  projectorBatches: 1,
};

describe('cost model', () => {
  it('bills Lambda per request and per GB-second of duration rounded up to the millisecond', () => {
    // 6 × 31 ms × 0.5 GB = 0.093 GB-s
    expect(lambdaCost({ invocations: 6, meanDurationMs: 30.2, memoryMb: 512 })).toBeCloseTo(
      6 * awsListPrices.lambdaRequest + 0.093 * awsListPrices.lambdaArmGbSecond,
      12,
    );
  });

  it('bills received mail per started 256 KB chunk', () => {
    const small = sesCost({ ...usage, mailsInBytes: [1], mailsOut: 0 });
    const justOver = sesCost({ ...usage, mailsInBytes: [256 * 1024 + 1], mailsOut: 0 });
    expect(justOver - small).toBeCloseTo(awsListPrices.sesInboundChunk, 12);
  });

  it('adds the services up to the cost per complaint and per 1,000', () => {
    const cost = complaintCost(usage);
    const sum = Object.values(cost.breakdown).reduce((a, b) => a + b, 0);
    expect(cost.perComplaint).toBeCloseTo(sum, 15);
    expect(cost.perThousand).toBeCloseTo(sum * 1000, 12);
    expect(cost.breakdown.stepFunctions).toBeCloseTo(11 * 0.000025, 12);
    // 1 mail in (1 chunk) + 3 out
    expect(cost.breakdown.ses).toBeCloseTo(0.0001 + 0.00009 + 0.0003, 12);
    expect(cost.breakdown.dynamoDb).toBeCloseTo(10 * 0.125e-6 + 40 * 0.625e-6, 15);
    expect(cost.breakdown.eventBridge).toBeCloseTo(2 * 1e-6, 15);
    // The two events sent to the projector's queue, received and deleted in one batch.
    expect(cost.breakdown.sqs).toBeCloseTo(4 * 0.4e-6, 15);
  });

  it('bills an event put on the bus per started 64 KB', () => {
    const one = complaintCost({ ...usage, busEventBytes: [64 * 1024] }).breakdown.eventBridge;
    const two = complaintCost({ ...usage, busEventBytes: [64 * 1024 + 1] }).breakdown.eventBridge;
    expect(one).toBeCloseTo(awsListPrices.eventBridgeEvent, 15);
    expect(two).toBeCloseTo(2 * awsListPrices.eventBridgeEvent, 15);
  });
});
