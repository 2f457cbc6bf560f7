import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../functions/adapters/mailer';
import { DynamoMailLedger } from '../functions/adapters/mailLedger';
import { DynamoReportStore } from '../functions/adapters/reportStore';
import { OutboundMailInFlightError } from '../functions/application/customerMail';
import { type DigestRun, sendWeeklyDigest } from '../functions/application/insights/weeklyDigest';
import { sendLeaseSeconds } from '../functions/application/settings';
import { localAwsConfig } from './local/localAws';
import type { LocalEndpoints } from './local/localStack';

/**
 * `npm run digest`: the weekly insights digest of the running local stack (the use case the scheduled
 * function runs), mailed through the local SES (open the mailbox URL to read it) to `DIGEST_RECIPIENTS`
 * (default product@ and business@ the mail domain); `--now <ISO time>` picks the week (default: the
 * week that ended last). Once per week: a second run finds it sent and mails nothing; a run that finds
 * another run's send lease (one killed mid-send) waits until it can take it over. Writes the HTML to
 * `<data dir>/digest.html` too.
 */
const dataDir = process.env.COMPLAINTS_DATA_DIR ?? '.local';
let endpoints: LocalEndpoints;
try {
  endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
} catch {
  console.error(`No ${dataDir}/endpoints.json: start the local stack first with \`npm start\`.`);
  process.exit(1);
}
const domain = endpoints.supportAddress.split('@')[1];
const recipients = (process.env.DIGEST_RECIPIENTS ?? `product@${domain},business@${domain}`).split(',');
const nowArg = process.argv.indexOf('--now');
const now = nowArg > 0 ? new Date(process.argv[nowArg + 1] as string) : new Date();
const dynamodb = new DynamoDBClient(localAwsConfig(endpoints.dynamodb.endpoint));
const deps = {
  reports: new DynamoReportStore('Complaints', dynamodb),
  ledger: new DynamoMailLedger('Complaints', dynamodb),
  sendLeaseSeconds,
  mailer: new SesMailer({
    from: endpoints.supportAddress,
    client: new SESv2Client(localAwsConfig(endpoints.mailbox.url)),
  }),
  recipients,
};
let run: DigestRun | undefined;
for (const deadline = Date.now() + (sendLeaseSeconds + 15) * 1000; !run; ) {
  try {
    run = await sendWeeklyDigest(deps, now);
  } catch (e) {
    if (!(e instanceof OutboundMailInFlightError) || Date.now() > deadline) throw e;
    console.log(`${e.message}: waiting for its lease to end…`);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}
await writeFile(join(dataDir, 'digest.html'), run.html);
console.log(
  run.status === 'sent'
    ? `${run.subject}: mailed to ${recipients.join(', ')} (see ${endpoints.mailbox.url}); HTML in ${join(dataDir, 'digest.html')}`
    : `${run.subject}: sent already (SES message ${run.sesMessageId}), not mailed again; HTML in ${join(dataDir, 'digest.html')}`,
);
console.log(`\n${run.text}`);
