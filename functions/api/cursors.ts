import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../core/errors';

/**
 * Pagination cursors are opaque to clients: the repository's cursor (the last key DynamoDB read) with
 * an HMAC over it and the list it pages. A cursor is only taken back by the list that issued it, so a
 * forged, tampered, truncated or re-encoded cursor, or one of another list (another queue, customer or
 * status filter), is a 400 here instead of a start key reaching DynamoDB, which answers a key of the
 * wrong shape with an error the API could only report as a 500.
 */

/** The list a cursor pages: its source and partition, and the status filter it was read with. */
export type CursorScope = readonly [source: string, partition: string, status?: string];

/** The API's signing key, from which cursors derive a key of their own. */
export type SigningKey = () => Promise<Uint8Array>;

// The cursors' key of each signing key (the same bytes for the life of an execution environment), made a
// KeyObject once: on Node 24 `createHmac` takes 20-35 µs and more to check a Buffer key, every page.
const cursorKeys = new WeakMap<Uint8Array, KeyObject>();

/** A key of its own for cursors, derived from the API's signing key (domain-separated by its label). */
async function key(signingKey: SigningKey) {
  const secret = await signingKey();
  let derived = cursorKeys.get(secret);
  if (!derived) {
    derived = createSecretKey(
      createHmac('sha256', secret).update('complaints/pagination-cursor/v1').digest(),
    );
    cursorKeys.set(secret, derived);
  }
  return derived;
}

/** The MAC as text: compared as text, since base64url decoding ignores a last character's spare bits. */
async function mac(signingKey: SigningKey, scope: CursorScope, cursor: string) {
  const digest = createHmac('sha256', await key(signingKey))
    .update(JSON.stringify([...scope, cursor]))
    .digest();
  return digest.subarray(0, 16).toString('base64url');
}

/** The signed cursor handed to the client (undefined on the last page). */
export async function signCursor(signingKey: SigningKey, scope: CursorScope, cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  return `${cursor}.${await mac(signingKey, scope, cursor)}`;
}

/** The repository's cursor inside a signed one, if this list issued it; 400 otherwise. */
export async function openCursor(signingKey: SigningKey, scope: CursorScope, signed: string | undefined) {
  if (signed === undefined) return undefined;
  const dot = signed.lastIndexOf('.');
  const cursor = signed.slice(0, dot);
  const given = Buffer.from(signed.slice(dot + 1));
  const expected = Buffer.from(await mac(signingKey, scope, cursor));
  if (dot < 1 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ValidationError(
      'Invalid pagination cursor: pass the cursor of the previous page of this list',
      {
        issues: [{ path: 'cursor', message: 'not a cursor this list issued', code: 'invalid_cursor' }],
      },
    );
  }
  return cursor;
}
