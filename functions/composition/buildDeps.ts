import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Notifier } from '../adapters/notifier';
import type { EventPublisher, IntakeFunction, Mailer, RawMailStore, WorkflowClient } from '../adapters/ports';
import type { Deps } from '../application/deps';
import type { Settings } from '../application/settings';
import { onFirstCall } from './awsAdapters';

/**
 * The adapters a function reaches AWS through besides its table. Each function is given only those it
 * uses, so that its bundle carries, and its cold start builds, only their SDK clients; one it was not
 * given fails the call that needs it.
 */
export interface ServiceAdapters {
  mailer?: Mailer;
  /** Team notifications and manager alerts. */
  notifier?: Notifier;
  workflow?: WorkflowClient;
  intake?: IntakeFunction;
  rawMail?: RawMailStore;
  /** The domain events' bus (the table stream's publisher). */
  events?: EventPublisher;
  /** HMAC key of the survey links and the API's pagination cursors. */
  signingKey?: () => Promise<Uint8Array>;
  /**
   * The table's repositories. Each is there for every function: one it was
   * not given is built on its first call (its module imported then, from a chunk of its own), so that
   * the cold start of a function that never or seldom uses it (the queue metrics, the stream publisher,
   * most API routes) does not load it. A function that uses one on every invocation is given it
   * (`factories/complaintStore.ts`, `factories/mailLedger.ts`, `factories/reportStore.ts`), in its cold
   * start.
   */
  store?: Deps['store'];
  ledger?: Deps['ledger'];
  quarantine?: Deps['quarantine'];
  reports?: Deps['reports'];
}

/** What differs between runtimes: the table's client and the other adapters. */
export interface RuntimeParts extends ServiceAdapters {
  dynamodb: DynamoDBClient;
}

const notGiven = (adapter: string) =>
  new Error(`Invalid configuration: this function is not given the ${adapter} adapter`);

/** Stands in for an adapter a function was not given: every method fails with the adapter's name. */
function absent<T extends object>(adapter: string): T {
  return new Proxy({} as T, {
    // `then` undefined: awaiting the stand-in itself is no call.
    get: (_target, property) => (property === 'then' ? undefined : () => Promise.reject(notGiven(adapter))),
  });
}

/**
 * Wires the adapters to the settings: the one place both composition roots (Lambda, local stack) share,
 * so that the local stack runs exactly the adapters that deploy.
 */
export function buildDeps(settings: Settings, parts: RuntimeParts): Deps {
  const { dynamodb } = parts;
  const table = settings.tableName;
  return {
    store:
      parts.store ??
      onFirstCall(
        async () => new (await import('../adapters/complaintStore')).DynamoComplaintStore(table, dynamodb),
      ),
    ledger:
      parts.ledger ??
      onFirstCall(async () => new (await import('../adapters/mailLedger')).DynamoMailLedger(table, dynamodb)),
    quarantine:
      parts.quarantine ??
      onFirstCall(
        async () => new (await import('../adapters/quarantineStore')).DynamoQuarantineStore(table, dynamodb),
      ),
    reports:
      parts.reports ??
      onFirstCall(
        async () => new (await import('../adapters/reportStore')).DynamoReportStore(table, dynamodb),
      ),
    rawMail: parts.rawMail ?? absent('rawMail'),
    mailer: parts.mailer ?? absent('mailer'),
    workflow: parts.workflow ?? absent('workflow'),
    intake: parts.intake ?? absent('intake'),
    notifier: parts.notifier ?? absent('notifier'),
    events: parts.events ?? absent('events'),
    signingKey: parts.signingKey ?? (() => Promise.reject(notGiven('signingKey'))),
    clock: () => new Date(),
    settings,
    logger: new Logger({ serviceName: settings.serviceName, logLevel: settings.logLevel }),
  };
}
