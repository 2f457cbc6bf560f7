/** `value` as a regular expression that matches it literally (every metacharacter escaped). */
export const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Invisible characters that change what a reader sees: the bidirectional embedding, override and
 * isolate controls (a right-to-left override makes `exe.pdf` read `fdp.exe`), the zero-width space and
 * the byte order mark. The joiners (U+200C, U+200D) stay: emoji sequences and several scripts need them.
 * The mail templates drop them from customer text, and the agent console from what it shows (`plain`
 * in console/src/views/common.tsx, which imports this module: it stays free of imports).
 */
export const deceptiveInvisibles = /[\u200B\u202A-\u202E\u2066-\u2069\uFEFF]/g;
