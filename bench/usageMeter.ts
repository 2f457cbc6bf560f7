import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { LambdaHandler, LocalStackOptions } from '../scripts/local/localStack';
import type { LambdaUsage } from './costModel';
import {
  callerHeader,
  type DynamoDbCounter,
  type DynamoDbUsage,
  startDynamoDbCounter,
  type TracedRequest,
  usageSince,
} from './dynamoDbCounter';
import { countApart } from './processCpu';

/**
 * What an invocation is called in the per-request breakdown: the function, and for the steps that one
 * function serves in several states, what the state passed it (a wait's kind, an escalation's cause).
 */
function invocationLabel(name: string, event: unknown): string {
  const e = (event ?? {}) as Record<string, unknown>;
  const http = (e.requestContext as { http?: { method?: string } } | undefined)?.http;
  if (http?.method && typeof e.rawPath === 'string') {
    return `${name} ${http.method} ${e.rawPath.replace(/\/complaints\/[^/?]+/, '/complaints/{id}')}`;
  }
  const detail = (e.detail as { type?: unknown } | undefined)?.type;
  const which =
    e.waitingFor ?? e.cause ?? e.reason ?? e.kind ?? detail ?? (e.failure ? 'failure' : undefined);
  return typeof which === 'string' ? `${name} (${which})` : name;
}

/** Configured memory of each function (infra/ComplaintsStack.ts: intake 1024 MB, the others 512 MB). */
const memoryMb = (fn: string) => (fn === 'intake' ? 1024 : 512);

interface LambdaStats {
  invocations: number;
  totalMs: number;
}

/** What the local stack used between two points in time. */
export interface UsageWindow {
  dynamoDb: DynamoDbUsage;
  lambda: Record<string, LambdaUsage>;
}

interface Snapshot {
  dynamoDb: DynamoDbUsage;
  lambda: Record<string, LambdaStats>;
}

/**
 * Counts what the local stack uses, as AWS would bill it: DynamoDB requests and capacity units at the
 * emulator (a counting proxy in front of DynamoDB Local) and every Lambda invocation with its duration
 * (the handlers are wrapped). `stackOptions` hands both to the local stack.
 */
export class UsageMeter {
  private counter: DynamoDbCounter | undefined;
  private readonly lambda: Record<string, LambdaStats> = {};
  /** The invocation a DynamoDB request is sent from (async context), for the per-request breakdown. */
  private readonly caller = new AsyncLocalStorage<string>();
  private invocations = 0;
  /** DynamoDB Local's own endpoint: reads through it are not counted (the benchmark's polling). */
  rawDynamoDbEndpoint = '';

  readonly stackOptions: Pick<
    LocalStackOptions,
    'dynamoDbFront' | 'wrapLambda' | 'wrapEntryHandler' | 'apiRequestHeaders'
  > = {
    dynamoDbFront: async (endpoint) => {
      this.rawDynamoDbEndpoint = endpoint;
      const counter = await startDynamoDbCounter(endpoint);
      this.counter = counter;
      countApart(() => counter.cpuMs());
      // Each request names the invocation it comes from (the counter reads and removes the header; the
      // other local servers ignore it): the SDK's http.request runs in the handler's async context, and
      // the request is created before its headers are sent.
      subscribe('http.client.request.created', (message) => {
        const caller = this.caller.getStore();
        if (caller) (message as { request: ClientRequest }).request.setHeader(callerHeader, caller);
      });
      return this.counter;
    },
    // The API's invocations run in worker threads, whose requests this thread's channel does not see:
    // the pool puts the header on them there.
    apiRequestHeaders: () => {
      const caller = this.caller.getStore();
      return caller ? { [callerHeader]: caller } : undefined;
    },
    wrapLambda: (step, handler) => this.timed(step, handler),
    wrapEntryHandler: (name, handler) => this.timed(name, handler),
  };

  private timed(name: string, handler: LambdaHandler): LambdaHandler {
    return async (event) => {
      const started = performance.now();
      const caller = `${++this.invocations} ${invocationLabel(name, event)}`;
      try {
        return await this.caller.run(caller, () => handler(event));
      } finally {
        const stats = this.lambda[name] ?? { invocations: 0, totalMs: 0 };
        this.lambda[name] = stats;
        stats.invocations++;
        stats.totalMs += performance.now() - started;
      }
    };
  }

  snapshot(): Snapshot {
    if (!this.counter) throw new Error('the usage meter was not handed to the local stack');
    return {
      dynamoDb: this.counter.snapshot(),
      lambda: Object.fromEntries(Object.entries(this.lambda).map(([k, v]) => [k, { ...v }])),
    };
  }

  /** Starts (or stops) recording each request with the invocation that sent it and the keys it names. */
  trace(on: boolean): void {
    if (!this.counter) throw new Error('the usage meter was not handed to the local stack');
    this.counter.trace(on);
  }

  /** The requests recorded since tracing started, in the order they reached the emulator. */
  traced(): TracedRequest[] {
    return this.counter?.traced() ?? [];
  }

  /** Usage since `before`. */
  since(before: Snapshot): UsageWindow {
    const now = this.snapshot();
    const lambda: Record<string, LambdaUsage> = {};
    for (const [name, stats] of Object.entries(now.lambda)) {
      const invocations = stats.invocations - (before.lambda[name]?.invocations ?? 0);
      if (invocations <= 0) continue;
      const totalMs = stats.totalMs - (before.lambda[name]?.totalMs ?? 0);
      lambda[name] = { invocations, meanDurationMs: totalMs / invocations, memoryMb: memoryMb(name) };
    }
    return { dynamoDb: usageSince(now.dynamoDb, before.dynamoDb), lambda };
  }

  /**
   * Resolves once no DynamoDB request has reached the emulator for `quietMs` (the work has settled),
   * with the time (performance.now) the last one was seen.
   */
  async settled(quietMs = 500, timeoutMs = 120_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const count = () => Object.values(this.snapshot().dynamoDb.requests).reduce((a, b) => a + b, 0);
    let last = count();
    let quietSince = performance.now();
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const now = count();
      if (now !== last) {
        last = now;
        quietSince = performance.now();
      } else if (performance.now() - quietSince >= quietMs) return quietSince;
    }
    throw new Error(`DynamoDB requests did not settle within ${timeoutMs} ms`);
  }
}
