import type { Notifier } from '../../adapters/notifier';
import { settingNames } from '../../application/settings';
import { type AdapterContext, onFirstCall } from '../awsAdapters';
import { clientConfig } from '../lambda';

/** Team notifications on the SNS topic (`ALERT_TOPIC_ARN`), in every runtime. */
export const teamNotifier = ({ settings, runtime }: AdapterContext): Notifier => {
  const { alertTopicArn } = settings;
  if (!alertTopicArn) return { notify: noTopic };
  return onFirstCall(async () =>
    (await import('../../adapters/notifier')).snsNotifierWith(alertTopicArn, clientConfig(runtime, 'sns')),
  );
};

/** Fails the notification of a function deployed without the topic's ARN. */
const noTopic = (): never => {
  throw new Error(`Invalid configuration: this function has no ${settingNames.alertTopicArn}`);
};
