import { z } from 'zod';
import { loadPolicy, type Policy } from '../core/policy';

const envSchema = z.object({
  TABLE_NAME: z.string().min(1),
  SUPPORT_ADDRESS: z.email(),
  SENDER_ADDRESS: z.email(),
  MAIL_DOMAIN: z.string().min(1),
  STATE_MACHINE_ARN: z.string().min(1).optional(),
  RAW_MAIL_BUCKET: z.string().min(1).optional(),
  RAW_MAIL_PREFIX: z.string().default('inbound/'),
  COMPLAINTS_PROFILE: z.string().default('standard'),
  COMPLAINTS_POLICY: z.string().optional(),
  /** Where managers are alerted locally (top-tier SLA breach); defaults to manager@<mail domain>. */
  MANAGER_ADDRESS: z.email().optional(),
  /** SNS topic for team notifications and manager alerts (AWS); mail through SES when absent (local). */
  ALERT_TOPIC_ARN: z.string().min(1).optional(),
  /** Base URL of the public survey endpoint (the API URL). */
  SURVEY_BASE_URL: z.url().optional(),
  /** SES configuration set mail is sent with (AWS: suppression list, reputation metrics). */
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
});

export interface Config {
  tableName: string;
  supportAddress: string;
  senderAddress: string;
  mailDomain: string;
  stateMachineArn?: string;
  rawMailBucket?: string;
  rawMailPrefix: string;
  policy: Policy;
  managerAddress: string;
  alertTopicArn?: string;
  surveyBaseUrl?: string;
  sesConfigurationSet?: string;
}

let cached: Config | undefined;

/**
 * Validates environment variables against a schema once, failing with a message that names every
 * missing or malformed variable instead of surfacing later as an obscure SDK error.
 */
export function parseEnvironment<T extends z.ZodType>(schema: T): z.infer<T> {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${names}`);
  }
  return parsed.data;
}

/** The handlers' configuration, validated once per cold start. */
export function config(): Config {
  if (cached) return cached;
  const env = parseEnvironment(envSchema);
  cached = {
    tableName: env.TABLE_NAME,
    supportAddress: env.SUPPORT_ADDRESS,
    senderAddress: env.SENDER_ADDRESS,
    mailDomain: env.MAIL_DOMAIN,
    stateMachineArn: env.STATE_MACHINE_ARN,
    rawMailBucket: env.RAW_MAIL_BUCKET,
    rawMailPrefix: env.RAW_MAIL_PREFIX,
    policy: loadPolicy(env.COMPLAINTS_PROFILE, env.COMPLAINTS_POLICY),
    managerAddress: env.MANAGER_ADDRESS ?? `manager@${env.MAIL_DOMAIN}`,
    alertTopicArn: env.ALERT_TOPIC_ARN,
    surveyBaseUrl: env.SURVEY_BASE_URL,
    sesConfigurationSet: env.SES_CONFIGURATION_SET,
  };
  return cached;
}

/** Names the required variable or throws, for values only some handlers need. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`Invalid configuration: ${name} is required by this handler`);
  return value;
}
