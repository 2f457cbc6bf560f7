import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { AgentRole } from '../core/policy';
import type { Mailer } from './ports';

/** Tells a team (a tier, or the manager) that a complaint needs them. */
export interface Notifier {
  notify(role: AgentRole, subject: string, text: string): Promise<void>;
}

/**
 * AWS: one SNS topic; the `role` message attribute lets each team subscribe with a filter policy
 * (e.g. the manager's pager only for `manager`).
 */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly topicArn: string,
    private readonly sns: SNSClient = new SNSClient({}),
  ) {}

  async notify(role: AgentRole, subject: string, text: string) {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS subjects are limited to 100 printable ASCII characters.
        Subject: subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
        Message: text,
        MessageAttributes: { role: { DataType: 'String', StringValue: role } },
      }),
    );
  }
}

/** Local stack: the same notifications as mail to `<role>@<domain>` through SES, readable in the mailbox. */
export class MailNotifier implements Notifier {
  constructor(
    private readonly mailer: Mailer,
    private readonly addressOf: (role: AgentRole) => string,
  ) {}

  async notify(role: AgentRole, subject: string, text: string) {
    await this.mailer.send({
      to: [this.addressOf(role)],
      subject,
      text,
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
  }
}
