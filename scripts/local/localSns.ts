import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type AsyncInvocations, type InvocationLogger, startAsyncInvocations } from './asyncInvocations';
import { listenLocally } from './httpEndpoint';
import { localAwsConfig, localRegion } from './localAws';

/** An email subscription of a topic, and the filter policy on its message attributes. */
export interface LocalSubscription {
  address: string;
  /**
   * Attribute name → the string values accepted (SNS's exact-match allowlist, the only filter the stack
   * configures); a message passes when every named attribute is present with one of its values.
   */
  filterPolicy?: Record<string, string[]>;
}

export interface LocalSnsOptions {
  /** Topic name → its email subscriptions. */
  topics: Record<string, LocalSubscription[]>;
  account: string;
  /** Where email deliveries are sent: the local SES endpoint, whose mailbox then holds them. */
  sesEndpoint: string;
  /** Deliveries not yet sent (`<dataDir>/sns-deliveries`), and those that failed for good. */
  spoolDir: string;
  deadLetterDir: string;
  /** Waits between delivery attempts (default 5 s, 30 s, as the other local queues). */
  retryDelaysMs?: number[];
  logger?: InvocationLogger;
  host: string;
  port: number;
}

export interface LocalSns {
  endpoint: string;
  /** The ARN of each topic, by name. */
  topicArns: Record<string, string>;
  /** Resolves when every delivery accepted so far has been sent or dead-lettered. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** One notification to one email subscriber: what is spooled between Publish and delivery. */
interface EmailDelivery {
  messageId: string;
  topicArn: string;
  subscriptionArn: string;
  address: string;
  subject?: string;
  message: string;
}

/** SNS's limit for a published message (and its attributes). */
const maxMessageBytes = 256 * 1024;
/** The sender and the subject of SNS's email deliveries. */
const snsSender = 'AWS Notifications <no-reply@sns.amazonaws.com>';
const defaultSubject = 'AWS Notification Message';
const xmlns = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** An SNS API error: the SDK builds its exception class from the `Code` of the XML error. */
class SnsApiError extends Error {
  override readonly name = 'SnsApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * SNS's `Publish` (AWS Query protocol: a form-encoded POST, answered in XML, as `@aws-sdk/client-sns`
 * speaks it) for the topics given, each with its email subscriptions and their filter policies. A
 * Publish is answered 200 only once a delivery for every matching subscription is written (fsynced) to
 * the spool; the delivery then sends SNS's email to the subscribed address through the local SES (so it
 * lands in the mailbox), with retries and a dead-letter folder; deliveries a crash left behind go at the
 * next start. As on AWS, an email may arrive twice (a Publish retried after its answer was lost), never
 * not at all once answered.
 */
export async function startLocalSns(options: LocalSnsOptions): Promise<LocalSns> {
  const arnOf = (name: string) => `arn:aws:sns:${localRegion}:${options.account}:${name}`;
  const topics = new Map(
    Object.entries(options.topics).map(([name, subscriptions]) => {
      for (const s of subscriptions) checkFilterPolicy(s.filterPolicy);
      return [arnOf(name), subscriptions] as const;
    }),
  );
  const ses = new SESv2Client(localAwsConfig(options.sesEndpoint));
  const deliveries: AsyncInvocations<EmailDelivery> = await startAsyncInvocations({
    name: 'snsEmail',
    spoolDir: options.spoolDir,
    deadLetterDir: options.deadLetterDir,
    handler: (delivery) => sendEmail(ses, delivery),
    ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  const publish = async (form: URLSearchParams): Promise<string> => {
    const topicArn = form.get('TopicArn') ?? form.get('TargetArn');
    const message = form.get('Message');
    if (!topicArn) throw new SnsApiError(400, 'InvalidParameter', 'Invalid parameter: TopicArn');
    if (!message) throw new SnsApiError(400, 'InvalidParameter', 'Invalid parameter: Empty message');
    if (Buffer.byteLength(message) > maxMessageBytes) {
      throw new SnsApiError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    const subject = form.get('Subject') ?? undefined;
    if (subject !== undefined && !/^[\x20-\x7e]{1,100}$/.test(subject)) {
      throw new SnsApiError(400, 'InvalidParameter', 'Invalid parameter: Subject');
    }
    const subscriptions = topics.get(topicArn);
    if (!subscriptions) throw new SnsApiError(404, 'NotFound', 'Topic does not exist');
    const attributes = messageAttributes(form);
    const messageId = randomUUID();
    for (const [i, subscription] of subscriptions.entries()) {
      if (!matches(subscription.filterPolicy, attributes)) continue;
      const subscriptionArn = `${topicArn}:${subscriptionIdOf(topicArn, i)}`;
      await deliveries.invoke(`${messageId}-${i}`, {
        messageId,
        topicArn,
        subscriptionArn,
        address: subscription.address,
        ...(subject ? { subject } : {}),
        message,
      });
    }
    return messageId;
  };

  const server = createServer(async (request, response) => {
    const requestId = randomUUID();
    try {
      if (request.method !== 'POST') throw new SnsApiError(400, 'InvalidAction', 'Only POST is served');
      const form = new URLSearchParams(await readBody(request));
      const action = form.get('Action');
      if (action !== 'Publish') {
        throw new SnsApiError(
          400,
          'InvalidAction',
          `Action ${action} is not emulated locally (only Publish)`,
        );
      }
      const messageId = await publish(form);
      answer(
        response,
        200,
        `<PublishResponse xmlns="${xmlns}"><PublishResult><MessageId>${messageId}</MessageId></PublishResult>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
        requestId,
      );
    } catch (error) {
      const known = error instanceof SnsApiError;
      if (!known) console.error('Local SNS failed a request', { error: String(error) });
      answer(
        response,
        known ? error.status : 500,
        `<ErrorResponse xmlns="${xmlns}"><Error><Type>${known && error.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
          `<Code>${known ? error.code : 'InternalError'}</Code><Message>${escapeXml(String((error as Error).message))}</Message>` +
          `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        requestId,
      );
    }
  });
  const http = await listenLocally(server, options.port, options.host);
  return {
    endpoint: http.endpoint,
    topicArns: Object.fromEntries(Object.keys(options.topics).map((name) => [name, arnOf(name)])),
    drain: () => deliveries.drain(),
    async close() {
      await http.close();
      await deliveries.drain();
      ses.destroy();
    },
  };
}

/** SNS's email delivery: the subject published (or SNS's default), the message and SNS's footer. */
async function sendEmail(ses: SESv2Client, delivery: EmailDelivery) {
  const unsubscribe = `https://sns.${localRegion}.amazonaws.com/unsubscribe.html?SubscriptionArn=${encodeURIComponent(delivery.subscriptionArn)}&Endpoint=${encodeURIComponent(delivery.address)}`;
  const text = `${delivery.message}\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n${unsubscribe}\n\nPlease do not reply directly to this email. If you have any questions or comments regarding this email, please contact us at https://aws.amazon.com/support\n`;
  await ses.send(
    new SendEmailCommand({
      FromEmailAddress: snsSender,
      Destination: { ToAddresses: [delivery.address] },
      Content: {
        Simple: {
          Subject: { Data: delivery.subject ?? defaultSubject },
          Body: { Text: { Data: text } },
          Headers: [{ Name: 'X-Amz-Sns-Message-Id', Value: delivery.messageId }],
        },
      },
    }),
  );
}

/** The String attributes of a Publish: `MessageAttributes.entry.<n>.Name` / `.Value.StringValue`. */
function messageAttributes(form: URLSearchParams): Map<string, string> {
  const attributes = new Map<string, string>();
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    const name = form.get(`${prefix}.Name`) as string;
    const type = form.get(`${prefix}.Value.DataType`);
    const value = form.get(`${prefix}.Value.StringValue`);
    if (!type || value === null) {
      throw new SnsApiError(400, 'ParameterValueInvalid', `The message attribute '${name}' has no value`);
    }
    if (type === 'String') attributes.set(name, value);
  }
  return attributes;
}

function matches(policy: Record<string, string[]> | undefined, attributes: Map<string, string>) {
  if (!policy) return true;
  return Object.entries(policy).every(([name, allowed]) => {
    const value = attributes.get(name);
    return value !== undefined && allowed.includes(value);
  });
}

/** Refuses a filter policy this emulation would not evaluate as SNS does (anything but an allowlist). */
function checkFilterPolicy(policy: Record<string, unknown> | undefined) {
  for (const [name, rule] of Object.entries(policy ?? {})) {
    if (!Array.isArray(rule) || !rule.every((v) => typeof v === 'string')) {
      throw new Error(`Filter policy on ${name}: only string allowlists are emulated locally`);
    }
  }
}

/** A stable subscription id per topic and position (SNS's are UUIDs, fixed at subscription). */
function subscriptionIdOf(topicArn: string, index: number) {
  const hex = createHash('sha256').update(`${topicArn}#${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    // The form encoding at most triples the message; past that the message cannot be within the limit.
    if (size > 3 * maxMessageBytes + 64 * 1024) {
      throw new SnsApiError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function answer(response: ServerResponse, status: number, xml: string, requestId: string) {
  response.writeHead(status, {
    'Content-Type': 'text/xml',
    'Content-Length': Buffer.byteLength(xml),
    'x-amzn-RequestId': requestId,
  });
  response.end(xml);
}

function escapeXml(text: string) {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string,
  );
}
