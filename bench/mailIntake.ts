import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SendMailOptions } from 'nodemailer';
import type { LocalStack } from '../scripts/local/localStack';
import { executionNames, mailbox } from '../scripts/local/localStackClient';
import { corpusManifest, renderCorpusMessage } from '../test/support/mailCorpus';
import type { Figure } from './report';
import { sendPooled } from './smtpLoad';

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** A corpus message made distinct: its own Message-ID (or, without one, a sequence header). */
function distinct(raw: Buffer, id: string): Buffer {
  const text = raw.toString('latin1');
  const replaced = text.replace(/^Message-ID:[^\r\n]*(\r\n[ \t][^\r\n]*)*/im, `Message-ID: <${id}>`);
  return Buffer.from(replaced === text ? `X-Bench-Id: ${id}\r\n${text}` : replaced, 'latin1');
}

/**
 * SMTP intake throughput on the corpus mix: `count` messages drawn in turn from test/fixtures/mail (new
 * complaints, replies, auto-replies, bounces, quarantined and malformed mail), each with a distinct
 * Message-ID, timed until intake has filed every one. Placeholders of replies and bounces point at
 * mail this run never sent, so those become new complaints or quarantined bounces, as they would.
 */
export async function measureCorpusIntake(
  stack: LocalStack,
  count = 500,
  connections = 5,
): Promise<Figure[]> {
  const corpus = corpusManifest();
  const runId = Date.now().toString(36);
  const placeholder = () => ({
    complaintId: '',
    reference: 'CMP-000000',
    token: 'none',
    ackSesMessageId: `ses-${runId}`,
  });
  const deliveries = Array.from({ length: count }, (_, i): SendMailOptions => {
    const message = corpus[i % corpus.length] as (typeof corpus)[number];
    const raw = distinct(
      renderCorpusMessage(message.file, placeholder),
      `corpus-${runId}-${i}@bench.example`,
    );
    const from =
      message.envelopeFrom ??
      /^From:.*?<?([^\s<>]+@[^\s<>]+)>?\s*$/im.exec(raw.toString('latin1'))?.[1] ??
      '';
    return { envelope: { from, to: [stack.endpoints.supportAddress] }, raw };
  });
  const started = performance.now();
  await sendPooled(stack, deliveries, connections);
  await stack.drainIntake();
  const seconds = (performance.now() - started) / 1000;
  return [
    {
      benchmark: 'mail intake (corpus mix)',
      metric: 'messages/s (SMTP -> filed: complaint + ack + execution, reply, bounce or quarantine)',
      value: count / seconds,
      unit: 'msg/s',
      conditions: `${count} mails cycling through ${corpus.length} corpus messages, ${connections} SMTP connections`,
    },
  ];
}

/**
 * Exactly-once under redelivery: `count` distinct customer mails, each delivered `copies` times (the
 * copies go out back to back on parallel connections, so they race in intake). Counts what came out:
 * complaints, acknowledgements and executions must each equal `count`.
 */
export async function measureDuplicateDelivery(
  stack: LocalStack,
  count = 1000,
  copies = 5,
  connections = 5,
): Promise<Figure[]> {
  const domain = `dup-${Date.now().toString(36)}.bench.example`;
  const deliveries: SendMailOptions[] = [];
  for (let i = 0; i < count; i++) {
    const from = `customer${i}@${domain}`;
    const raw = Buffer.from(
      [
        `From: Customer ${i} <${from}>`,
        `To: ${stack.endpoints.supportAddress}`,
        `Subject: Order ${i} arrived damaged`,
        `Message-ID: <dup-${i}@${domain}>`,
        'Date: Tue, 24 Nov 2026 10:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        `My order ${i} arrived with a broken lid.`,
        '',
      ].join('\r\n'),
    );
    for (let c = 0; c < copies; c++)
      deliveries.push({ envelope: { from, to: [stack.endpoints.supportAddress] }, raw });
  }
  const started = performance.now();
  await sendPooled(stack, deliveries, connections);
  await stack.drainIntake();
  const seconds = (performance.now() - started) / 1000;

  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.endpoints.dynamodb.endpoint, ...local }),
  );
  const complaintIds = new Set<string>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: 'Complaints',
        FilterExpression: 'entity = :complaint AND contains(customerEmail, :domain)',
        ExpressionAttributeValues: { ':complaint': 'complaint', ':domain': domain },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) complaintIds.add(item.id as string);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  // The acknowledgement is the first step of each execution: count once they have gone out (or stalled).
  const countAcks = async () =>
    (await mailbox(stack.endpoints.mailbox.url)).filter((m) =>
      m.destination.to.some((to) => to.endsWith(`@${domain}`)),
    ).length;
  let acks = await countAcks();
  for (let waited = 0; acks < complaintIds.size && waited < 120; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    acks = await countAcks();
  }
  const executions = (await executionNames(stack.endpoints)).filter((name) => complaintIds.has(name)).length;

  const conditions = `${count} mails x ${copies} SMTP deliveries, ${connections} connections, ${seconds.toFixed(1)} s`;
  return [
    {
      benchmark: 'duplicate delivery',
      metric: 'complaints created',
      value: complaintIds.size,
      unit: 'count',
      conditions,
    },
    {
      benchmark: 'duplicate delivery',
      metric: 'acknowledgements sent',
      value: acks,
      unit: 'count',
      conditions,
    },
    {
      benchmark: 'duplicate delivery',
      metric: 'executions started',
      value: executions,
      unit: 'count',
      conditions,
    },
    {
      benchmark: 'duplicate delivery',
      metric: 'deliveries/s',
      value: deliveries.length / seconds,
      unit: 'msg/s',
      conditions,
    },
  ];
}
