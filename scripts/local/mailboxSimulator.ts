import { randomUUID } from 'node:crypto';
import type { SNSEvent } from 'aws-lambda';

/** A mail the local SES accepted (SES v2 SendEmail), as far as its events need it. */
export interface LocalSend {
  messageId: string;
  at: Date;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  headers: { name: string; value: string }[];
  configurationSet?: string;
  tags: Record<string, string>;
}

const simulatorDomain = 'simulator.amazonses.com';
const account = '000000000000';
const region = 'us-east-1';
const reportingMta = 'dsn; a8-70.smtp-out.amazonses.com';

/** What SES's mailbox simulator does with a mail to each of its addresses (labels `+x` included). */
type Scenario = 'success' | 'bounce' | 'ooto' | 'complaint' | 'suppressionlist';
const scenarios: readonly Scenario[] = ['success', 'bounce', 'ooto', 'complaint', 'suppressionlist'];

function scenarioOf(address: string): Scenario | undefined {
  const bare = address
    .replace(/^.*<([^>]*)>.*$/, '$1')
    .trim()
    .toLowerCase();
  const [local = '', domain] = bare.split('@');
  const scenario = local.split('+')[0] as Scenario;
  return domain === simulatorDomain && scenarios.includes(scenario) ? scenario : undefined;
}

/** Whether a recipient is one of the mailbox simulator's addresses. */
export const isSimulatorAddress = (address: string) => scenarioOf(address) !== undefined;

/**
 * The event records SES publishes for a mail to mailbox simulator addresses through a configuration set
 * with an event destination (the bodies of the SNS notifications, as in the SES developer guide's
 * examples): `success` and `ooto` are delivered, `complaint` is delivered and then marked as spam,
 * `bounce` bounces for good (550 5.1.1 user unknown), `suppressionlist` bounces as an address on the
 * suppression list. Other recipients produce nothing here (the local mailbox keeps their mail).
 */
export function mailboxSimulatorEvents(send: LocalSend): Record<string, unknown>[] {
  const recipients = [...send.to, ...send.cc, ...send.bcc];
  const fromDomain = send.from.replace(/^.*@/, '').replace(/>.*$/, '');
  const tags: Record<string, string[]> = {
    ...(send.configurationSet ? { 'ses:configuration-set': [send.configurationSet] } : {}),
    'ses:source-ip': ['127.0.0.1'],
    'ses:from-domain': [fromDomain],
    'ses:caller-identity': ['local'],
    ...Object.fromEntries(Object.entries(send.tags).map(([name, value]) => [name, [value]])),
  };
  const mail = {
    timestamp: send.at.toISOString(),
    source: send.from,
    sourceArn: `arn:aws:ses:${region}:${account}:identity/${fromDomain}`,
    sendingAccountId: account,
    messageId: send.messageId,
    destination: recipients,
    headersTruncated: false,
    headers: send.headers,
    commonHeaders: {
      from: [send.from],
      to: send.to,
      messageId: send.messageId,
      subject: send.subject,
    },
    tags,
  };
  // SES reports within a second or so of the send; every event gets its own later time.
  let offset = 0;
  const later = () => new Date(send.at.getTime() + 100 * ++offset).toISOString();
  const feedbackId = () => `${randomUUID()}-000000`;
  const delivery = (recipient: string) => ({
    eventType: 'Delivery',
    mail,
    delivery: {
      timestamp: later(),
      processingTimeMillis: 100 * offset,
      recipients: [recipient],
      smtpResponse: '250 2.6.0 Message received',
      reportingMTA: 'a8-70.smtp-out.amazonses.com',
      remoteMtaIp: '127.0.0.1',
    },
  });
  const bounce = (recipient: string, subType: string, status: string, diagnosticCode: string) => ({
    eventType: 'Bounce',
    mail,
    bounce: {
      bounceType: 'Permanent',
      bounceSubType: subType,
      bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status, diagnosticCode }],
      timestamp: later(),
      feedbackId: feedbackId(),
      reportingMTA: reportingMta,
    },
  });
  return recipients.flatMap((recipient): Record<string, unknown>[] => {
    switch (scenarioOf(recipient)) {
      case 'success':
      case 'ooto':
        return [delivery(recipient)];
      case 'bounce':
        return [bounce(recipient, 'General', '5.1.1', 'smtp; 550 5.1.1 user unknown')];
      case 'suppressionlist':
        return [
          bounce(
            recipient,
            'Suppressed',
            '5.1.1',
            'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.',
          ),
        ];
      case 'complaint':
        return [
          delivery(recipient),
          {
            eventType: 'Complaint',
            mail,
            complaint: {
              complainedRecipients: [{ emailAddress: recipient }],
              timestamp: later(),
              feedbackId: feedbackId(),
              userAgent: 'Amazon SES Mailbox Simulator',
              complaintFeedbackType: 'abuse',
              arrivalDate: send.at.toISOString(),
            },
          },
        ];
      default:
        return [];
    }
  });
}

/** The Lambda event of an SNS subscription delivering one notification, as SNS invokes a function. */
export function snsNotificationEvent(topicArn: string, message: string, at: Date): SNSEvent {
  const messageId = randomUUID();
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: messageId,
          TopicArn: topicArn,
          Message: message,
          Timestamp: at.toISOString(),
          SignatureVersion: '1',
          // Nothing signs local notifications; handlers invoked by SNS do not check signatures.
          Signature: '',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}
