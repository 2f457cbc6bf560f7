import { hash } from 'node:crypto';

/**
 * A short digest of an address (trimmed, lower-cased): behind both its pseudonym and its customer id.
 * Every transition's audit facts carry it: the one-shot `hash` makes no Hash object per call.
 */
export const addressDigest = (email: string) =>
  hash('sha256', email.trim().toLowerCase(), 'hex').slice(0, 16);

/**
 * The customer id that domain events and reports carry instead of the address: the digest behind the
 * address's pseudonym (`erased-<digest>@invalid`), so a customer keeps the same id after a GDPR erasure.
 */
export function customerIdOf(email: string): string {
  const erased = /^erased-([0-9a-f]{16})@invalid$/.exec(email);
  return `cus-${erased?.[1] ?? addressDigest(email)}`;
}
