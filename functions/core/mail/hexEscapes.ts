/**
 * The `=XX` escapes of quoted-printable (RFC 2045 §6.7) and of the Q encoding of encoded-words
 * (RFC 2047 §4.2) as the bytes they name, in a latin1 string (one character per byte); an `=` that
 * starts no valid escape stays itself.
 */
export const unescapeHex = (text: string): string =>
  text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
