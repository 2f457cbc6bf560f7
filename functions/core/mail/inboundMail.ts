import { createHash } from 'node:crypto';
import PostalMime, { type Address, type Attachment, decodeWords } from 'postal-mime';
import { contentDigest, dedupeKeyFor } from './dedupe';
import { boundedValue, headerValueBounds } from './headerBounds';
import { decodeJisSegments, repairMime } from './mimeRepair';
import { readFrom } from './sender';
import { singleLine } from './templates';

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
  /** The Message-ID header without angle brackets (absent when longer than a header line may be). */
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
  /**
   * Addresses (lower-cased) of the To headers, groups flattened; the first 100 that can be addresses
   * (see {@link headerValueBounds}, which bounds every value read from the headers).
   */
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
 * The mail is beyond the parser's limits (header fields over 1 MiB in all, more than 1000 MIME parts,
 * MIME nesting deeper than 256). Not retryable: the caller should quarantine the raw mail.
 */
export class UnparseableMailError extends Error {
  static readonly errorName = 'UnparseableMailError';
  override readonly name: string = UnparseableMailError.errorName;
}

/** Header bytes of the whole mail, every part's header block together. */
const maxHeaderBytes = 1024 * 1024;
/** MIME body parts of the whole mail, at every level. */
const maxParts = 1000;

/**
 * Parses raw MIME into an {@link InboundMail}.
 *
 * Garbage does not throw: the parser (postal-mime) is lenient. Bytes without a blank line after the
 * headers are all read as a header section, so such a mail has no sender, recipients, subject or text,
 * and a `sha256:` dedupe key; lines that are not valid header fields are left out of `headers`; an
 * unparseable Date is dropped. Only mail beyond the limits rejects, with {@link UnparseableMailError}.
 * The parser reads the bytes {@link repairMime} made of the raw mail (undeclared charsets, multipart
 * bodies without boundary lines); the digest and the stored raw mail are the original bytes. A mail
 * whose only readable part is HTML, wherever it sits in the MIME tree, gets its text from that HTML.
 */
export async function parseInboundMail(raw: Buffer): Promise<InboundMail> {
  const repaired = await repairMime(raw);
  const parts = mimePartCount(repaired);
  if (parts > maxParts) throw new UnparseableMailError(`${parts} MIME parts, more than ${maxParts}`);
  const parsed = await PostalMime.parse(repaired, {
    // A returned or forwarded message is kept whole as an attachment (as sent, with its own headers),
    // not merged into the text of the mail that carries it.
    forceRfc822Attachments: true,
    maxHeadersSize: maxHeaderBytes,
  }).catch((cause: unknown) => {
    throw new UnparseableMailError(cause instanceof Error ? cause.message : String(cause), { cause });
  });

  const fields = headerFields(parsed.headerLines);
  const headers: Record<string, string> = {};
  for (const { name, value } of fields) headers[name.toLowerCase()] ??= value;

  const messageId = firstMessageId(headers['message-id']);
  const reading = readFrom(fields.filter((f) => f.name.toLowerCase() === 'from').map((f) => f.value));
  // The display name is what we greet the customer by: one line, whatever an encoded-word decoded to.
  // A name in raw ISO-2022-JP (old Japanese clients) is decoded from the name the address was read
  // with: the parser drops the escapes, and decoding the field before reading it could move the address.
  const jisName = reading.kind === 'mailbox' && reading.name?.includes('\x1b') ? reading.name : undefined;
  // A name with a comma the sender's client left unquoted (`Kowalski, Anna <…>`) is two entries to the
  // MIME parser, the first without an address: the name is then the one the sender was read with.
  const readName = reading.kind === 'mailbox' && reading.name ? decodeWords(reading.name) : undefined;
  const fromName = singleLine(
    jisName ? decodeJisSegments(jisName) : (mailboxesOf(parsed.from)[0]?.name ?? readName ?? ''),
  );
  const name = fromName ? boundedValue(fromName, headerValueBounds.name) : undefined;
  const from =
    reading.kind === 'mailbox' ? { address: reading.address, ...(name ? { name } : {}) } : undefined;
  const digest = contentDigest(raw);
  const dateMs = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
  const html = parsed.html || undefined;
  // A base64 text part keeps the CRLF line breaks it was encoded with; the text is kept with LF.
  const text = parsed.text?.replace(/\r\n/g, '\n');
  const replyTo = addressesOf(parsed.replyTo)[0]?.address;
  const inReplyTo = firstMessageId(headers['in-reply-to']);
  const attachments = parsed.attachments.map(inboundAttachment);
  const ownText = text?.trim() ? text : html ? await textOfHtml(html) : '';
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
    // A report's returned message (a bounce's, a read receipt's) is our own mail, not a forward.
    text:
      ownText.trim() || /^\s*multipart\/report\b/i.test(headers['content-type'] ?? '')
        ? ownText
        : await forwardedText(attachments),
    ...(html ? { html } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
    references: messageIds(headers.references),
    ...(Number.isNaN(dateMs) ? {} : { date: new Date(dateMs).toISOString() }),
    headers,
    attachments,
    sizeBytes: raw.length,
  };
}

/**
 * The text of a mail that says nothing itself but forwards a message (Outlook's "Forward as
 * attachment" sent without a word, a client that sends the forward as the whole mail: `Content-Type:
 * message/rfc822`): the first forwarded message's text, under the lines that say whose it is, as mail
 * clients quote a forward inline. The message itself stays an attachment as sent; without this the
 * complaint had no text at all. '' when there is none.
 */
async function forwardedText(attachments: InboundAttachment[]): Promise<string> {
  const forwarded = attachments.find((a) => /^message\/(rfc822|global)$/i.test(a.contentType));
  if (!forwarded) return '';
  // Within the limits the mail itself is held to (a base64 forward hides its parts from the count).
  const repaired = await repairMime(forwarded.content);
  if (mimePartCount(repaired) > maxParts) return '';
  const inner = await PostalMime.parse(repaired, {
    forceRfc822Attachments: true,
    maxHeadersSize: maxHeaderBytes,
  }).catch(() => undefined);
  if (!inner) return '';
  const text = inner.text?.trim()
    ? inner.text.replace(/\r\n/g, '\n')
    : inner.html
      ? await textOfHtml(inner.html)
      : '';
  if (!text.trim()) return '';
  const from = mailboxesOf(inner.from)[0];
  const lines = [
    '---------- Forwarded message ----------',
    ...(from ? [`From: ${singleLine(from.name ? `${from.name} <${from.address}>` : from.address)}`] : []),
    ...(inner.subject ? [`Subject: ${singleLine(inner.subject)}`] : []),
  ];
  return `${lines.join('\n')}\n\n${text.trim()}`;
}

// Internet messages and their headers (RFC 5322 §2.1) and iCalendar (RFC 5545 §3.1) have CRLF line
// ends, but postal-mime's line decoders (unencoded and quoted-printable parts) hand lines over with LF,
// and so does its calendar normalisation. Other parts stay as decoded: base64 byte for byte, other
// text sent unencoded or quoted-printable in LF lines (RFC 2049 §4's local form).
const crlfTypes = /^(message\/|text\/rfc822-headers$|text\/calendar$|application\/ics$)/;
const messageTypes = /^(message\/|text\/rfc822-headers$)/;

function inboundAttachment(attachment: Attachment): InboundAttachment {
  // Content is an ArrayBuffer (the default attachmentEncoding), or bytes for a calendar.
  const decoded = attachment.content as ArrayBuffer | Uint8Array;
  let content = ArrayBuffer.isView(decoded)
    ? Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength)
    : Buffer.from(decoded);
  // No CR at all: the lines went through those decoders (base64 content, CRs and all, stays as it is).
  if (crlfTypes.test(attachment.mimeType) && !content.includes(0x0d)) {
    let lines = content.toString('latin1');
    // The line break before the next boundary line belongs to that line (RFC 2046 §5.1.1), not to
    // the part, but the decoders keep it (a calendar comes with exactly one final line break).
    if (messageTypes.test(attachment.mimeType)) lines = lines.replace(/\n$/, '');
    content = Buffer.from(lines.replaceAll('\n', '\r\n'), 'latin1');
  }
  return {
    ...(attachment.filename ? { filename: boundedFilename(attachment.filename) } : {}),
    contentType:
      attachment.mimeType.length <= headerValueBounds.contentType
        ? attachment.mimeType
        : 'application/octet-stream',
    size: content.length,
    checksum: createHash('sha256').update(content).digest('hex'),
    content,
  };
}

/** A file name cut to its bound before its extension, so that the kind of file still shows. */
function boundedFilename(filename: string): string {
  const max = headerValueBounds.filename;
  if (filename.length <= max) return filename;
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(filename)?.[0] ?? '';
  return `${boundedValue(filename.slice(0, filename.length - extension.length), max - extension.length)}${extension}`;
}

/**
 * MIME body parts in a mail at every level: the lines that open a part (`--boundary`, RFC 2046 §5.1.1)
 * of any boundary the mail declares. Counted before parsing, since the parser bounds nesting, not breadth.
 */
function mimePartCount(raw: Buffer): number {
  const text = raw.toString('latin1');
  const boundaries = new Set<string>();
  for (const match of text.matchAll(/boundary\s*=\s*(?:"([^"\r\n]+)"|([^;\s"]+))/gi)) {
    boundaries.add((match[1] ?? match[2]) as string);
  }
  if (boundaries.size === 0) return 0;
  let parts = 0;
  for (const match of text.matchAll(/^--([^\r\n]*?)[ \t]*\r?$/gm)) {
    if (boundaries.has(match[1] as string)) parts++;
  }
  return parts;
}

/**
 * Plain text of an HTML body: links keep their URL, images and inline styles are dropped. The converter
 * is imported here, on the first HTML-only mail, outside what intake's cold start loads.
 *
 * The converter builds the document tree and walks it recursively: a body nesting a few thousand
 * elements overflows the stack (`RangeError`), and building the tree takes time quadratic in the depth
 * (minutes for a 2 MB body). A client that leaves a long thread's `"Ann" <ann@example.org>` unescaped
 * opens a tag per address and closes none, and a crafted mail can do the same on purpose: such a mail
 * failed intake on every retry and was dead-lettered instead of filed. Its text is read flat instead
 * ({@link flatTextOfHtml}), when its tags nest deeper than {@link maxHtmlDepth} or the converter fails so.
 */
async function textOfHtml(html: string): Promise<string> {
  if (htmlNesting(html) > maxHtmlDepth) return flatTextOfHtml(html);
  const { convert } = await import('html-to-text');
  try {
    return convert(html, {
      wordwrap: false,
      selectors: [
        { selector: 'img', format: 'skip' },
        { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      ],
    }).trim();
  } catch (cause) {
    if (!(cause instanceof RangeError)) throw cause;
    return flatTextOfHtml(html);
  }
}

/** Nesting the converter handles quickly (it overflows the stack at about 2,500 levels). */
const maxHtmlDepth = 1000;
/** Elements without content or end tag (HTML's void elements). */
const voidElements =
  /^(area|base|br|col|embed|hr|img|input|link|meta|param|source|track|wbr|basefont|bgsound|frame|keygen)$/;
/** Elements whose content is no text a reader sees. */
const hiddenElements = /^(head|script|style|template|title)$/;
/** Elements that start and end a line of their own. */
const blockElements =
  /^(address|article|aside|blockquote|br|dd|div|dl|dt|footer|h[1-6]|header|hr|li|ol|p|pre|section|table|td|th|tr|ul)$/;

interface HtmlToken {
  /** Text between tags, entities not decoded. */
  text?: string;
  tag?: { name: string; closing: boolean; selfClosing: boolean };
}

/**
 * The tags and texts of an HTML document in order, in one pass (each step moves past what it read, so
 * the time is linear in the length whatever the nesting): a `<` that opens no tag, or has no `>` after
 * it, is text; comments, doctypes and processing instructions are skipped.
 */
function* htmlTokens(html: string): Generator<HtmlToken> {
  let i = 0;
  // The next `>`, searched for again only once passed (a run of `<` without one is read once).
  let gt = -1;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      yield { text: html.slice(i) };
      return;
    }
    if (lt > i) yield { text: html.slice(i, lt) };
    const comment = html.startsWith('<!--', lt);
    if (gt <= lt) gt = html.indexOf('>', lt + 1);
    const close = comment ? html.indexOf('-->', lt + 4) : gt;
    if (close < 0) {
      yield { text: html.slice(lt) };
      return;
    }
    const end = close + (comment ? 3 : 1);
    const tag = /^<(\/?)([A-Za-z][^\s/>]*)/.exec(html.slice(lt, Math.min(end, lt + 100)));
    if (tag) {
      const name = (tag[2] as string).toLowerCase();
      yield { tag: { name, closing: tag[1] === '/', selfClosing: html[close - 1] === '/' } };
      i = end;
    } else if (/^<[!?/]/.test(html.slice(lt, lt + 2))) {
      i = end;
    } else {
      yield { text: '<' };
      i = lt + 1;
    }
  }
}

/**
 * Elements whose end tag HTML lets the next one imply (`<p>a<p>b`, `<li>`, table cells): the parser
 * closes them, so a page of thousands of unclosed paragraphs does not nest.
 */
const impliedEndElements = /^(p|li|dt|dd|tr|td|th|option|optgroup|thead|tbody|tfoot|colgroup|rb|rt|rtc|rp)$/;

/**
 * How deep the elements of an HTML document nest at most, counting every start tag not yet ended
 * (but void elements and those whose end the next one implies).
 */
function htmlNesting(html: string): number {
  let depth = 0;
  let max = 0;
  for (const { tag } of htmlTokens(html)) {
    if (!tag || tag.selfClosing || voidElements.test(tag.name) || impliedEndElements.test(tag.name)) continue;
    depth = tag.closing ? Math.max(0, depth - 1) : depth + 1;
    max = Math.max(max, depth);
  }
  return max;
}

/**
 * The text of an HTML body read flat, in one pass ({@link htmlTokens}): every text in document order
 * with its entities decoded, a line break around block elements, nothing of hidden ones.
 */
async function flatTextOfHtml(html: string): Promise<string> {
  const { decodeHTML } = await import('entities');
  const chunks: string[] = [];
  /** The hidden element being skipped, until its end tag. */
  let hidden: string | undefined;
  for (const { text, tag } of htmlTokens(html)) {
    if (tag && hidden) {
      if (tag.closing && tag.name === hidden) hidden = undefined;
    } else if (tag) {
      if (hiddenElements.test(tag.name) && !tag.closing && !tag.selfClosing) hidden = tag.name;
      else if (blockElements.test(tag.name)) chunks.push('\n');
    } else if (!hidden) chunks.push(decodeHTML(text as string));
  }
  return chunks
    .join('')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

// RFC 5322 §3.6.4 msg-id is `<id-left@id-right>`; ids without brackets (seen from broken clients) count
// only when no bracketed id is present.
function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] as string);
  // Bare ids (`abc@host`, as some broken clients send them) are read too, but not a piece of a
  // bracketed one that holds spaces (`<a b c@host>` is no id; `c@host` would name another mail).
  const ids =
    bracketed.length > 0
      ? bracketed
      : value.split(/[\s,]+/).filter((id) => id.includes('@') && !/[<>]/.test(id));
  return ids.filter((id) => id.length <= headerValueBounds.messageId);
}

function firstMessageId(value: string | undefined): string | undefined {
  return messageIds(value)[0];
}

/**
 * Header fields of a parsed mail in message order: unfolded (RFC 5322 §2.2.3) and trimmed, not RFC
 * 2047-decoded. The parser decodes header bytes as UTF-8 (RFC 6532); {@link repairMime} has transcoded
 * header fields in other charsets before. Lines that are not `name: value` with a valid field name
 * (printable ASCII, no colon) are skipped.
 */
export function headerFields(lines: readonly { line: string }[]): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const { line } of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trimEnd();
    if (colon <= 0 || !/^[!-9;-~]+$/.test(name)) continue;
    fields.push({
      name,
      value: line
        .slice(colon + 1)
        .replace(/\r?\n(?=[ \t])/g, '')
        .trim(),
    });
  }
  return fields;
}

/** Mailboxes of an address header (or a list of them) with groups flattened; entries without an address dropped. */
export function mailboxesOf(
  header: Address | readonly Address[] | undefined,
): { address: string; name: string }[] {
  const list: readonly Address[] =
    header === undefined ? [] : Array.isArray(header) ? header : [header as Address];
  return list
    .flatMap((a) => a.group ?? [a])
    .flatMap((a) => (a.address ? [{ address: a.address, name: a.name }] : []));
}

/** The addresses of a To, Cc or Reply-To header, lower-cased, within {@link headerValueBounds}. */
function addressesOf(header: readonly Address[] | undefined): { address: string }[] {
  return mailboxesOf(header)
    .filter((a) => a.address.length <= headerValueBounds.address)
    .slice(0, headerValueBounds.addresses)
    .map((a) => ({ address: a.address.toLowerCase() }));
}
