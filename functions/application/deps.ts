import type { Logger } from '@aws-lambda-powertools/logger';
import type { Notifier } from '../adapters/notifier';
import type {
  ComplaintStore,
  EventPublisher,
  IntakeFunction,
  Mailer,
  MailLedger,
  QuarantineStore,
  RawMailStore,
  ReportStore,
  WorkflowClient,
} from '../adapters/ports';
import type { Settings } from './settings';

/**
 * Everything a use case depends on, built by one composition root per runtime (the Lambda module scope,
 * the local stack) and passed explicitly: no use case reads the environment or builds an adapter.
 */
export interface Deps {
  store: ComplaintStore;
  ledger: MailLedger;
  quarantine: QuarantineStore;
  rawMail: RawMailStore;
  mailer: Mailer;
  workflow: WorkflowClient;
  /** The intake function (the API hands it released quarantined mail). */
  intake: IntakeFunction;
  notifier: Notifier;
  /** The domain events' bus (the table stream's publisher). */
  events: EventPublisher;
  /** The manager reports' counters. */
  reports: ReportStore;
  /** HMAC key of the survey links and the API's pagination cursors. */
  signingKey: () => Promise<Uint8Array>;
  clock: () => Date;
  settings: Settings;
  logger: Logger;
}
