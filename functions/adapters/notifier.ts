import { PublishCommand, SNSClient, type SNSClientConfig } from '@aws-sdk/client-sns';
import type { AgentRole } from '../core/policy';
import { withoutCommandLog } from './sdkClient';

/** Tells a team (a tier, or the manager) that a complaint needs them. */
export interface Notifier {
  notify(role: AgentRole, subject: string, text: string): Promise<void>;
}

/** The message attribute naming the team a notification is for: subscriptions filter on it. */
export const roleAttribute = 'role';

/**
 * One SNS topic for every team; the `role` message attribute lets each subscriber take only its teams'
 * notifications with a filter policy (e.g. the manager's address only for `manager`).
 */
/** A notifier with an SNS client of its own (what the composition roots import on the first alert). */
export const snsNotifierWith = (topicArn: string, config: SNSClientConfig) =>
  new SnsNotifier(topicArn, withoutCommandLog(new SNSClient(config)));

export class SnsNotifier implements Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly sns: SNSClient,
  ) {}

  async notify(role: AgentRole, subject: string, text: string) {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS subjects are limited to 100 printable ASCII characters.
        Subject: subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
        Message: text,
        MessageAttributes: { [roleAttribute]: { DataType: 'String', StringValue: role } },
      }),
    );
  }
}
