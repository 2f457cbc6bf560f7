import { DynamoComplaintStore } from '../adapters/complaintStore';
import { SesMailer } from '../adapters/mailer';
import { MailNotifier, type Notifier, SnsNotifier } from '../adapters/notifier';
import type { ComplaintStore, Mailer, WorkflowClient } from '../adapters/ports';
import { SfnWorkflowClient } from '../adapters/workflowClient';
import { config, required } from './config';

/**
 * The adapters a handler uses, built once per cold start from the validated configuration. The AWS SDK
 * clients read `AWS_ENDPOINT_URL_<SERVICE>`, which is how the local stack points them at embedded servers.
 */
export interface Services {
  store: ComplaintStore;
  mailer: Mailer;
  workflow: WorkflowClient;
  notifier: Notifier;
}

let services: Services | undefined;

export function getServices(): Services {
  if (services) return services;
  const cfg = config();
  let workflow: WorkflowClient | undefined;
  const mailer = new SesMailer({
    from: cfg.senderAddress,
    ...(cfg.sesConfigurationSet ? { configurationSet: cfg.sesConfigurationSet } : {}),
  });
  services = {
    store: new DynamoComplaintStore(cfg.tableName),
    mailer,
    notifier: cfg.alertTopicArn
      ? new SnsNotifier(cfg.alertTopicArn)
      : new MailNotifier(mailer, (role) =>
          role === 'manager' ? cfg.managerAddress : `${role}@${cfg.mailDomain}`,
        ),
    // Only the handlers that start or complete executions need the state machine ARN.
    get workflow() {
      workflow ??= new SfnWorkflowClient(required(cfg.stateMachineArn, 'STATE_MACHINE_ARN'));
      return workflow;
    },
  };
  return services;
}
