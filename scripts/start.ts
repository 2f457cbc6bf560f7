import { z } from 'zod';
import { LocalStartError } from './local/dataDirLock';
import { type LocalStack, startLocalStack } from './local/localStack';

/**
 * `npm start`: the whole system on embedded parts, ports from the environment (defaults below), data
 * under `.local/` (kept across restarts). Prints every endpoint and the dev tokens, then keeps running.
 */
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const env = z
  .object({
    COMPLAINTS_DATA_DIR: z.string().default('.local'),
    COMPLAINTS_PROFILE: z.enum(['standard', 'fast']).default('standard'),
    /** Policy override (JSON), merged into the profile as on AWS. */
    COMPLAINTS_POLICY: z.string().min(1).optional(),
    COMPLAINTS_HOST: z.string().default('127.0.0.1'),
    MAIL_DOMAIN: z.string().default('support.localhost'),
    SMTP_PORT: port(2525),
    API_PORT: port(3000),
    MAILBOX_PORT: port(8005),
    DYNAMODB_PORT: port(8000),
    STEPFUNCTIONS_PORT: port(8083),
    CONSOLE_PORT: port(3001),
    EVENTS_PORT: port(8088),
    LAMBDA_PORT: port(8089),
    SNS_PORT: port(8090),
    /** Worker threads of the API function (0: on the stack's own thread); default one per core beyond the first. */
    API_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  })
  .parse(process.env);

let stack: LocalStack;
try {
  stack = await startLocalStack({
    dataDir: env.COMPLAINTS_DATA_DIR,
    host: env.COMPLAINTS_HOST,
    profile: env.COMPLAINTS_PROFILE,
    ...(env.COMPLAINTS_POLICY ? { policy: env.COMPLAINTS_POLICY } : {}),
    mailDomain: env.MAIL_DOMAIN,
    ...(env.API_WORKERS !== undefined ? { apiWorkers: env.API_WORKERS } : {}),
    ports: {
      smtp: env.SMTP_PORT,
      api: env.API_PORT,
      mailbox: env.MAILBOX_PORT,
      dynamodb: env.DYNAMODB_PORT,
      stepfunctions: env.STEPFUNCTIONS_PORT,
      console: env.CONSOLE_PORT,
      events: env.EVENTS_PORT,
      lambda: env.LAMBDA_PORT,
      sns: env.SNS_PORT,
    },
  });
} catch (e) {
  // What the person must fix (install Java, free a port, stop the other stack) fits in one line.
  if (!(e instanceof LocalStartError)) throw e;
  console.error(e.message);
  process.exit(1);
}
const e = stack.endpoints;
console.log(`
Complaint resolution — local stack (profile ${env.COMPLAINTS_PROFILE})
  Support address   ${e.supportAddress}
  SMTP (inbound)    ${e.smtp.host}:${e.smtp.port}
  Agent console     ${e.console.url}   (sign in as tier1, tier2, tier3 or manager)
  Agent API         ${e.api.url}
  Mailbox (SES)     ${e.mailbox.url}   (sent mail: ${e.mailbox.url}/store)
  DynamoDB          ${e.dynamodb.endpoint}
  Step Functions    ${e.stepfunctions.endpoint}
  Event bus         ${e.events.endpoint}   (domain events: ${e.events.endpoint}/events, or npm run events:tail)
  Lambda (Invoke)   ${e.lambda.endpoint}   (asynchronous invocations of the intake function)
  SNS (Publish)     ${e.sns.endpoint}   (team notifications, mailed to <role>@${env.MAIL_DOMAIN})
  Endpoints file    ${env.COMPLAINTS_DATA_DIR}/endpoints.json

Dev tokens (Authorization: Bearer <token>):
${Object.entries(e.tokens)
  .map(([role, token]) => `  ${role.padEnd(8)} ${token}`)
  .join('\n')}

Try:  swaks --server ${e.smtp.host}:${e.smtp.port} --to ${e.supportAddress} --from you@example.org \\
        --header "Subject: My parcel never arrived" --body "Order 1234 is two weeks late."
      curl -H "Authorization: Bearer $(jq -r .tokens.tier1 ${env.COMPLAINTS_DATA_DIR}/endpoints.json)" ${e.api.url}/complaints
Ctrl-C to stop.`);

const stop = async () => {
  await stack.close();
  process.exit(0);
};
stack.failed.catch(async (e: Error) => {
  console.error(e.message);
  await stack.close();
  process.exit(1);
});
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
