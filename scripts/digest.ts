import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../functions/adapters/mailer';
import { DynamoReportStore } from '../functions/adapters/reportStore';
import { sendWeeklyDigest } from '../functions/application/insights/weeklyDigest';
import { localAwsConfig } from './local/localAws';
import type { LocalEndpoints } from './local/localStack';

/**
 * `npm run digest`: the weekly insights digest of the running local stack (the use case the scheduled
 * function runs), mailed through the local SES (open the mailbox URL to read it) to `DIGEST_RECIPIENTS`
 * (default product@ and business@ the mail domain); `--now <ISO time>` picks the week (default: the
 * week that ended last). Writes the HTML to `<data dir>/digest.html` too.
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
const sent = await sendWeeklyDigest(
  {
    reports: new DynamoReportStore(
      'Complaints',
      new DynamoDBClient(localAwsConfig(endpoints.dynamodb.endpoint)),
    ),
    mailer: new SesMailer({
      from: endpoints.supportAddress,
      client: new SESv2Client(localAwsConfig(endpoints.mailbox.url)),
    }),
    recipients,
  },
  now,
);
await writeFile(join(dataDir, 'digest.html'), sent.html);
console.log(
  `${sent.subject}: mailed to ${recipients.join(', ')} (see ${endpoints.mailbox.url}); HTML in ${join(dataDir, 'digest.html')}`,
);
console.log(`\n${sent.text}`);
