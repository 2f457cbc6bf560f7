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

/** Matches a reference in free text such as a subject tag `[CMP-4F7K2Q]`. */
export const referencePattern = /\bCMP-[0-9A-HJKMNP-TV-Z]{6}\b/;
