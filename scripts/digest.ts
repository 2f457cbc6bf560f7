import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalEndpoints } from './local/localStack';

/**
 * `npm run digest`: the weekly insights digest of the running local stack, mailed through the local SES
 * (open the mailbox URL to read it) to `DIGEST_RECIPIENTS` (default product@ and business@ the mail
 * domain); `--now <ISO time>` picks the week (default: the week that ended last). Writes the HTML to
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
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
  AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb.endpoint,
  AWS_ENDPOINT_URL_SESV2: endpoints.mailbox.url,
  TABLE_NAME: 'Complaints',
  SUPPORT_ADDRESS: endpoints.supportAddress,
  SENDER_ADDRESS: endpoints.supportAddress,
  MAIL_DOMAIN: domain,
  DIGEST_RECIPIENTS: process.env.DIGEST_RECIPIENTS ?? `product@${domain},business@${domain}`,
});
const nowArg = process.argv.indexOf('--now');
const now = nowArg > 0 ? new Date(process.argv[nowArg + 1] as string) : new Date();
const [{ sendWeeklyDigest }, { DynamoReportStore }, { SesMailer }] = await Promise.all([
  import('../functions/application/insights/weeklyDigest'),
  import('../functions/adapters/reportStore'),
  import('../functions/adapters/mailer'),
]);
const recipients = (process.env.DIGEST_RECIPIENTS as string).split(',');
const sent = await sendWeeklyDigest(
  {
    reports: new DynamoReportStore('Complaints'),
    mailer: new SesMailer({ from: endpoints.supportAddress }),
    recipients,
  },
  now,
);
await writeFile(join(dataDir, 'digest.html'), sent.html);
console.log(
  `${sent.subject}: mailed to ${recipients.join(', ')} (see ${endpoints.mailbox.url}); HTML in ${join(dataDir, 'digest.html')}`,
);
console.log(`\n${sent.text}`);
