import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { LocalEndpoints } from './local/localStack';
import { api, sendMail, waitFor, waitForMail } from './local/localStackClient';

/**
 * `npm run demo`: drives one complaint from a customer's email to its resolution against a running
 * `npm start`, printing each step. Uses only the public interfaces: SMTP, the mailbox, the agent API.
 */
const dataDir = process.env.COMPLAINTS_DATA_DIR ?? '.local';
let endpoints: LocalEndpoints;
try {
  endpoints = JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8'));
} catch {
  console.error(`No ${dataDir}/endpoints.json: start the local stack first with \`npm start\`.`);
  process.exit(1);
}

const step = (n: number, text: string) => console.log(`\n${n}. ${text}`);
const customer = `demo.${Date.now().toString(36)}@example.org`;
const { tier1 } = endpoints.tokens;

step(
  1,
  `Customer ${customer} emails ${endpoints.supportAddress} over SMTP (${endpoints.smtp.host}:${endpoints.smtp.port})`,
);
await sendMail(endpoints, {
  from: `Demo Customer <${customer}>`,
  subject: 'My blender arrived broken',
  text: 'Hello, the blender from order 4711 arrived with a cracked jar. I would like my money back.',
});

step(2, 'Waiting for the acknowledgement in the local SES mailbox');
const ack = await waitForMail(endpoints, customer, /CMP-[0-9A-Z]{6}/);
const reference = /CMP-[0-9A-Z]{6}/.exec(ack.subject)?.[0] as string;
console.log(`   "${ack.subject}" (reply to ${ack.replyTo.join(', ')})`);

step(3, `Tier-1 agent looks it up: GET /complaints?reference=${reference}`);
const found = await api<{ items: { id: string }[] }>(endpoints, 'GET', `/complaints?reference=${reference}`, {
  token: tier1,
});
const id = found.body.items[0]?.id as string;
console.log(`   complaint id ${id}`);

interface Detail {
  complaint: { status: string; tier: number; slaDueAt?: string; version: number; resolution?: unknown };
  timeline: { kind: string; at: string; action?: string; direction?: string; purpose?: string }[];
}
const detail = await waitFor(async () => {
  const r = await api<Detail>(endpoints, 'GET', `/complaints/${id}`, { token: tier1 });
  return r.body.complaint.status === 'awaiting_agent' ? r : undefined;
}, 'the complaint to reach the agent queue');
const c = detail.body.complaint;
console.log(`   status ${c.status}, tier ${c.tier}, SLA due ${c.slaDueAt}, version ${c.version}`);
for (const e of detail.body.timeline) {
  console.log(
    `   ${e.at}  ${e.kind === 'audit' ? `audit   ${e.action}` : `message ${e.direction} ${e.purpose}`}`,
  );
}

step(
  4,
  'Agent proposes a refund of 40 EUR (within the tier-1 limit of 100): POST /complaints/{id}/resolution',
);
const resolved = await api(endpoints, 'POST', `/complaints/${id}/resolution`, {
  token: tier1,
  headers: { 'if-match': detail.headers.get('etag') as string },
  body: {
    type: 'refund',
    amount: 40,
    currency: 'EUR',
    summary: 'We refunded the blender in full; no need to send it back.',
    rootCause: 'warehouse_error',
  },
});
console.log(`   HTTP ${resolved.status}`);

step(5, 'Waiting for the resolution email and the end of the Step Functions execution');
const mail = await waitForMail(endpoints, customer, /refunded the blender/);
console.log(`   "${mail.subject}"`);
// The local endpoint accepts any credentials; the SDK insists on having some.
const sfn = new SFNClient({
  endpoint: endpoints.stepfunctions.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const execution = await waitFor(async () => {
  const out = await sfn.send(
    new DescribeExecutionCommand({
      executionArn: `${endpoints.stepfunctions.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`,
    }),
  );
  return out.status === 'SUCCEEDED' ? out : undefined;
}, 'the execution to succeed');
console.log(`   execution ${execution.name}: ${execution.status}`);
console.log(`\nDone: ${reference} resolved. Mailbox: ${endpoints.mailbox.url}`);
