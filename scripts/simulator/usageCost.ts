import {
  type ComplaintUsage,
  type CostBreakdown,
  complaintCost,
  type LambdaUsage,
} from '../../bench/costModel';
import type { SimulationResult } from './engine';

/**
 * From what the simulation counted (state transitions, step invocations, mails, API requests, complaint
 * writes) to the cost model's usage of one complaint. Counts come from the walk itself; what a count
 * costs in request units and milliseconds is the per-operation model below (item sizes of the single
 * table, the functions' configured memory, mean durations as the bench's lifecycle run shows them on
 * warm functions). Team notifications go through SNS, whose first million publishes a month are free.
 */
export const usageModel = {
  /** A state change: the complaint (~3 KB) and its audit entry in one transaction (2 units per KB written). */
  writeUnitsPerTransition: 8,
  /** Every step and API request reads the complaint (strongly consistent, up to 4 KB: 1 unit). */
  readUnitsPerStep: 1,
  /** An agent's read of a complaint with its timeline (a query of a few KB). */
  readUnitsPerApiRequest: 3,
  /** The send-once ledger of an outbound mail: its lease and its completion. */
  writeUnitsPerMailOut: 4,
  /** Intake: the inbound claim, reference, thread token and first timeline entries besides the complaint. */
  writeUnitsPerMailIn: 12,
  /** Size of a customer's mail as SES receives it. */
  mailInBytes: 8 * 1024,
  /**
   * A state change's domain event as the publisher puts it on the bus (ids, times, business fields:
   * about 500 B in the bench's count).
   */
  busEventBytes: 512,
  lambdaMemoryMb: { intake: 1024, default: 512 } as Record<string, number>,
  meanDurationMs: { intake: 250, api: 60, acknowledge: 180, investigate: 120, default: 60 } as Record<
    string,
    number
  >,
} as const;

export interface SimulatedCost {
  perComplaint: number;
  /** A 30-day month at the simulated arrival rate. */
  perMonth: number;
  breakdownPerComplaint: CostBreakdown;
}

/**
 * Batches per event of the report projector's queue at `rate` events a second: a batch gathers for
 * its window (2 s) from its first event, so at rate λ a batch begins every 1/λ + 2 s on average and
 * holds 1 + 2λ events, up to the batch size (100).
 */
function eventsPerBatchShare(rate: number): number {
  return 1 / Math.min(100, 1 + 2 * rate);
}

export function simulatedCost(r: SimulationResult): SimulatedCost {
  const n = Math.max(1, r.complaints);
  const u = r.usage;
  const m = usageModel;
  const invocations = { ...u.lambdaInvocations, api: u.apiRequests };
  const steps = Object.values(invocations).reduce((a, b) => a + b, 0);
  const lambda = Object.fromEntries(
    Object.entries(invocations).map(([fn, count]): [string, LambdaUsage] => [
      fn,
      {
        invocations: count / n,
        meanDurationMs: m.meanDurationMs[fn] ?? m.meanDurationMs.default ?? 60,
        memoryMb: m.lambdaMemoryMb[fn] ?? m.lambdaMemoryMb.default ?? 512,
      },
    ]),
  );
  const days = (Date.parse(r.end) - Date.parse(r.start)) / 86_400_000;
  const usage: ComplaintUsage = {
    stateTransitions: u.stateTransitions / n,
    lambda,
    dynamoDbReadUnits:
      (steps * m.readUnitsPerStep + u.apiRequests * (m.readUnitsPerApiRequest - m.readUnitsPerStep)) / n,
    dynamoDbWriteUnits:
      (u.transitions * m.writeUnitsPerTransition +
        u.mailsOut * m.writeUnitsPerMailOut +
        u.mailsIn * m.writeUnitsPerMailIn) /
      n,
    mailsInBytes: Array.from({ length: Math.round(u.mailsIn / n) }, () => m.mailInBytes),
    mailsOut: u.mailsOut / n,
    mailsOutAttachmentBytes: 0,
    apiRequests: u.apiRequests / n,
    busEventBytes: Array.from({ length: Math.round(u.transitions / n) }, () => m.busEventBytes),
    projectorBatches: (u.transitions / n) * eventsPerBatchShare(u.transitions / (days * 86_400)),
  };
  const cost = complaintCost(usage);
  return {
    perComplaint: cost.perComplaint,
    perMonth: cost.perComplaint * (r.complaints / days) * 30,
    breakdownPerComplaint: cost.breakdown,
  };
}
