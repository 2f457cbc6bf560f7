import { createHash } from 'node:crypto';

/**
 * Header fields that receiving hops add on the way in (RFC 5321 §4.4 trace fields, SES's own verdict
 * and signature headers, authentication results). They differ between two deliveries of the same mail,
 * so they are left out of its content digest.
 */
const traceFields = new Set([
  'return-path',
  'received',
  'received-spf',
  'authentication-results',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
  'delivered-to',
  'x-original-to',
  'x-received',
]);
/** Whether a header field (its lower-cased name) is one a receiving hop added, not the sender. */
export const isTraceField = (name: string) => traceFields.has(name) || name.startsWith('x-ses-');

/** Offset of the body: after the first empty line (CRLF or bare LF), or the end when there is none. */
function bodyOffset(raw: Buffer): number {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) return i + 2;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 3;
  }
  return raw.length;
}

/**
 * SHA-256 (hex) of a raw mail without the trace fields receiving hops prepend: the same mail delivered
 * twice (a retried SMTP transaction, SES and async Lambda redeliveries) has the same digest although
 * SES stores each copy with its own Return-Path and Received lines. Works on bytes that no MIME parser
 * can read, so unreadable mail has a stable identity too.
 */
export function contentDigest(raw: Buffer): string {
  const offset = bodyOffset(raw);
  const header = raw.subarray(0, offset).toString('latin1');
  // RFC 5322 §2.2.3: a line starting with white space continues the previous field.
  const fields: string[] = [];
  for (const line of header.split(/\r?\n/)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  const kept = fields.filter((field) => {
    const colon = field.indexOf(':');
    return colon <= 0 || !isTraceField(field.slice(0, colon).trim().toLowerCase());
  });
  return createHash('sha256')
    .update(kept.join('\r\n'), 'latin1')
    .update('\r\n\r\n')
    .update(raw.subarray(offset))
    .digest('hex');
}

/**
 * The identity intake deduplicates on. RFC 5322 §3.6.4 makes a Message-ID unique per sender's host,
 * not across senders: another sender's mail reusing the id (a broken generator, or a forgery aimed at
 * swallowing the customer's mail) must not be taken for a redelivery, so the key pairs it with the
 * sender. Without a Message-ID the content digest stands in.
 */
export function dedupeKeyFor(messageId: string | undefined, sender: string, digest: string): string {
  return messageId ? `mid:${messageId}|from:${sender.toLowerCase()}` : `sha256:${digest}`;
}

/**
 * The key for a mail that reuses a Message-ID (same sender) with different content: filed as a mail of
 * its own rather than dropped as a redelivery.
 */
export function divergentDedupeKey(dedupeKey: string, digest: string): string {
  return `${dedupeKey}|sha256:${digest}`;
}
