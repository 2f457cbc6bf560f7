import { domainToASCII } from 'node:url';

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
/** A dot-atom local part (RFC 5322 §3.2.3), which needs no quotes. */
export const dotAtom = new RegExp(`^${atext}(?:\\.${atext})*$`);
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
