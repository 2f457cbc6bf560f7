import { boundedValue, headerValueBounds } from './headerBounds';
import type { InboundMail } from './inboundMail';
import { isSystemSender } from './loopGuard';

/** What a delivery status notification says about the mail it returns. */
export interface BounceReport {
  /** Message-IDs of the returned original (without brackets), most specific first. */
  originalMessageIds: string[];
  /** RFC 3464 Final-Recipient (or Exim's X-Failed-Recipients), lower-cased. */
  recipient?: string;
  /** RFC 3464 Action of the first recipient: failed, delayed, delivered, relayed or expanded. */
  action?: string;
  /** RFC 3463 status code, e.g. `5.1.1`. */
  status?: string;
  diagnostic?: string;
  /**
   * False when the report says the mail was delayed or delivered (a warning, not a failure), or gives
   * only a transient 4.x.x status; non-standard bounces without a DSN part count as failures.
   */
  failed: boolean;
}

// Parts of a report that carry the returned original or its delivery status (RFC 3464, RFC 6522,
// RFC 6533 for the internationalised `message/global-*` forms; Bigfoot's LiteMail returns the
// original's header as `message/partial`).
const reportPartTypes = new Set([
  'message/rfc822',
  'message/partial',
  'message/global',
  'text/rfc822-headers',
  'message/global-headers',
  'message/delivery-status',
  'message/global-delivery-status',
]);

/**
 * A delivery status notification: `multipart/report` with `report-type=delivery-status` (RFC 6522 /
 * RFC 3464), or mail from MAILER-DAEMON/postmaster, whose non-standard bounces (older Exim, qmail) quote
 * the original in plain text. Other reports (read receipts: `disposition-notification`; abuse reports:
 * `feedback-report`) are automated mail, not bounces.
 */
export function isBounce(mail: Pick<InboundMail, 'headers' | 'from'>): boolean {
  const contentType = (mail.headers['content-type'] ?? '').toLowerCase();
  if (/^\s*multipart\/report\b/.test(contentType)) {
    const reportType = /report-type\s*=\s*"?([\w-]+)/.exec(contentType)?.[1];
    return reportType === undefined || reportType === 'delivery-status';
  }
  return isSystemSender(mail.from?.address, mail.headers.from);
}

/**
 * Reads a bounce: the returned original's Message-ID from the `message/rfc822` or
 * `text/rfc822-headers` part, or from the original quoted in the text; the DSN fields from the
 * `message/delivery-status` part, or from the text where an MTA writes them there. The bounce's own
 * In-Reply-To and References come last: some MTAs thread the bounce under the original.
 */
export function readBounce(
  mail: Pick<InboundMail, 'messageId' | 'text' | 'headers' | 'attachments' | 'inReplyTo' | 'references'>,
): BounceReport {
  const reportParts = mail.attachments
    .filter((a) => reportPartTypes.has(a.contentType.toLowerCase()))
    .map((a) => a.content.toString('utf8'));
  const sources = [...reportParts, mail.text];
  const own = mail.messageId;
  const ids: string[] = [];
  for (const source of sources) {
    for (const match of source.matchAll(/^[ \t>]*message-id:[ \t]*(?:\r?\n[ \t]+)?<([^<>\s]+)>/gim)) {
      const id = match[1] as string;
      if (id !== own && !ids.includes(id)) ids.push(id);
    }
  }
  for (const id of [mail.inReplyTo, ...mail.references]) if (id && !ids.includes(id)) ids.push(id);

  const all = sources.join('\n');
  const field = (name: string) => {
    const value = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t]+.*)*)`, 'im')
      .exec(all)?.[1]
      ?.replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    return value === undefined ? undefined : boundedValue(value, headerValueBounds.reportField);
  };
  const finalRecipient = field('Final-Recipient') ?? field('Original-Recipient');
  // Address types (RFC 3464 §2.3.2): `rfc822; ann@example.org`; some MTAs bracket the address
  // (`RFC822; <ann@example.org>`, Bigfoot's LiteMail).
  const named = (
    finalRecipient?.split(';').pop()?.trim() ?? mail.headers['x-failed-recipients']?.split(',')[0]
  )
    ?.trim()
    .replace(/^<(.*)>$/, '$1')
    .toLowerCase();
  const recipient = named && named.length <= headerValueBounds.address ? named : undefined;
  const action = field('Action')?.toLowerCase();
  const status = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(field('Status') ?? '')?.[1];
  const diagnostic = field('Diagnostic-Code');
  return {
    originalMessageIds: ids,
    ...(recipient ? { recipient } : {}),
    ...(action ? { action } : {}),
    ...(status ? { status } : {}),
    ...(diagnostic ? { diagnostic } : {}),
    failed: action
      ? !['delayed', 'delivered', 'relayed', 'expanded'].includes(action)
      : // Without an Action, a persistent 5.x.x status or no status at all is a failure; 4.x.x is transient.
        !status?.startsWith('4.'),
  };
}

/**
 * A warning, not a failure (`Action: delayed`, or only a transient 4.x.x status): automated mail. One
 * that matches none of our outbound mails is filed like other automated mail (threaded, or a complaint
 * without acknowledgement), not quarantined as backscatter: a delay warning carries no returned
 * original to forge, and MTAs often omit the original's headers from it.
 */
export const isDelayWarning = (report: BounceReport): boolean => !report.failed;
