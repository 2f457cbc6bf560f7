import { domainToASCII } from 'node:url';
import emailAddresses from 'email-addresses';
import { headerValueBounds } from './headerBounds';
import type { InboundMail } from './inboundMail';

/**
 * The one reading of an email address used by intake, the agent API and erasure: whatever intake files
 * as a customer address, the API accepts, looks up and erases as the same string.
 *
 * Valid (RFC 5321 §4.1.2 / RFC 5322 §3.4.1, as SES v2 sends to it): a dot-atom or quoted local part of
 * printable ASCII, at most 64 octets; a domain of at least two labels (a single-label domain has no MX
 * on the Internet, `redacted@redacted`), each a letter-digit-hyphen label of at most 63 octets, at most
 * 253 octets in all, no trailing dot (`yahoo.com.` is a DNS root notation, not an address), a
 * non-numeric top-level label (RFC 3696 §2); an internationalised domain in its IDNA (punycode) form.
 * Normalised: lower-cased (providers treat local parts case-insensitively; the existing data is
 * lower-cased) with the domain in ASCII.
 */
export function normalizeAddress(input: string): string | undefined {
  const at = input.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = input.slice(0, at);
  const domain = asciiDomain(input.slice(at + 1));
  if (!domain || !validLocalPart(local)) return undefined;
  return `${local.toLowerCase()}@${domain}`;
}

export const isValidAddress = (input: string): boolean => normalizeAddress(input) !== undefined;

const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const dotAtom = new RegExp(`^${atext}(?:\\.${atext})*$`);
// RFC 5322 §3.2.4: qtext is printable ASCII except `"` and `\`; quoted-pair escapes any printable or space.
const quotedString = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;

function validLocalPart(local: string): boolean {
  return local.length <= 64 && (dotAtom.test(local) || quotedString.test(local));
}

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function asciiDomain(input: string): string | undefined {
  if (input === '' || input.endsWith('.') || /\s/.test(input)) return undefined;
  // domainToASCII applies UTS #46 (IDNA) and answers '' for what cannot be a host name.
  const ascii = /^[\x21-\x7e]+$/.test(input) ? input.toLowerCase() : domainToASCII(input);
  const labels = ascii.split('.');
  if (ascii.length > 253 || labels.length < 2 || !labels.every((l) => label.test(l))) return undefined;
  return /^\d+$/.test(labels.at(-1) as string) ? undefined : ascii;
}

/** The parser gives a quoted local part unquoted (`john doe`); it is quoted again to stay one address. */
const quotedIfNeeded = (local: string) =>
  dotAtom.test(local) ? local : `"${local.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** The sender of a mail as read from its From header fields. */
export type FromReading =
  | { kind: 'mailbox'; address: string }
  | { kind: 'absent' }
  | { kind: 'invalid'; reason: string };

/**
 * Reads the sender from the From header field values (raw, unfolded). Exactly one field with a
 * mailbox whose address is valid gives the sender; the first mailbox counts when the field lists
 * several (RFC 5322 §3.6.2 then wants a Sender, which names the transmitter, not the author).
 *
 * Nothing is guessed: RFC 5322 §3.6 allows one From field, so two are ambiguous (which one is the
 * customer?), and a value that is no RFC 5322 address (`<power quadrant system@example.com>`, where a
 * lenient reader keeps only the last word) is invalid, not repaired.
 */
export function readFrom(values: string[]): FromReading {
  if (values.length === 0) return { kind: 'absent' };
  if (values.length > 1) return { kind: 'invalid', reason: `${values.length} From header fields` };
  const value = values[0] as string;
  // The address parser takes seconds on a From of hundreds of KB (header fields may have 1 MiB).
  if (value.length > headerValueBounds.fromField)
    return {
      kind: 'invalid',
      reason: `From header field of ${value.length} characters, more than a mailbox takes (${headerValueBounds.fromField})`,
    };
  const list = emailAddresses.parseAddressList({ input: value, rfc6532: true });
  const first = list?.flatMap((a) => (a.type === 'group' ? a.addresses : [a]))[0];
  if (!first) return { kind: 'invalid', reason: `From is not an RFC 5322 address: ${value.slice(0, 200)}` };
  const address = normalizeAddress(`${quotedIfNeeded(first.local)}@${first.domain}`);
  return address
    ? { kind: 'mailbox', address }
    : { kind: 'invalid', reason: `From address is not deliverable: ${first.address.slice(0, 200)}` };
}

/**
 * The address a mail is filed under: the From mailbox; the envelope sender only when there is no From
 * at all (the SMTP MAIL FROM is then the one address the mail names). A mail whose sender is invalid
 * or ambiguous is filed under a placeholder that is no address (no `@`), so nothing is ever sent to a
 * guess; the placeholder is unique per mail (its content digest), so such mails never add up to one
 * customer. `senderInvalid` says why, for the agent.
 */
export function filedSender(
  mail: Pick<InboundMail, 'from' | 'senderInvalid' | 'contentDigest'>,
  envelopeSender: string,
): { sender: string; senderInvalid?: string } {
  if (mail.from) return { sender: mail.from.address };
  const envelope = mail.senderInvalid === undefined ? normalizeAddress(envelopeSender) : undefined;
  if (envelope) return { sender: envelope };
  const senderInvalid =
    mail.senderInvalid ??
    (envelopeSender === ''
      ? 'No From header field and a null envelope sender'
      : `No From header field and the envelope sender is not deliverable: ${envelopeSender.slice(0, 200)}`);
  return { sender: `unknown-sender-${mail.contentDigest.slice(0, 16)}`, senderInvalid };
}
