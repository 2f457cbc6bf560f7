import emailAddresses from 'email-addresses';
import { dotAtom, normalizeAddress } from './addresses';
import { headerValueBounds } from './headerBounds';
import type { InboundMail } from './inboundMail';

/*
 * Who sent a mail, read from its From header field with an RFC 5322 parser (email-addresses). Only
 * intake reads senders; the functions that validate or send to an address need `addresses.ts` alone,
 * and so do not load the parser.
 */

/** The parser gives a quoted local part unquoted (`john doe`); it is quoted again to stay one address. */
const quotedIfNeeded = (local: string) =>
  dotAtom.test(local) ? local : `"${local.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** The sender of a mail as read from its From header fields. */
export type FromReading =
  | {
      kind: 'mailbox';
      address: string;
      /** The display name as written (RFC 2047 words not decoded), when there is one. */
      name?: string;
    }
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
  const nesting = commentNesting(value);
  if (nesting > maxCommentNesting)
    return { kind: 'invalid', reason: `From header field with comments nested ${nesting} deep` };
  const first = firstMailbox(value) ?? firstMailbox(withQuotedName(value));
  if (!first) return { kind: 'invalid', reason: `From is not an RFC 5322 address: ${value.slice(0, 200)}` };
  const address = normalizeAddress(`${quotedIfNeeded(unquotedLocal(first.local, value))}@${first.domain}`);
  return address
    ? { kind: 'mailbox', address, ...(first.name ? { name: first.name } : {}) }
    : { kind: 'invalid', reason: `From address is not deliverable: ${first.address.slice(0, 200)}` };
}

/**
 * The parser keeps the white space of the comment or folding beside a local part in it when the
 * domain has folding white space too (RFC 5322 §4.4: `<pete(his account)@silly .test>` gave `pete `,
 * and the sender would have been `"pete "@silly.test`, a mailbox of its own). White space is part of
 * a local part only inside a quoted string; one the value does not quote has it trimmed.
 */
function unquotedLocal(local: string, value: string): string {
  const trimmed = local.trim();
  return trimmed !== local && !value.includes(`"${local}"`) ? trimmed : local;
}

/**
 * Comments (RFC 5322 §3.2.2) nest; mail clients write one level at most (`(Mail Delivery System)`). The
 * address parser descends recursively into each level, and a From of some 2,000 nested `(` (within the
 * field's bound) overflowed its stack: the mail failed intake on every retry instead of being filed.
 */
const maxCommentNesting = 50;

/** How deep the comments of a header field value nest (outside quoted strings; escapes skipped). */
function commentNesting(value: string): number {
  let depth = 0;
  let max = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '"' && depth === 0) quoted = !quoted;
    else if (!quoted && c === '(') max = Math.max(max, ++depth);
    else if (!quoted && c === ')' && depth > 0) depth--;
  }
  return max;
}

/**
 * The first mailbox of an address list, groups flattened; undefined for a value the parser refuses,
 * and for one it cannot read within the stack it has (a runtime's stack may be smaller than the one
 * {@link maxCommentNesting} was measured in).
 */
function firstMailbox(value: string | undefined) {
  if (value === undefined) return undefined;
  try {
    return emailAddresses
      .parseAddressList({ input: value, rfc6532: true })
      ?.flatMap((a) => (a.type === 'group' ? a.addresses : [a]))[0];
  } catch (cause) {
    if (cause instanceof RangeError) return undefined;
    throw cause;
  }
}

/**
 * A From value with one angle address at its end and a display name that RFC 5322 wants quoted but the
 * sending client left bare, with the name quoted: `Doe, John <john@example.org>` (the comma would split
 * it into two mailboxes) and `john@example.org <john@example.org>` (an `@` in a bare name) are common in
 * real mail, and the address in the angle brackets is as unambiguous as in `"Doe, John" <...>`. The
 * address itself is parsed as strictly as ever; anything else (two angle addresses, a bracket inside the
 * name or the address) gives undefined.
 */
function withQuotedName(value: string): string | undefined {
  const match = /^([^<>]*)<([^<>]*)>\s*$/.exec(value);
  const name = match?.[1]?.trim();
  if (!match || !name) return undefined;
  return `"${name.replace(/^"|"$/g, '').replace(/["\\]/g, (c) => `\\${c}`)}" <${match[2]}>`;
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
