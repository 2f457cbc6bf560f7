import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DiskRawMailStore, S3RawMailStore } from '../../functions/adapters/rawMailStore';
import { type SesReceiptEvent, sesReceiptEventSchema } from '../../functions/core/mail/sesReceipt';
import {
  type DeadLetteredMail,
  type IntakeLogger,
  intakeFolders,
  redriveMail,
  type SmtpIntake,
  type SmtpIntakeOptions,
  startSmtpIntake,
} from '../../scripts/local/smtpIntake';

const bucket = 'raw-mail';
const childScript = fileURLToPath(new URL('../support/smtpIntakeChild.ts', import.meta.url));
const keyPrefix = 'inbound/';
const maxMessageBytes = 64 * 1024;

let dir: string;
let intake: SmtpIntake;
let onReceived: (event: SesReceiptEvent) => Promise<void>;
let received: { event: SesReceiptEvent; storedAtCall: Buffer }[];
let errors: { message: string; extra: Record<string, unknown> }[];

const logger: IntakeLogger = {
  info: () => {},
  error: (message, extra) => errors.push({ message, extra }),
};
const rawPath = (messageId: string) => join(dir, bucket, `${keyPrefix}${messageId}`);
const storedFiles = async () =>
  existsSync(join(dir, bucket, keyPrefix)) ? readdir(join(dir, bucket, keyPrefix)) : [];

function mail(headers: string[], body = 'My parcel arrived broken.') {
  return Buffer.from([...headers, '', body, ''].join('\r\n'));
}

async function send(
  raw: Buffer,
  to = ['support@shop.example'],
  from = 'jane@customer.example',
  port = intake.port,
) {
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  try {
    return await transport.sendMail({ envelope: { from, to }, raw });
  } finally {
    transport.close();
  }
}

/** The SES message id the intake answered with (`250 Ok <id>`). */
const sesIdOf = (response: string) => /^250 Ok ([a-z0-9]+)$/.exec(response)?.[1] as string;

/** The intake's options on `dir`; `onReceived` and the logger are the test's current ones. */
const intakeOptions = (): SmtpIntakeOptions => ({
  rawMailDir: dir,
  bucket,
  keyPrefix,
  recipientDomains: ['Shop.Example'],
  maxMessageBytes,
  ...intakeFolders(dir),
  onReceived: (event) => onReceived(event),
  logger,
  retryDelaysMs: [10, 20],
});
const spooled = async () =>
  existsSync(intakeFolders(dir).spoolDir) ? readdir(intakeFolders(dir).spoolDir) : [];
const deadLettered = async () =>
  existsSync(intakeFolders(dir).deadLetterDir) ? readdir(intakeFolders(dir).deadLetterDir) : [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smtp-intake-'));
  intake = await startSmtpIntake(intakeOptions());
});

afterAll(async () => {
  await intake.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  received = [];
  errors = [];
  onReceived = async (event) => {
    const messageId = event.Records[0]?.ses.mail.messageId as string;
    received.push({ event, storedAtCall: await readFile(rawPath(messageId)) });
  };
});

describe('SMTP intake (local SES receiving)', () => {
  it('stores the raw mail before answering 250, then invokes onReceived with a valid SES receipt event', async () => {
    const raw = mail([
      'From: "Doe, Jane" <Jane@Customer.example>',
      'To: Support <support@shop.example>',
      'Cc: team@shop.example',
      'Subject: Broken parcel',
      'Message-ID: <abc-123@customer.example>',
      'Date: Mon, 5 Aug 2019 21:29:57 +0000',
    ]);
    const info = await send(raw);
    const messageId = sesIdOf(info.response);
    expect(messageId).toMatch(/^[a-z0-9]{20,32}$/);
    // 250 was only sent once the file was in place: it is there as soon as the client has its answer.
    const stored = await readFile(rawPath(messageId));
    const prefix = stored.subarray(0, stored.length - raw.length);
    expect(stored.subarray(prefix.length)).toEqual(raw);
    // Like SES, the stored copy starts with Return-Path (MAIL FROM) and a Received header, nothing else.
    expect(prefix.toString()).toMatch(
      new RegExp(
        `^Return-Path: <jane@customer\\.example>\\r\\nReceived: from .* with SMTP id ${messageId} for support@shop\\.example; .+\\r\\n$`,
      ),
    );
    expect(await new DiskRawMailStore(dir).get(bucket, `${keyPrefix}${messageId}`)).toEqual(stored);

    await intake.drain();
    expect(received).toHaveLength(1);
    const [{ event, storedAtCall }] = received as [(typeof received)[number]];
    expect(storedAtCall).toEqual(stored);
    expect(sesReceiptEventSchema.safeParse(event).success).toBe(true);
    const { mail: sesMail, receipt } = event.Records[0]?.ses ?? expect.unreachable();
    expect(sesMail).toMatchObject({
      messageId,
      source: 'jane@customer.example',
      destination: ['support@shop.example', 'team@shop.example'],
      headersTruncated: false,
      commonHeaders: {
        returnPath: 'jane@customer.example',
        from: ['"Doe, Jane" <Jane@Customer.example>'],
        to: ['Support <support@shop.example>'],
        cc: ['team@shop.example'],
        subject: 'Broken parcel',
        messageId: '<abc-123@customer.example>',
        date: 'Mon, 5 Aug 2019 21:29:57 +0000',
      },
    });
    expect(sesMail.headers.slice(0, 3).map((h) => h.name)).toEqual(['Return-Path', 'Received', 'From']);
    expect(receipt).toMatchObject({
      recipients: ['support@shop.example'],
      spamVerdict: { status: 'PASS' },
      virusVerdict: { status: 'PASS' },
      spfVerdict: { status: 'PASS' },
      dkimVerdict: { status: 'PASS' },
      dmarcVerdict: { status: 'PASS' },
      action: { type: 'Lambda', invocationType: 'Event' },
    });
    expect(receipt.dmarcPolicy).toBeUndefined();
  });

  it('keeps the null sender of a bounce as an empty Return-Path', async () => {
    const info = await send(mail(['From: MAILER-DAEMON@mx.example', 'Subject: Undelivered']), undefined, '');
    const stored = await readFile(rawPath(sesIdOf(info.response)));
    expect(stored.toString()).toMatch(/^Return-Path: <>\r\n/);
    await intake.drain();
    expect(received[0]?.event.Records[0]?.ses.mail.source).toBe('');
  });

  it('rejects recipients of domains it does not receive for with 550, storing nothing', async () => {
    const before = await storedFiles();
    const error = await send(mail(['From: a@b.example', 'Subject: x']), ['someone@elsewhere.example']).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ responseCode: 550 });
    expect(await storedFiles()).toEqual(before);
  });

  it('rejects a message over the size limit with 552, storing nothing', async () => {
    const before = await storedFiles();
    const big = mail(['From: a@b.example', 'Subject: big'], 'x'.repeat(76).concat('\r\n').repeat(1000));
    expect(big.length).toBeGreaterThan(maxMessageBytes);
    const error = await send(big).catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 552 });
    expect(String((error as Error).message)).toMatch(/too large/i);
    await intake.drain();
    expect(received).toHaveLength(0);
    expect(await storedFiles()).toEqual(before);
  });

  it('retries a failing onReceived twice with the same event, as Lambda retries an async invocation', async () => {
    const events: SesReceiptEvent[] = [];
    onReceived = async (event) => {
      events.push(event);
      if (events.length < 3) throw new Error('handler crashed');
    };
    await send(mail(['From: a@b.example', 'Subject: retry me']));
    await intake.drain();
    expect(events).toHaveLength(3);
    expect(events[2]).toEqual(events[0]);
    expect(errors).toEqual([]);
  });

  it('dead-letters the mail after three failed attempts, logs it and keeps the raw mail', async () => {
    let attempts = 0;
    onReceived = async () => {
      attempts++;
      throw new Error('still broken');
    };
    const info = await send(mail(['From: a@b.example', 'Subject: doomed']));
    const messageId = sesIdOf(info.response);
    await intake.drain();
    expect(attempts).toBe(3);
    expect(errors).toEqual([
      {
        message: expect.stringMatching(/failed after retries; dead-lettered/),
        extra: expect.objectContaining({ messageId, attempts: 3 }),
      },
    ]);
    expect(existsSync(rawPath(messageId))).toBe(true);
    expect(await spooled()).toEqual([]);
    const deadLetter = JSON.parse(
      await readFile(join(intakeFolders(dir).deadLetterDir, `${messageId}.json`), 'utf8'),
    ) as DeadLetteredMail;
    expect(deadLetter).toMatchObject({
      messageId,
      rawMail: { bucket, key: `${keyPrefix}${messageId}` },
      error: 'Error: still broken',
      attempts: 3,
    });
    expect(deadLetter.event.Records[0]?.ses.mail.messageId).toBe(messageId);
  });

  it('keeps no spool entry once onReceived has succeeded', async () => {
    await send(mail(['From: a@b.example', 'Subject: filed']));
    await intake.drain();
    expect(received).toHaveLength(1);
    expect(await spooled()).toEqual([]);
  });

  it('takes verdicts from the local test headers and truncates headers over 10 KB like SES', async () => {
    await send(
      mail([
        'From: spammer@bad.example',
        'Subject: win',
        'X-Local-Spam-Verdict: fail',
        'X-Local-Virus-Verdict: GRAY',
        'X-Local-Dmarc-Verdict: FAIL',
        'X-Local-Dmarc-Policy: reject',
        'X-Local-Spf-Verdict: nonsense',
        ...Array.from({ length: 12 }, (_, i) => `X-Pad-${i}: ${'p'.repeat(1000)}`),
      ]),
    );
    await intake.drain();
    const event = received[0]?.event ?? expect.unreachable();
    expect(sesReceiptEventSchema.safeParse(event).success).toBe(true);
    const { mail: sesMail, receipt } = event.Records[0]?.ses ?? expect.unreachable();
    expect(receipt).toMatchObject({
      spamVerdict: { status: 'FAIL' },
      virusVerdict: { status: 'GRAY' },
      spfVerdict: { status: 'PASS' },
      dmarcVerdict: { status: 'FAIL' },
      dmarcPolicy: 'reject',
    });
    expect(sesMail.headersTruncated).toBe(true);
    expect(sesMail.headers.length).toBeLessThan(19);
  });
});

describe('SMTP intake across crashes and restarts', () => {
  it('files a mail answered 250 whose intake never ran (SIGKILL right after the 250) when it starts again', async () => {
    const logFile = join(dir, 'child-filed.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', childScript], {
      env: { ...process.env, DATA_DIR: dir, LOG_FILE: logFile, LOCAL_CRASH_AT: 'smtp.afterAccept' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const port = await new Promise<number>((resolve) =>
      createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line).port)),
    );
    const info = await send(
      mail(['From: a@b.example', 'Subject: accepted, then the crash']),
      undefined,
      undefined,
      port,
    );
    const messageId = sesIdOf(info.response);
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(logFile)).toBe(false);
    expect(await spooled()).toEqual([`${messageId}.json`]);

    const restarted = await startSmtpIntake(intakeOptions());
    try {
      await restarted.drain();
    } finally {
      await restarted.close();
    }
    expect(received.map((r) => r.event.Records[0]?.ses.mail.messageId)).toEqual([messageId]);
    expect(received[0]?.event.Records[0]?.ses.mail.commonHeaders.subject).toBe('accepted, then the crash');
    expect(await spooled()).toEqual([]);
  }, 60_000);

  it('leaves dead-lettered mail alone at start until it is redriven, then files it', async () => {
    const deadBefore = await deadLettered();
    expect(deadBefore).toHaveLength(1);
    const restarted = await startSmtpIntake(intakeOptions());
    await restarted.drain();
    await restarted.close();
    expect(received).toEqual([]);

    expect(await redriveMail(intakeFolders(dir).deadLetterDir, intakeFolders(dir).spoolDir)).toEqual(
      deadBefore.map((name) => name.replace(/\.json$/, '')),
    );
    expect(await deadLettered()).toEqual([]);
    const redriven = await startSmtpIntake(intakeOptions());
    await redriven.drain();
    await redriven.close();
    expect(received.map((r) => `${r.event.Records[0]?.ses.mail.messageId}.json`)).toEqual(deadBefore);
    expect(await spooled()).toEqual([]);
  });
});

describe('SES receipt event schema', () => {
  it('accepts the Lambda action event of the SES Developer Guide', () => {
    const sample = {
      Records: [
        {
          eventSource: 'aws:ses',
          eventVersion: '1.0',
          ses: {
            mail: {
              timestamp: '2019-08-05T21:30:02.028Z',
              source: 'prvs=144d0cba7=sender@example.com',
              messageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
              destination: ['recipient@example.com'],
              headersTruncated: false,
              headers: [
                { name: 'Return-Path', value: '<prvs=144d0cba7=sender@example.com>' },
                { name: 'Precedence', value: 'Bulk' },
              ],
              commonHeaders: {
                returnPath: 'prvs=144d0cba7=sender@example.com',
                from: ['"Doe, John" <sender@example.com>'],
                date: 'Mon, 5 Aug 2019 21:29:57 +0000',
                to: ['"recipient@example.com" <recipient@example.com>'],
                messageId: '<F8098FDD-49A3-442D-9935-F6112B195BDA@example.com>',
                subject: 'This is a test',
              },
            },
            receipt: {
              timestamp: '2019-08-05T21:30:02.028Z',
              processingTimeMillis: 1205,
              recipients: ['recipient@example.com'],
              spamVerdict: { status: 'PASS' },
              virusVerdict: { status: 'PASS' },
              spfVerdict: { status: 'PASS' },
              dkimVerdict: { status: 'PASS' },
              dmarcVerdict: { status: 'GRAY' },
              action: {
                type: 'Lambda',
                functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:IncomingEmail',
                invocationType: 'Event',
              },
            },
          },
        },
      ],
    };
    expect(sesReceiptEventSchema.parse(sample)).toEqual(sample);
    const s3Action = structuredClone(sample);
    Object.assign(s3Action.Records[0]?.ses.receipt ?? {}, {
      action: { type: 'S3', bucketName: 'b', objectKey: 'k' },
    });
    expect(sesReceiptEventSchema.safeParse(s3Action).success).toBe(false);
  });
});

describe('raw mail stores', () => {
  let s3: Server;
  let objects: Map<string, Buffer>;

  beforeAll(async () => {
    objects = new Map();
    // Just enough of S3's path-style GetObject to run the real SDK client against it.
    s3 = createServer((req, res) => {
      const body = objects.get(decodeURIComponent(req.url?.split('?')[0] ?? ''));
      if (req.method === 'GET' && body)
        return res.writeHead(200, { 'content-length': body.length }).end(body);
      res
        .writeHead(404, { 'content-type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>none</Message></Error>',
        );
    });
    await new Promise<void>((resolve) => s3.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => s3.close(() => resolve())));

  it('S3RawMailStore reads the object and maps a missing key to NotFoundError', async () => {
    const raw = mail(['From: a@b.example', 'Subject: in S3']);
    objects.set(`/${bucket}/${keyPrefix}abc123`, raw);
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${(s3.address() as AddressInfo).port}`,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const store = new S3RawMailStore(client);
    expect(await store.get(bucket, `${keyPrefix}abc123`)).toEqual(raw);
    await expect(store.get(bucket, `${keyPrefix}missing`)).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('DiskRawMailStore reports a missing key or a path outside its folder as NotFoundError', async () => {
    const store = new DiskRawMailStore(dir);
    await expect(store.get(bucket, `${keyPrefix}missing`)).rejects.toMatchObject({ name: 'NotFoundError' });
    await expect(store.get(bucket, '../../etc/passwd')).rejects.toMatchObject({ name: 'NotFoundError' });
  });
});
