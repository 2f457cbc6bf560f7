import { convert } from 'html-to-text';
import { type AddressObject, type EmailAddress, type HeaderLines, simpleParser } from 'mailparser';
import { readFrom } from './addresses';
import { contentDigest, dedupeKeyFor } from './dedupe';
import { repairMime } from './mimeRepair';

/** An attachment of an inbound mail, decoded. */
export interface InboundAttachment {
  filename?: string;
  contentType: string;
  size: number;
  /** SHA-256 of the decoded content, hex. */
  checksum: string;
  content: Buffer;
}

/** What the complaint system needs from an inbound mail, independent of the MIME structure. */
export interface InboundMail {
  /** The Message-ID header without angle brackets. */
  messageId?: string;
  /** `mid:<messageId>|from:<sender>`, or `sha256:<contentDigest>` when the mail has no Message-ID. */
  dedupeKey: string;
  /** SHA-256 of the raw mail without the trace fields added on receipt (see `contentDigest`). */
  contentDigest: string;
  /**
   * The sender: the first mailbox of the one From header field, normalised ({@link normalizeAddress});
   * undefined when there is no From, or when it is invalid or ambiguous (then `senderInvalid` says why).
   */
  from: { address: string; name?: string } | undefined;
  /** Why the From header names no sender that may be written to (two From fields, an invalid address). */
  senderInvalid?: string;
  /** Addresses (lower-cased) of the To headers, groups flattened. */
  to: string[];
  cc: string[];
  /** First address (lower-cased) of the Reply-To header. */
  replyTo?: string;
  /** Decoded subject; '' when there is none. */
  subject: string;
  /** The text part, or text derived from the HTML part when there is no text part. */
  text: string;
  html?: string;
  /** The first Message-ID of In-Reply-To, without angle brackets. */
  inReplyTo?: string;
  /** Message-IDs of References in order, without angle brackets. */
  references: string[];
  /** Date header as ISO 8601; absent when missing or unparseable. */
  date?: string;
  /** Lower-cased header names -> first value, unfolded and not RFC 2047-decoded. */
  headers: Record<string, string>;
  attachments: InboundAttachment[];
  /** Size of the raw mail in bytes. */
  sizeBytes: number;
}

/** A header field as it appears in the raw mail: original name, unfolded value. */
export interface HeaderField {
  name: string;
  value: string;
}

/**
 * The mail is beyond mailparser's hard limits (a MIME header block over 1 MiB, more than 1000 MIME
 * parts). Not retryable: the caller should quarantine the raw mail.
 */
export class UnparseableMailError extends Error {
  static readonly errorName = 'UnparseableMailError';
  override readonly name: string = UnparseableMailError.errorName;
}

/**
 * Parses raw MIME into an {@link InboundMail}.
 *
 * Garbage does not throw: mailparser is lenient. Bytes without a blank line after the headers are all
 * read as a header section, so such a mail has no sender, recipients, subject or text, and a `sha256:`
 * dedupe key; lines that are not valid header fields are left out of `headers`; an unparseable Date is
 * dropped (mailparser would substitute the current time). Only mail beyond mailparser's hard
 * limits rejects, with {@link UnparseableMailError}. The parser reads the bytes {@link repairMime}
 * made of the raw mail (undeclared charsets, multipart bodies without boundary lines); the digest and the
 * stored raw mail are the original bytes. A mail whose only readable part is HTML, wherever it sits in the
 * MIME tree (mailparser derives text only from a top-level HTML body), gets its text from that HTML.
 */
export async function parseInboundMail(raw: Buffer): Promise<InboundMail> {
  const parsed = await simpleParser(repairMime(raw), {
    // Inline images stay `cid:` references: the HTML is stored, not rendered, and data: URLs bloat it.
    keepCidLinks: true,
    skipTextToHtml: true,
    checksumAlgo: 'sha256',
  }).catch((cause: unknown) => {
    throw new UnparseableMailError(cause instanceof Error ? cause.message : String(cause), { cause });
  });

  const fields = headerFields(parsed.headerLines);
  const headers: Record<string, string> = {};
  for (const { name, value } of fields) headers[name.toLowerCase()] ??= value;

  const messageId = firstMessageId(headers['message-id']);
  const reading = readFrom(fields.filter((f) => f.name.toLowerCase() === 'from').map((f) => f.value));
  const name = mailboxesOf(parsed.from)[0]?.name;
  const from =
    reading.kind === 'mailbox' ? { address: reading.address, ...(name ? { name } : {}) } : undefined;
  const digest = contentDigest(raw);
  const dateMs = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
  const html = typeof parsed.html === 'string' ? parsed.html : undefined;
  const replyTo = addressesOf(parsed.replyTo)[0]?.address;
  const inReplyTo = firstMessageId(headers['in-reply-to']);
  return {
    ...(messageId ? { messageId } : {}),
    dedupeKey: dedupeKeyFor(messageId, from?.address ?? '', digest),
    contentDigest: digest,
    from,
    ...(reading.kind === 'invalid' ? { senderInvalid: reading.reason } : {}),
    to: addressesOf(parsed.to).map((a) => a.address),
    cc: addressesOf(parsed.cc).map((a) => a.address),
    ...(replyTo ? { replyTo } : {}),
    subject: parsed.subject ?? '',
    text: parsed.text?.trim() ? parsed.text : html ? textOfHtml(html) : '',
    ...(html ? { html } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
    references: messageIds(headers.references),
    ...(Number.isNaN(dateMs) ? {} : { date: new Date(dateMs).toISOString() }),
    headers,
    attachments: parsed.attachments.map((a) => ({
      ...(a.filename ? { filename: a.filename } : {}),
      contentType: a.contentType,
      size: a.size,
      checksum: a.checksum,
      content: a.content,
    })),
    sizeBytes: raw.length,
  };
}

/** Plain text of an HTML body: links keep their URL, images and inline styles are dropped. */
function textOfHtml(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    ],
  }).trim();
}

// RFC 5322 §3.6.4 msg-id is `<id-left@id-right>`; ids without brackets (seen from broken clients) count
// only when no bracketed id is present.
function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] as string);
  if (bracketed.length > 0) return bracketed;
  return value.split(/[\s,]+/).filter((id) => id.includes('@'));
}

function firstMessageId(value: string | undefined): string | undefined {
  return messageIds(value)[0];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Header fields of a parsed mail in message order: unfolded (RFC 5322 §2.2.3) and trimmed. mailparser
 * hands header lines over as binary strings; RFC 6532 allows UTF-8 there, anything else stays Latin-1.
 * Lines that are not `name: value` with a valid field name (printable ASCII, no colon) are skipped.
 */
export function headerFields(lines: HeaderLines): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const { line } of lines) {
    const bytes = Buffer.from(line, 'latin1');
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      text = line;
    }
    const colon = text.indexOf(':');
    const name = text.slice(0, colon).trimEnd();
    if (colon <= 0 || !/^[!-9;-~]+$/.test(name)) continue;
    fields.push({
      name,
      value: text
        .slice(colon + 1)
        .replace(/\r?\n(?=[ \t])/g, '')
        .trim(),
    });
  }
  return fields;
}

/** Mailboxes of an address header (or repeated headers) with groups flattened; entries without an address dropped. */
export function mailboxesOf(
  header: AddressObject | AddressObject[] | undefined,
): { address: string; name: string }[] {
  const flatten = (list: EmailAddress[]): EmailAddress[] =>
    list.flatMap((a) => (a.group ? flatten(a.group) : [a]));
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return flatten(objects.flatMap((o) => o.value)).flatMap((a) =>
    a.address ? [{ address: a.address, name: a.name }] : [],
  );
}

function addressesOf(
  header: AddressObject | AddressObject[] | undefined,
): { address: string; name?: string }[] {
  return mailboxesOf(header).map((a) => ({
    address: a.address.toLowerCase(),
    ...(a.name ? { name: a.name } : {}),
  }));
}
