import type { AuditEntry, Complaint } from '../complaint';
import * as z from '../schema';
import { complaintTag, mailTag } from './messageTags';

/**
 * SES sending events as a configuration set's event destination publishes them (the SNS message body).
 * Only the fields used here are read; SES may add fields, which are ignored.
 */
const iso = z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'not a timestamp'));
const recipientStatus = z.object({
  emailAddress: z.string(),
  action: z.optional(z.string()),
  status: z.optional(z.string()),
  diagnosticCode: z.optional(z.string()),
});
const sesMailSchema = z.object({
  timestamp: iso,
  messageId: z.string().check(z.minLength(1)),
  source: z.optional(z.string()),
  destination: z._default(z.array(z.string()), []),
  /** Message tags of the send, plus SES's own (`ses:configuration-set`, ...). */
  tags: z.optional(z.record(z.string(), z.array(z.string()))),
});

export const sesEventSchema = z.discriminatedUnion('eventType', [
  z.object({
    eventType: z.literal('Bounce'),
    mail: sesMailSchema,
    bounce: z.object({
      bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
      bounceSubType: z.string(),
      bouncedRecipients: z.array(recipientStatus),
      timestamp: iso,
      feedbackId: z.optional(z.string()),
    }),
  }),
  z.object({
    eventType: z.literal('Complaint'),
    mail: sesMailSchema,
    complaint: z.object({
      complainedRecipients: z.array(z.object({ emailAddress: z.string() })),
      timestamp: iso,
      feedbackId: z.optional(z.string()),
      complaintFeedbackType: z.optional(z.string()),
      complaintSubType: z.nullish(z.string()),
    }),
  }),
  z.object({
    eventType: z.literal('Delivery'),
    mail: sesMailSchema,
    delivery: z.object({
      timestamp: iso,
      recipients: z.array(z.string()),
      smtpResponse: z.optional(z.string()),
    }),
  }),
  z.object({
    eventType: z.literal('Reject'),
    mail: sesMailSchema,
    reject: z.object({ reason: z.string() }),
  }),
  z.object({
    eventType: z.literal('DeliveryDelay'),
    mail: sesMailSchema,
    deliveryDelay: z.object({
      timestamp: iso,
      delayType: z.string(),
      expirationTime: z.optional(z.string()),
      delayedRecipients: z.array(recipientStatus),
    }),
  }),
]);
export type SesEvent = z.infer<typeof sesEventSchema>;
export type SesEventType = SesEvent['eventType'];
/** The event types the configuration set publishes to the feedback handler. */
export const feedbackEventTypes = ['Bounce', 'Complaint', 'Delivery', 'Reject', 'DeliveryDelay'] as const;

/** What one SES event says about one of our mails. */
export interface MailFeedback {
  sesMessageId: string;
  eventType: SesEventType;
  /** When it happened (the event's own time, so a redelivery files it under the same key). */
  at: string;
  /** The recipients concerned, lower-cased. */
  recipients: string[];
  /**
   * Why the recipients must not get automatic mail any more: a permanent bounce (the mailbox does not
   * exist, or SES suppresses it) or a spam complaint. Absent for what passes (delays, soft bounces).
   */
  undeliverable?: string;
  /** One line for the agent. */
  summary: string;
  /** The complaint and the mail named by the mail's tags, if any. */
  taggedComplaint?: string;
  taggedMail?: string;
}

/** Parses the SNS message of an SES event; the zod error when it is none (it is then quarantined). */
export function parseSesEvent(message: string): ReturnType<typeof sesEventSchema.safeParse> {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return sesEventSchema.safeParse(undefined);
  }
  return sesEventSchema.safeParse(json);
}

const lower = (addresses: string[]) => addresses.map((a) => a.trim().toLowerCase());
const statusOf = (r: z.infer<typeof recipientStatus>) =>
  [r.status, r.diagnosticCode].filter(Boolean).join(' ');

/**
 * Reads an SES event as feedback about one outbound mail. Permanent bounces and complaints make the
 * address undeliverable (SES adds it to the account's suppression list for the same reasons); soft
 * bounces, delays, deliveries and rejects are only recorded.
 */
export function readMailFeedback(event: SesEvent): MailFeedback {
  const tag = (name: string) => event.mail.tags?.[name]?.[0];
  const taggedComplaint = tag(complaintTag);
  const taggedMail = tag(mailTag);
  const base = {
    sesMessageId: event.mail.messageId,
    eventType: event.eventType,
    ...(taggedComplaint ? { taggedComplaint } : {}),
    ...(taggedMail ? { taggedMail } : {}),
  };
  const at = (time: string) => new Date(time).toISOString();
  switch (event.eventType) {
    case 'Bounce': {
      const { bounce } = event;
      const detail = bounce.bouncedRecipients.map(statusOf).find(Boolean);
      const summary = `${bounce.bounceType} bounce (${bounce.bounceSubType})${detail ? `: ${detail}` : ''}`;
      return {
        ...base,
        at: at(bounce.timestamp),
        recipients: lower(bounce.bouncedRecipients.map((r) => r.emailAddress)),
        summary,
        ...(bounce.bounceType === 'Permanent' ? { undeliverable: summary } : {}),
      };
    }
    case 'Complaint': {
      const { complaint } = event;
      const summary = `marked as spam${complaint.complaintFeedbackType ? ` (${complaint.complaintFeedbackType})` : ''}`;
      return {
        ...base,
        at: at(complaint.timestamp),
        recipients: lower(complaint.complainedRecipients.map((r) => r.emailAddress)),
        summary,
        undeliverable: summary,
      };
    }
    case 'Delivery':
      return {
        ...base,
        at: at(event.delivery.timestamp),
        recipients: lower(event.delivery.recipients),
        summary: `delivered${event.delivery.smtpResponse ? `: ${event.delivery.smtpResponse}` : ''}`,
      };
    case 'Reject':
      // SES refused to send (a virus in the mail): nothing reached anyone, nothing about the address.
      return {
        ...base,
        at: at(event.mail.timestamp),
        recipients: lower(event.mail.destination),
        summary: `rejected by SES: ${event.reject.reason}`,
      };
    case 'DeliveryDelay': {
      const { deliveryDelay } = event;
      const detail = deliveryDelay.delayedRecipients.map(statusOf).find(Boolean);
      return {
        ...base,
        at: at(deliveryDelay.timestamp),
        recipients: lower(deliveryDelay.delayedRecipients.map((r) => r.emailAddress)),
        summary: `delivery delayed (${deliveryDelay.delayType})${detail ? `: ${detail}` : ''}`,
      };
    }
  }
}

/** Timeline action of each event type. */
const actions: Record<SesEventType, string> = {
  Bounce: 'mailBounced',
  Complaint: 'mailMarkedAsSpam',
  Delivery: 'mailDelivered',
  Reject: 'mailRejected',
  DeliveryDelay: 'mailDelayed',
};

/** Id of the timeline entry of one event: one per SES message id and event type. */
export const feedbackEntryId = (feedback: Pick<MailFeedback, 'sesMessageId' | 'eventType'>) =>
  `ses-${feedback.eventType.toLowerCase()}-${feedback.sesMessageId}`;

/**
 * The timeline entry that files an event on its complaint. Its id and time come from the event alone,
 * so a redelivered notification lands on the same item.
 */
export function feedbackEntry(
  complaint: Pick<Complaint, 'status' | 'version'>,
  feedback: MailFeedback,
  mailId: string | undefined,
): AuditEntry {
  return {
    kind: 'audit',
    id: feedbackEntryId(feedback),
    at: feedback.at,
    action: actions[feedback.eventType],
    actor: { kind: 'system', id: 'ses' },
    toStatus: complaint.status,
    version: complaint.version,
    details: {
      sesMessageId: feedback.sesMessageId,
      ...(mailId ? { mailId } : {}),
      eventType: feedback.eventType,
      recipients: feedback.recipients,
      summary: feedback.summary,
    },
  };
}

/** The mark an undeliverable address leaves on a complaint and on the address. */
export interface Undeliverable {
  reason: string;
  eventType: SesEventType;
  sesMessageId: string;
  at: string;
}

/** The undeliverable mark of feedback that makes its address undeliverable, else undefined. */
export function undeliverableOf(feedback: MailFeedback): Undeliverable | undefined {
  if (!feedback.undeliverable) return undefined;
  return {
    reason: feedback.undeliverable,
    eventType: feedback.eventType,
    sesMessageId: feedback.sesMessageId,
    at: feedback.at,
  };
}
