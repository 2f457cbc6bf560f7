import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import { DynamoComplaintStore } from '../adapters/complaintStore';
import { SesMailer } from '../adapters/mailer';
import { DynamoMailLedger } from '../adapters/mailLedger';
import { MailNotifier, type Notifier, SnsNotifier } from '../adapters/notifier';
import type { RawMailStore, WorkflowClient } from '../adapters/ports';
import { DynamoQuarantineStore } from '../adapters/quarantineStore';
import { DynamoReportStore } from '../adapters/reportStore';
import { SfnWorkflowClient } from '../adapters/workflowClient';
import type { Deps } from '../application/deps';
import { type Settings, settingNames } from '../application/settings';

/** The SDK clients the adapters talk through: default clients on AWS, endpoint-bound ones locally. */
export interface AwsClients {
  dynamodb: DynamoDBClient;
  sesv2: SESv2Client;
  sfn: SFNClient;
  sns: SNSClient;
}

/** What differs between runtimes besides the clients. */
export interface RuntimeParts {
  clients: AwsClients;
  rawMail: RawMailStore;
  signingKey: () => Promise<Uint8Array>;
}

/** Fails the call that needs the state machine in a function deployed without its ARN. */
const noWorkflow = (): never => {
  throw new Error(`Invalid configuration: this function has no ${settingNames.stateMachineArn}`);
};

/**
 * Wires the adapters to the settings: the one place both composition roots (Lambda, local stack) share,
 * so that the local stack runs exactly the adapters that deploy.
 */
export function buildDeps(settings: Settings, parts: RuntimeParts): Deps {
  const { clients } = parts;
  const mailer = new SesMailer({
    from: settings.senderAddress,
    client: clients.sesv2,
    ...(settings.sesConfigurationSet ? { configurationSet: settings.sesConfigurationSet } : {}),
  });
  const notifier: Notifier = settings.alertTopicArn
    ? new SnsNotifier(settings.alertTopicArn, clients.sns)
    : new MailNotifier(mailer, (role) =>
        role === 'manager' ? settings.managerAddress : `${role}@${settings.mailDomain}`,
      );
  const workflow: WorkflowClient = settings.stateMachineArn
    ? new SfnWorkflowClient(settings.stateMachineArn, clients.sfn)
    : { start: noWorkflow, stop: noWorkflow, succeed: noWorkflow, fail: noWorkflow };
  return {
    store: new DynamoComplaintStore(settings.tableName, clients.dynamodb),
    ledger: new DynamoMailLedger(settings.tableName, clients.dynamodb),
    quarantine: new DynamoQuarantineStore(settings.tableName, clients.dynamodb),
    reports: new DynamoReportStore(settings.tableName, clients.dynamodb),
    rawMail: parts.rawMail,
    mailer,
    workflow,
    notifier,
    signingKey: parts.signingKey,
    clock: () => new Date(),
    settings,
    logger: new Logger({ serviceName: settings.serviceName, logLevel: settings.logLevel }),
  };
}
