import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from 'node:crypto';

/** What the SDK hashes and keys HMACs with (its `SourceData`). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

// The keys HMACs were made with, as KeyObjects: the signing key SigV4 derives once a day (the same
// Uint8Array, which the SDK caches, on every request) and the secret access key (a string).
const binaryKeys = new WeakMap<ArrayBuffer | ArrayBufferView, KeyObject>();
const stringKeys = new Map<string, KeyObject>();
/** Distinct string secrets kept: the credentials of a function's role, and their renewals. */
const maxStringKeys = 16;

const bytes = (data: SourceData): string | ArrayBufferView =>
  typeof data === 'string' || ArrayBuffer.isView(data) ? data : new Uint8Array(data);

function keyObjectOf(secret: SourceData): KeyObject {
  if (typeof secret === 'string') {
    let key = stringKeys.get(secret);
    if (!key) {
      if (stringKeys.size >= maxStringKeys) stringKeys.clear();
      key = createSecretKey(secret, 'utf8');
      stringKeys.set(secret, key);
    }
    return key;
  }
  let key = binaryKeys.get(secret);
  if (!key) {
    const view = bytes(secret) as ArrayBufferView;
    key = createSecretKey(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
    binaryKeys.set(secret, key);
  }
  return key;
}

/**
 * SHA-256 and HMAC-SHA256 for the AWS SDK's clients (their `sha256` option, which SigV4 signs every
 * request with), as the SDK's own Node implementation does them but with the HMAC's key handed to
 * `createHmac` as a KeyObject, made once per key. On Node 24, `createHmac` given a Buffer checks
 * whether it is a KeyObject by an exception: 20-35 µs a call on this project's machine, and 0.07-0.17
 * ms in the profile of a busy API worker (a string key too, there), against 3.5 µs for a KeyObject
 * (docs/performance-history.md, round 10). Signing a request makes two HMACs with keys that do not
 * change (the day's signing key, cached by the SDK, and the secret access key), and the four that
 * derive a new signing key once a day.
 *
 * A key is looked up by identity (a byte array: the SDK's cached signing key is the same object on every
 * request) or by value (a string). A byte array must not be changed once it signed: the SDK never does.
 */
export class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    // As the SDK's: an empty string is no key.
    return this.secret ? createHmac('sha256', keyObjectOf(this.secret)) : createHash('sha256');
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data) as string | NodeJS.ArrayBufferView);
  }

  async digest(): Promise<Uint8Array> {
    // An HMAC digests once; a hash may go on being updated after a digest, as the SDK's hash may.
    const out = 'copy' in this.hash ? this.hash.copy().digest() : this.hash.digest();
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  reset(): void {
    this.hash = this.create();
  }
}
