import * as z from '../schema';

// Shapes from the SES Developer Guide, "Contents of notifications for Amazon SES email receiving" and
// "Sample incoming email event" (Lambda action). One record per received mail; the body is not in it.

/** `DISABLED` appears when the receipt rule has scanning turned off. */
export const sesVerdictStatusSchema = z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED']);
export type SesVerdictStatus = z.infer<typeof sesVerdictStatusSchema>;

const verdictSchema = z.object({ status: sesVerdictStatusSchema });

export const sesMailHeaderSchema = z.object({ name: z.string(), value: z.string() });
export type SesMailHeader = z.infer<typeof sesMailHeaderSchema>;

/** "The fields present in this object vary depending on which fields were present in the incoming email." */
export const sesCommonHeadersSchema = z.object({
  returnPath: z.optional(z.string()),
  from: z.optional(z.array(z.string())),
  sender: z.optional(z.array(z.string())),
  replyTo: z.optional(z.array(z.string())),
  to: z.optional(z.array(z.string())),
  cc: z.optional(z.array(z.string())),
  bcc: z.optional(z.array(z.string())),
  date: z.optional(z.string()),
  messageId: z.optional(z.string()),
  subject: z.optional(z.string()),
});
export type SesCommonHeaders = z.infer<typeof sesCommonHeadersSchema>;

export const sesDmarcPolicySchema = z.enum(['none', 'quarantine', 'reject']);
export type SesDmarcPolicy = z.infer<typeof sesDmarcPolicySchema>;

export const sesReceiptRecordSchema = z.object({
  eventSource: z.literal('aws:ses'),
  eventVersion: z.string(),
  ses: z.object({
    mail: z.object({
      timestamp: z.iso.datetime(),
      /** Envelope MAIL FROM; '' for the null sender of bounces. */
      source: z.string(),
      /** SES message id; with an S3 action also the object key after the rule's prefix. */
      messageId: z.string().check(z.minLength(1)),
      /** To and Cc addresses from the MIME headers. */
      destination: z.array(z.string()),
      headersTruncated: z.boolean(),
      headers: z.array(sesMailHeaderSchema),
      commonHeaders: sesCommonHeadersSchema,
    }),
    receipt: z.object({
      timestamp: z.iso.datetime(),
      processingTimeMillis: z.number().check(z.int(), z.nonnegative()),
      /** Envelope RCPT TO addresses matched by the receipt rule. */
      recipients: z.array(z.string()).check(z.minLength(1)),
      spamVerdict: verdictSchema,
      virusVerdict: verdictSchema,
      spfVerdict: verdictSchema,
      dkimVerdict: verdictSchema,
      dmarcVerdict: verdictSchema,
      /** Only present when the message fails DMARC. */
      dmarcPolicy: z.optional(sesDmarcPolicySchema),
      action: z.object({
        type: z.literal('Lambda'),
        functionArn: z.string(),
        invocationType: z.enum(['Event', 'RequestResponse']),
        topicArn: z.optional(z.string()),
      }),
    }),
  }),
});
export type SesReceiptRecord = z.infer<typeof sesReceiptRecordSchema>;

/** The event a receipt rule's Lambda action invokes the function with. */
export const sesReceiptEventSchema = z.object({
  Records: z.array(sesReceiptRecordSchema).check(z.minLength(1)),
});
export type SesReceiptEvent = z.infer<typeof sesReceiptEventSchema>;

export type SesVerdicts = Record<'spam' | 'virus' | 'spf' | 'dkim' | 'dmarc', SesVerdictStatus>;

export interface SesReceiptParams {
  /** SES message id (the S3 object key after the prefix). */
  messageId: string;
  receivedAt: Date;
  /** Envelope MAIL FROM ('' for the null sender). */
  source: string;
  /** Envelope RCPT TO addresses. */
  recipients: string[];
  /** To and Cc addresses of the MIME headers. */
  destination: string[];
  /** Header fields in message order. */
  headers: SesMailHeader[];
  commonHeaders: SesCommonHeaders;
  /** Defaults to PASS for every check. */
  verdicts?: Partial<SesVerdicts>;
  dmarcPolicy?: SesDmarcPolicy;
  functionArn?: string;
  processingTimeMillis?: number;
}

// SES truncates the headers list of the notification when the headers exceed 10 KB.
const maxHeaderBytes = 10 * 1024;

/** Builds the SES receipt event (Lambda action, asynchronous invocation) for one received mail. */
export function buildSesReceiptEvent(params: SesReceiptParams): SesReceiptEvent {
  const headers: SesMailHeader[] = [];
  let headerBytes = 0;
  for (const header of params.headers) {
    headerBytes += Buffer.byteLength(header.name) + Buffer.byteLength(header.value);
    if (headerBytes > maxHeaderBytes) break;
    headers.push(header);
  }
  const verdict = (name: keyof SesVerdicts) => ({ status: params.verdicts?.[name] ?? 'PASS' });
  const timestamp = params.receivedAt.toISOString();
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp,
            source: params.source,
            messageId: params.messageId,
            destination: params.destination,
            headersTruncated: headers.length < params.headers.length,
            headers,
            commonHeaders: params.commonHeaders,
          },
          receipt: {
            timestamp,
            processingTimeMillis: params.processingTimeMillis ?? 0,
            recipients: params.recipients,
            spamVerdict: verdict('spam'),
            virusVerdict: verdict('virus'),
            spfVerdict: verdict('spf'),
            dkimVerdict: verdict('dkim'),
            dmarcVerdict: verdict('dmarc'),
            ...(params.dmarcPolicy ? { dmarcPolicy: params.dmarcPolicy } : {}),
            action: {
              type: 'Lambda',
              functionArn:
                params.functionArn ?? 'arn:aws:lambda:us-east-1:000000000000:function:inbound-mail',
              invocationType: 'Event',
            },
          },
        },
      },
    ],
  };
}
