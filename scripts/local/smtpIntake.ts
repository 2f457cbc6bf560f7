import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import PostalMime, { type Address, type Email } from 'postal-mime';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { headerFields, mailboxesOf } from '../../functions/core/mail/inboundMail';
import {
  buildSesReceiptEvent,
  type SesCommonHeaders,
  type SesReceiptEvent,
  type SesVerdicts,
  sesDmarcPolicySchema,
  sesVerdictStatusSchema,
} from '../../functions/core/mail/sesReceipt';
import { crashPoint } from './crashPoints';
import {
  isTemporaryFile,
  moveDurably,
  readJsonRecords,
  removeDurably,
  unlessMissing,
  writeDurably,
} from './durableFiles';

/** The subset of a logger (console, Powertools Logger) the intake writes to. */
export interface IntakeLogger {
  info(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface SmtpIntakeOptions {
  /** Defaults to 127.0.0.1: the server takes mail without authentication. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Raw mail goes to `<rawMailDir>/<bucket>/<keyPrefix><SES messageId>`, as the S3 action would write it. */
  rawMailDir: string;
  bucket: string;
  keyPrefix: string;
  /** Domains mail is received for (the receipt rule's recipients); RCPT TO anything else gets 550. */
  recipientDomains: string[];
  /** Defaults to 40 MiB, the largest mail SES receiving accepts. */
  maxMessageBytes?: number;
  /**
   * One `<messageId>.json` per accepted mail whose `onReceived` has not succeeded yet, written before
   * the 250: what the S3 event and Lambda's async queue hold on AWS. Those left by a crash are delivered
   * again at start.
   */
  spoolDir: string;
  /**
   * Where a delivery goes once its retries are exhausted (the async invocation's dead-letter queue):
   * the spool entry plus the error. It stays there until moved back to `spoolDir` (see `redriveMail`).
   */
  deadLetterDir: string;
  /** The Lambda action: invoked asynchronously with the receipt event once the mail is stored. */
  onReceived: (event: SesReceiptEvent) => Promise<void>;
  logger?: IntakeLogger;
  /**
   * Waits before the retries of a failed `onReceived`. Lambda retries an async invocation twice, about
   * 1 and 2 minutes apart; locally the default is 5 s and 30 s, long enough for a transient fault of the
   * embedded parts (DynamoDB Local answers `InternalServerError` when a write waits too long for its
   * lock on an overloaded machine) to pass before the mail is dead-lettered.
   */
  retryDelaysMs?: number[];
}

export interface SmtpIntake {
  host: string;
  port: number;
  /**
   * Resolves when every delivery started so far (retries included, and those of mail spooled before
   * the start) has succeeded or been dead-lettered.
   */
  drain(): Promise<void>;
  /** Stops accepting connections, then waits for in-flight deliveries. */
  close(): Promise<void>;
}

export interface ReceivedEnvelope {
  messageId: string;
  receivedAt: Date;
  /** MAIL FROM; '' for the null sender. */
  source: string;
  /** RCPT TO. */
  recipients: string[];
}

const defaultMaxMessageBytes = 40 * 1024 * 1024;

/** A spooled delivery (`<spoolDir>/<messageId>.json`): the accepted mail and the event to file it with. */
export interface SpooledMail {
  messageId: string;
  /** Where the raw mail is, as the S3 action stored it. */
  rawMail: { bucket: string; key: string };
  event: SesReceiptEvent;
}

/** A dead-lettered delivery (`<deadLetterDir>/<messageId>.json`): the spool entry and why it failed. */
export interface DeadLetteredMail extends SpooledMail {
  error: string;
  attempts: number;
  deadLetteredAt: string;
}

/**
 * Local stand-in for SES receiving (receipt rule -> S3 action -> Lambda action) over real SMTP. Before
 * the client gets 250, the raw mail and a spool entry holding its receipt event are on disk (fsynced),
 * so an accepted mail is never lost: a failing `onReceived` is retried like an async Lambda invocation,
 * then dead-lettered; a crash leaves the spool entry, delivered again at the next start (the intake
 * handler is idempotent on the mail, as it must be for Lambda's at-least-once delivery).
 *
 * Local-only test headers set the verdicts SES would compute: `X-Local-Spam-Verdict`,
 * `X-Local-Virus-Verdict`, `X-Local-Spf-Verdict`, `X-Local-Dkim-Verdict`, `X-Local-Dmarc-Verdict`
 * (PASS, FAIL, GRAY, PROCESSING_FAILED, DISABLED; PASS when absent or invalid) and, for a DMARC
 * failure, `X-Local-Dmarc-Policy` (none, quarantine, reject; default none).
 */
export async function startSmtpIntake(options: SmtpIntakeOptions): Promise<SmtpIntake> {
  const host = options.host ?? '127.0.0.1';
  const maxBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  const domains = new Set(options.recipientDomains.map((d) => d.toLowerCase()));
  const logger = options.logger ?? console;
  const retryDelays = options.retryDelaysMs ?? [5_000, 30_000];
  const inFlight = new Set<Promise<void>>();
  const spoolPath = (messageId: string) => join(options.spoolDir, `${messageId}.json`);

  const deliver = async (mail: SpooledMail) => {
    const { messageId } = mail;
    for (let attempt = 0; ; attempt++) {
      try {
        await options.onReceived(mail.event);
        await removeDurably(spoolPath(messageId));
        return;
      } catch (err) {
        const delay = retryDelays[attempt];
        if (delay === undefined) {
          const deadLetter: DeadLetteredMail = {
            ...mail,
            error: String(err),
            attempts: attempt + 1,
            deadLetteredAt: new Date().toISOString(),
          };
          await writeDurably(join(options.deadLetterDir, `${messageId}.json`), JSON.stringify(deadLetter));
          await removeDurably(spoolPath(messageId));
          logger.error(
            'Inbound mail processing failed after retries; dead-lettered, the raw mail stays stored',
            {
              messageId,
              attempts: attempt + 1,
              error: String(err),
              deadLetterDir: options.deadLetterDir,
            },
          );
          return;
        }
        logger.info('Inbound mail processing failed; retrying', {
          messageId,
          attempt: attempt + 1,
          error: String(err),
        });
        await sleep(delay);
      }
    }
  };

  const track = (delivery: Promise<void>) => {
    const tracked: Promise<void> = delivery
      // Only a failing disk gets here; the spool entry stays and is delivered at the next start.
      .catch((err: unknown) => logger.error('Inbound mail delivery failed', { error: String(err) }))
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const accept = async (data: Buffer, session: SMTPServerSession): Promise<SpooledMail> => {
    const envelope: ReceivedEnvelope = {
      messageId: sesStyleMessageId(),
      receivedAt: new Date(),
      source: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients: session.envelope.rcptTo.map((r) => r.address),
    };
    const raw = Buffer.concat([traceHeaders(envelope, session), data]);
    const key = `${options.keyPrefix}${envelope.messageId}`;
    await writeDurably(join(options.rawMailDir, options.bucket, key), raw);
    const mail: SpooledMail = {
      messageId: envelope.messageId,
      rawMail: { bucket: options.bucket, key },
      event: await receiptEventFor(raw, envelope),
    };
    await writeDurably(spoolPath(mail.messageId), JSON.stringify(mail));
    return mail;
  };

  // Mail accepted before a crash (or a stop) whose delivery had not succeeded.
  const spooled = await readSpool(options.spoolDir);
  if (spooled.length > 0) logger.info('Delivering spooled inbound mail', { count: spooled.length });
  for (const mail of spooled) track(deliver(mail));

  const server = new SMTPServer({
    banner: 'Local stand-in for Amazon SES receiving',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxBytes,
    // No reverse DNS of the client: the local stack makes no outside lookups.
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      const domain = address.address.slice(address.address.lastIndexOf('@') + 1).toLowerCase();
      if (domains.has(domain)) return callback();
      callback(smtpError(550, `5.1.1 Recipient address rejected: ${domain} does not receive mail here`));
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded)
          return callback(smtpError(552, `5.3.4 Message too large: the limit is ${maxBytes} bytes`));
        accept(Buffer.concat(chunks), session).then(
          (mail) => {
            callback(null, `Ok ${mail.messageId}`);
            // Like the Lambda action (invocation type Event): after the mail is accepted, not within the reply.
            track(
              new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
                crashPoint('smtp.afterAccept');
                return deliver(mail);
              }),
            );
          },
          (err: unknown) => {
            logger.error('Could not store inbound mail', { error: String(err) });
            // 451: a temporary failure, the sending server keeps the mail and tries again.
            callback(smtpError(451, '4.3.0 Could not store the message, try again later'));
          },
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  const drain = async () => {
    while (inFlight.size > 0) await Promise.all(inFlight);
  };
  return {
    host,
    port,
    drain,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await drain();
    },
  };
}

/**
 * The SES receipt event for a stored raw mail: header list, common headers and To/Cc destination from
 * the mail, verdicts from the local test headers (see {@link startSmtpIntake}).
 */
export async function receiptEventFor(raw: Buffer, envelope: ReceivedEnvelope): Promise<SesReceiptEvent> {
  // Only the header section matters here; a mail the parser rejects still gets an event (without headers).
  const parsed: Partial<Email> = await PostalMime.parse(raw, { forceRfc822Attachments: true }).catch(
    () => ({}),
  );
  const headers = headerFields(parsed.headerLines ?? []);
  const first = (name: string) => headers.find((h) => h.name.toLowerCase() === name)?.value;

  const verdicts: Partial<SesVerdicts> = {};
  for (const check of ['spam', 'virus', 'spf', 'dkim', 'dmarc'] as const) {
    const status = sesVerdictStatusSchema.safeParse(first(`x-local-${check}-verdict`)?.toUpperCase());
    if (status.success) verdicts[check] = status.data;
  }
  const dmarcPolicy =
    verdicts.dmarc === 'FAIL'
      ? (sesDmarcPolicySchema.safeParse(first('x-local-dmarc-policy')?.toLowerCase()).data ?? 'none')
      : undefined;

  const commonHeaders: SesCommonHeaders = { returnPath: envelope.source };
  const addressHeaders = {
    from: parsed.from,
    sender: parsed.sender,
    replyTo: parsed.replyTo,
    to: parsed.to,
    cc: parsed.cc,
    bcc: parsed.bcc,
  };
  for (const [key, header] of Object.entries(addressHeaders)) {
    const list = displayAddresses(header);
    if (list.length > 0) commonHeaders[key as keyof typeof addressHeaders] = list;
  }
  const date = first('date');
  const messageId = first('message-id');
  if (date) commonHeaders.date = date;
  if (messageId) commonHeaders.messageId = messageId;
  if (parsed.subject !== undefined) commonHeaders.subject = parsed.subject;

  return buildSesReceiptEvent({
    ...envelope,
    destination: [...mailboxesOf(parsed.to), ...mailboxesOf(parsed.cc)].map((m) => m.address),
    headers,
    commonHeaders,
    verdicts,
    ...(dmarcPolicy ? { dmarcPolicy } : {}),
  });
}

// SES message ids are opaque lowercase alphanumerics (e.g. `d6iitobk75ur44p8kdnnp7g2n800`).
function sesStyleMessageId() {
  return randomUUID().replaceAll('-', '');
}

// SES prepends Return-Path (from MAIL FROM) and Received to the mail it stores: the loop guard reads an
// empty Return-Path as a bounce, so the local copy carries them too.
function traceHeaders(envelope: ReceivedEnvelope, session: SMTPServerSession): Buffer {
  const forRecipient = envelope.recipients.length === 1 ? ` for ${envelope.recipients[0]}` : '';
  const date = envelope.receivedAt.toUTCString().replace('GMT', '+0000');
  return Buffer.from(
    `Return-Path: <${envelope.source}>\r\n` +
      `Received: from ${session.clientHostname} (${session.hostNameAppearsAs} [${session.remoteAddress}])` +
      ` by inbound-smtp.local with SMTP id ${envelope.messageId}${forRecipient}; ${date}\r\n`,
  );
}

/** The spool entries in `dir`, oldest first (SES message ids are random: by receipt time). */
async function readSpool(dir: string): Promise<SpooledMail[]> {
  const entries = await readJsonRecords<SpooledMail>(dir);
  return entries.sort((a, b) =>
    (a.event.Records[0]?.ses.mail.timestamp ?? '').localeCompare(
      b.event.Records[0]?.ses.mail.timestamp ?? '',
    ),
  );
}

/** Where the local stack keeps the intake's spool and dead letters, under its data folder. */
export function intakeFolders(dataDir: string): { spoolDir: string; deadLetterDir: string } {
  return { spoolDir: join(dataDir, 'intake-spool'), deadLetterDir: join(dataDir, 'dead-letter') };
}

/**
 * Moves every dead-lettered mail in `deadLetterDir` back to `spoolDir` (an operator's redrive of the
 * dead-letter queue); the intake delivers them when it next starts. Returns the message ids moved.
 */
export async function redriveMail(deadLetterDir: string, spoolDir: string): Promise<string[]> {
  const names = await unlessMissing(readdir(deadLetterDir), []);
  const moved: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.json') && !isTemporaryFile(n))) {
    await moveDurably(join(deadLetterDir, name), join(spoolDir, name));
    moved.push(name.slice(0, -'.json'.length));
  }
  return moved;
}

// commonHeaders list each address as written, e.g. `"Doe, John" <sender@example.com>`.
function displayAddresses(header: Address | readonly Address[] | undefined): string[] {
  return mailboxesOf(header).map((a) => {
    if (!a.name) return a.address;
    // RFC 5322 atext and spaces can stay unquoted; anything else needs a quoted-string.
    const name = /^[\w !#$%&'*+\-/=?^`{|}~]+$/.test(a.name)
      ? a.name
      : `"${a.name.replace(/(["\\])/g, '\\$1')}"`;
    return `${name} <${a.address}>`;
  });
}

function smtpError(responseCode: number, message: string) {
  return Object.assign(new Error(message), { responseCode });
}
