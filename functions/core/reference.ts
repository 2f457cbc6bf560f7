import { createHash } from 'node:crypto';

// Crockford base32: no I, L, O, U, so a reference read over the phone is unambiguous.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * Derives the complaint id from the inbound mail's identity (Message-ID, or a hash of the raw mail):
 * mail delivered more than once maps to the same id, which makes intake idempotent without transactions.
 */
export function complaintIdFor(mailIdentity: string): string {
  return createHash('sha256').update(mailIdentity).digest('hex').slice(0, 26);
}

/** The shape of every id {@link complaintIdFor} makes (complaints' and quarantined mails'). */
export const complaintIdPattern = /^[0-9a-f]{26}$/;

/**
 * Human reference `CMP-XXXXXX` (6 Crockford base32 characters, ~1e9 values). `attempt` picks another
 * candidate deterministically when the first is taken (uniqueness is enforced by a conditional write).
 */
export function referenceFor(complaintId: string, attempt = 0): string {
  const digest = createHash('sha256').update(`${complaintId}#${attempt}`).digest();
  let value = digest.readUIntBE(0, 4);
  let out = '';
  for (let i = 0; i < 6; i++) {
    out += alphabet[value % 32];
    value = Math.floor(value / 32);
  }
  return `CMP-${out}`;
}

/**
 * The characters of a reference as people type it (see {@link canonicalReference}), to build patterns
 * with. Both cases are spelled out, without the `i` flag: the API's OpenAPI document states a pattern
 * built from it, and JSON Schema has no flags.
 */
export const typedReferenceSource = '[Cc][Mm][Pp][-\\s]?[0-9A-TV-Za-tv-z]{6}';

/** A whole value that is a reference as people type it, spaces around allowed. */
export const typedReferencePattern = new RegExp(`^\\s*${typedReferenceSource}\\s*$`);

// Crockford's decoding: the letters a reader may take for digits are read as those digits.
const lookalikes: Record<string, string> = { I: '1', L: '1', O: '0' };

/**
 * The reference a person typed, as it is stored: any case, the hyphen left out or a space in its place,
 * and the letters Crockford's alphabet leaves out read as the digits they look like (I and L as 1, O
 * as 0), so what an agent heard over the phone finds the complaint. Undefined for anything else (a U,
 * a character too many or too few).
 */
export function canonicalReference(typed: string): string | undefined {
  if (!typedReferencePattern.test(typed)) return undefined;
  const code = [...typed.trim().slice(-6).toUpperCase()].map((c) => lookalikes[c] ?? c).join('');
  return `CMP-${code}`;
}
