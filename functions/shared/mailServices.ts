import { z } from 'zod';
import { DynamoMailLedger } from '../adapters/mailLedger';
import type { MailLedger, QuarantineStore, RawMailStore } from '../adapters/ports';
import { DynamoQuarantineStore } from '../adapters/quarantineStore';
import { rawMailStoreFromEnv } from '../adapters/rawMailStore';
import { config, parseEnvironment } from './config';

const envSchema = z.object({
  /** Key prefix of stored attachments, beside the raw mail's prefix in the same bucket. */
  ATTACHMENT_PREFIX: z.string().min(1).default('attachments/'),
  /** Automatic mails (acknowledgements, reminders) per recipient and window. */
  AUTO_MAIL_CAP: z.coerce.number().int().positive().default(3),
  AUTO_MAIL_WINDOW_SECONDS: z.coerce.number().int().positive().default(600),
  /** Text kept on a timeline message; DynamoDB items are limited to 400 KB. */
  MAX_TEXT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(256 * 1024)
    .default(64 * 1024),
});

/** Limits of the email channel, validated once per cold start. */
export interface MailSettings {
  attachmentPrefix: string;
  autoMailCap: number;
  autoMailWindowSeconds: number;
  maxTextBytes: number;
  /**
   * How long a send lease holds before another caller may take the mail over. Longer than an SES call
   * with the SDK's retries, shorter than the Lambda async retry delay (about a minute).
   */
  sendLeaseSeconds: number;
}

/**
 * How long a send lease holds before another caller may take the mail over. Longer than an SES call
 * with the SDK's retries, shorter than the Lambda async retry delay (about a minute); the workflow's
 * retries of OutboundMailInFlightError are sized on it.
 */
export const sendLeaseSeconds = 45;

/** The adapters of the email channel, beside the shared {@link Services}. */
export interface MailServices {
  ledger: MailLedger;
  quarantine: QuarantineStore;
  rawMail: RawMailStore;
  settings: MailSettings;
}

let mailServices: MailServices | undefined;

/** Builds the email channel's adapters once per cold start; fails naming an invalid variable. */
export function getMailServices(): MailServices {
  if (mailServices) return mailServices;
  const env = parseEnvironment(envSchema);
  const { tableName } = config();
  mailServices = {
    ledger: new DynamoMailLedger(tableName),
    quarantine: new DynamoQuarantineStore(tableName),
    rawMail: rawMailStoreFromEnv(),
    settings: {
      attachmentPrefix: env.ATTACHMENT_PREFIX,
      autoMailCap: env.AUTO_MAIL_CAP,
      autoMailWindowSeconds: env.AUTO_MAIL_WINDOW_SECONDS,
      maxTextBytes: env.MAX_TEXT_BYTES,
      sendLeaseSeconds,
    },
  };
  return mailServices;
}
