import { loadPolicy, type Policy } from '../core/policy';
import * as z from '../core/schema';

/**
 * The environment variable of each setting. The CDK stack sets the variables under these names and the
 * Lambda composition root reads them; nothing else spells them.
 */
export const settingNames = {
  tableName: 'TABLE_NAME',
  supportAddress: 'SUPPORT_ADDRESS',
  senderAddress: 'SENDER_ADDRESS',
  mailDomain: 'MAIL_DOMAIN',
  stateMachineArn: 'STATE_MACHINE_ARN',
  rawMailBucket: 'RAW_MAIL_BUCKET',
  rawMailPrefix: 'RAW_MAIL_PREFIX',
  attachmentPrefix: 'ATTACHMENT_PREFIX',
  policyProfile: 'COMPLAINTS_PROFILE',
  policyJson: 'COMPLAINTS_POLICY',
  alertTopicArn: 'ALERT_TOPIC_ARN',
  surveyBaseUrl: 'SURVEY_BASE_URL',
  surveySigningSecretArn: 'SURVEY_SIGNING_SECRET_ARN',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  autoMailCap: 'AUTO_MAIL_CAP',
  autoMailWindowSeconds: 'AUTO_MAIL_WINDOW_SECONDS',
  maxTextBytes: 'MAX_TEXT_BYTES',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  eventBusName: 'EVENT_BUS_NAME',
  businessMetricsNamespace: 'BUSINESS_METRICS_NAMESPACE',
  digestRecipients: 'DIGEST_RECIPIENTS',
  intakeFunctionName: 'INTAKE_FUNCTION_NAME',
} as const;

export type SettingKey = keyof typeof settingNames;

/**
 * How long a send lease holds before another caller may take the mail over. Longer than an SES call
 * with the SDK's retries, shorter than the Lambda async retry delay (about a minute); the workflow's
 * retries of OutboundMailInFlightError are sized on it.
 */
export const sendLeaseSeconds = 45;

const n = settingNames;
const nonEmpty = z.string().check(z.minLength(1));
const envSchema = z.object({
  [n.tableName]: z.string().check(z.minLength(1)),
  [n.supportAddress]: z.email(),
  [n.senderAddress]: z.email(),
  [n.mailDomain]: z.string().check(z.minLength(1)),
  [n.stateMachineArn]: z.optional(nonEmpty),
  [n.rawMailBucket]: z.optional(nonEmpty),
  [n.rawMailPrefix]: z._default(z.string(), 'inbound/'),
  /** Key prefix of stored attachments, beside the raw mail's prefix in the same bucket. */
  [n.attachmentPrefix]: z._default(nonEmpty, 'attachments/'),
  [n.policyProfile]: z._default(z.string(), 'standard'),
  [n.policyJson]: z.optional(z.string()),
  /** Where managers are alerted when there is no topic; defaults to manager@<mail domain>. */
  /** SNS topic for team notifications and manager alerts; mail through SES when absent. */
  [n.alertTopicArn]: z.optional(nonEmpty),
  /** Base URL of the public survey endpoint (the API URL). */
  [n.surveyBaseUrl]: z.optional(z.url()),
  /** Secrets Manager secret holding the HMAC key of survey links and pagination cursors. */
  [n.surveySigningSecretArn]: z.optional(nonEmpty),
  /** SES configuration set mail is sent with (suppression list, reputation metrics). */
  [n.sesConfigurationSet]: z.optional(nonEmpty),
  /** Automatic mails (acknowledgements, reminders) per recipient and window. */
  [n.autoMailCap]: z._default(z.coerce.number().check(z.int(), z.positive()), 3),
  [n.autoMailWindowSeconds]: z._default(z.coerce.number().check(z.int(), z.positive()), 600),
  /** Text kept on a timeline message; DynamoDB items are limited to 400 KB. */
  [n.maxTextBytes]: z._default(z.coerce.number().check(z.int(), z.gte(1024), z.lte(256 * 1024)), 64 * 1024),
  [n.serviceName]: z._default(nonEmpty, 'complaints'),
  [n.logLevel]: z._default(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']), 'INFO'),
  /** The EventBridge bus the domain events are published on. */
  [n.eventBusName]: z.optional(nonEmpty),
  /**
   * The CloudWatch namespace of the business metrics (embedded metric format in the report projector's
   * log); unset, none are written (the local stack has no CloudWatch).
   */
  [n.businessMetricsNamespace]: z.optional(nonEmpty),
  /** The intake function (name or ARN) the API hands released quarantined mail to. */
  [n.intakeFunctionName]: z.optional(nonEmpty),
  /** Comma-separated product and business addresses of the weekly insights digest. */
  [n.digestRecipients]: z.pipe(
    z.pipe(
      z._default(z.string(), ''),
      z.transform((s: string) =>
        s
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      ),
    ),
    z.array(z.email()),
  ),
});

/** Everything the use cases are configured with, validated once per runtime. */
export interface Settings {
  tableName: string;
  supportAddress: string;
  senderAddress: string;
  mailDomain: string;
  stateMachineArn?: string;
  rawMailBucket?: string;
  rawMailPrefix: string;
  attachmentPrefix: string;
  policy: Policy;
  alertTopicArn?: string;
  surveyBaseUrl?: string;
  surveySigningSecretArn?: string;
  sesConfigurationSet?: string;
  autoMailCap: number;
  autoMailWindowSeconds: number;
  maxTextBytes: number;
  sendLeaseSeconds: number;
  serviceName: string;
  logLevel: z.infer<typeof envSchema>[typeof n.logLevel];
  eventBusName?: string;
  businessMetricsNamespace?: string;
  digestRecipients: string[];
  intakeFunctionName?: string;
}

/** The settings a function may be deployed without (each only where a function uses it). */
export type OptionalSetting =
  | 'stateMachineArn'
  | 'rawMailBucket'
  | 'surveyBaseUrl'
  | 'surveySigningSecretArn'
  | 'eventBusName'
  | 'intakeFunctionName';

/**
 * Validates the environment once, failing with a message that names every missing or malformed
 * variable instead of surfacing later as an obscure SDK error. `needs` lists the optional settings this
 * function cannot work without: their absence fails here, at cold start, not in the middle of an operation.
 */
export function settingsFromEnv(
  env: Record<string, string | undefined>,
  needs: readonly OptionalSetting[] = [],
): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${names}`);
  }
  const e = parsed.data;
  const settings: Settings = {
    tableName: e[n.tableName],
    supportAddress: e[n.supportAddress],
    senderAddress: e[n.senderAddress],
    mailDomain: e[n.mailDomain],
    stateMachineArn: e[n.stateMachineArn],
    rawMailBucket: e[n.rawMailBucket],
    rawMailPrefix: e[n.rawMailPrefix],
    attachmentPrefix: e[n.attachmentPrefix],
    policy: loadPolicy(e[n.policyProfile], e[n.policyJson]),
    alertTopicArn: e[n.alertTopicArn],
    surveyBaseUrl: e[n.surveyBaseUrl],
    surveySigningSecretArn: e[n.surveySigningSecretArn],
    sesConfigurationSet: e[n.sesConfigurationSet],
    autoMailCap: e[n.autoMailCap],
    autoMailWindowSeconds: e[n.autoMailWindowSeconds],
    maxTextBytes: e[n.maxTextBytes],
    sendLeaseSeconds,
    serviceName: e[n.serviceName],
    logLevel: e[n.logLevel],
    eventBusName: e[n.eventBusName],
    businessMetricsNamespace: e[n.businessMetricsNamespace],
    digestRecipients: e[n.digestRecipients],
    intakeFunctionName: e[n.intakeFunctionName],
  };
  const missing = needs.filter((key) => settings[key] === undefined).map((key) => settingNames[key]);
  if (missing.length > 0) {
    throw new Error(`Invalid configuration: ${missing.join(', ')} required by this function`);
  }
  return settings;
}

/** The value of a setting that only some functions have (validated at cold start by `needs`). */
export function required<K extends OptionalSetting>(settings: Settings, key: K): NonNullable<Settings[K]> {
  const value = settings[key];
  if (value === undefined) throw new Error(`Invalid configuration: ${settingNames[key]} is not set`);
  return value as NonNullable<Settings[K]>;
}
