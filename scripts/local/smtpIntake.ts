import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
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
  /** The Lambda action: invoked asynchronously with the receipt event once the mail is stored. */
  onReceived: (event: SesReceiptEvent) => Promise<void>;
  logger?: IntakeLogger;
  /**
   * Waits before the retries of a failed `onReceived`. Lambda retries an async invocation twice, about
   * 1 and 2 minutes apart; locally the default is 1 s and 2 s.
   */
  retryDelaysMs?: number[];
}

export interface SmtpIntake {
  host: string;
  port: number;
  /** Resolves when every `onReceived` started so far (retries included) has finished. */
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

/**
 * Local stand-in for SES receiving (receipt rule -> S3 action -> Lambda action) over real SMTP. The raw
 * mail is on disk (fsynced) before the client gets 250, so an accepted mail is never lost; a failing
 * `onReceived` is retried like an async Lambda invocation and then logged, the raw mail staying on disk.
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
  const retryDelays = options.retryDelaysMs ?? [1_000, 2_000];
  const inFlight = new Set<Promise<void>>();

  const deliver = async (event: SesReceiptEvent) => {
    const messageId = event.Records[0]?.ses.mail.messageId;
    for (let attempt = 0; ; attempt++) {
      try {
        await options.onReceived(event);
        return;
      } catch (err) {
        const delay = retryDelays[attempt];
        if (delay === undefined) {
          logger.error('Inbound mail processing failed after retries; the raw mail stays stored', {
            messageId,
            attempts: attempt + 1,
            error: String(err),
          });
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

  const accept = async (data: Buffer, session: SMTPServerSession) => {
    const envelope: ReceivedEnvelope = {
      messageId: sesStyleMessageId(),
      receivedAt: new Date(),
      source: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
      recipients: session.envelope.rcptTo.map((r) => r.address),
    };
    const raw = Buffer.concat([traceHeaders(envelope, session), data]);
    await writeDurably(
      join(options.rawMailDir, options.bucket, `${options.keyPrefix}${envelope.messageId}`),
      raw,
    );
    // Like the Lambda action (invocation type Event): after the mail is accepted, not within the SMTP reply.
    const delivery = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => receiptEventFor(raw, envelope))
      .then(deliver)
      .catch((err: unknown) =>
        logger.error('Could not build the receipt event; the raw mail stays stored', {
          messageId: envelope.messageId,
          error: String(err),
        }),
      )
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
    return envelope.messageId;
  };

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
          (id) => callback(null, `Ok ${id}`),
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
  // Only the header section matters here; a mail mailparser rejects still gets an event (without headers).
  const parsed: Partial<ParsedMail> = await simpleParser(raw, {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
    keepCidLinks: true,
    checksumAlgo: false,
  }).catch(() => ({}));
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
    sender: parsed.headers?.get('sender') as AddressObject | undefined,
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

async function writeDurably(path: string, data: Buffer) {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomUUID()}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  // The rename is durable only once the directory entry is flushed too.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

// commonHeaders list each address as written, e.g. `"Doe, John" <sender@example.com>`.
function displayAddresses(header: AddressObject | AddressObject[] | undefined): string[] {
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
