/** Our own loop header: mail carrying it came from us and is never answered automatically. */
export const loopHeaderName = 'X-Complaints-Loop';

/**
 * Longest header value SES v2 accepts in `Simple` content `Headers` (SendEmail refuses longer values;
 * RFC 5322 §2.1.1 caps a line at 998 characters, SES keeps room for the field name and folding).
 */
export const maxHeaderValueLength = 870;

export interface OutboundHeaderInput {
  /** Message-ID (without brackets) of the mail being answered, if any. */
  inReplyTo?: string;
  references?: string[];
  /** True for mail no person wrote (acknowledgements, reminders): RFC 3834 `Auto-Submitted: auto-replied`. */
  automatic: boolean;
  mailDomain: string;
}

/**
 * A Message-ID usable in an outgoing header, bracketed, or undefined. SES v2 refuses non-ASCII header
 * values (an RFC 6532 id from a UTF-8 client) and RFC 5322 §3.6.4 ids carry no whitespace, brackets or
 * control characters; such ids are dropped rather than repaired, since a repaired id matches nothing.
 */
function outboundMessageId(id: string): string | undefined {
  const bare = id.replace(/^<|>$/g, '');
  const bracketed = `<${bare}>`;
  return /^[!-;=?-~]+@[!-;=?-~]+$/.test(bare) && bracketed.length <= maxHeaderValueLength
    ? bracketed
    : undefined;
}

/**
 * The References of a reply (RFC 5322 §3.6.4: the parent's References followed by the parent's id),
 * trimmed to the most recent ids that fit in one SES header value: a thread of 200 mails would
 * otherwise make SES refuse the mail. Mail clients thread on the newest ids.
 */
function referencesValue(ids: string[]): string | undefined {
  const kept: string[] = [];
  let length = -1;
  for (const id of [...new Set(ids.flatMap((i) => outboundMessageId(i) ?? []))].reverse()) {
    if (length + 1 + id.length > maxHeaderValueLength) break;
    kept.unshift(id);
    length += 1 + id.length;
  }
  return kept.length > 0 ? kept.join(' ') : undefined;
}

/**
 * A header value SES v2 accepts whatever the input: one line (CR/LF would start a new header field,
 * a header injection), printable ASCII, at most {@link maxHeaderValueLength} characters.
 */
export function safeHeaderValue(value: string): string {
  return value
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, maxHeaderValueLength);
}

/**
 * Threading and loop-guard headers for a mail to a customer: In-Reply-To/References make mail clients
 * thread the conversation; the loop header and Auto-Submitted stop other robots from answering robots.
 * Every value is one line of printable ASCII within SES's length limit.
 */
export function outboundHeaders(input: OutboundHeaderInput): Record<string, string> {
  const headers: Record<string, string> = { [loopHeaderName]: safeHeaderValue(input.mailDomain) };
  if (input.automatic) {
    headers['Auto-Submitted'] = 'auto-replied';
    // Asks Exchange/Outlook not to answer with out-of-office or other auto-replies (MS-OXCMAIL 2.2.3.2.14).
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  const parent = input.inReplyTo === undefined ? undefined : outboundMessageId(input.inReplyTo);
  if (parent) {
    headers['In-Reply-To'] = parent;
    const references = referencesValue([...(input.references ?? []), parent]);
    if (references) headers.References = references;
  }
  return headers;
}
