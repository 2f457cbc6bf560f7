/**
 * What is kept of values a mail names in its headers, whatever a sender puts there. Each bound is one a
 * mail system keeps itself, so no real mail loses anything; without them a single field (a display
 * name or a Message-ID of 300 KB, ten thousand recipients) made the complaint's first write exceed
 * DynamoDB's 400 KB item limit, and the mail was retried and dead-lettered instead of filed.
 */
export const headerValueBounds = {
  /** A Message-ID longer than an RFC 5322 line (998 characters) is no id a mail system made: ignored. */
  messageId: 998,
  /** A field of a delivery status report (RFC 3464: Diagnostic-Code, Action), cut at a line's length. */
  reportField: 998,
  /** A header value quoted in a loop-guard reason (List-Id, X-Autoreply…), cut at a line's length. */
  reasonValue: 998,
  /**
   * A From field longer than this is read as no sender (filed under a placeholder, never answered): one
   * mailbox, its display name RFC 2047-encoded, takes far less.
   */
  fromField: 4096,
  /** Display names (From): cut, with an ellipsis. */
  name: 256,
  /** Addresses longer than RFC 5321's 254 octets cannot be delivered to: ignored. */
  address: 254,
  /** Addresses kept of a To or Cc header, and of a delivery's envelope recipients. */
  addresses: 100,
  /** Attachment file names (a file system's usual limit), cut before the extension. */
  filename: 255,
  /** Media types (RFC 6838 §4.2: 127 characters for the type and the subtype each). */
  contentType: 255,
} as const;

/** `value` cut to `max` characters (UTF-16 units, never half a surrogate pair), with an ellipsis when cut. */
export function boundedValue(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}
