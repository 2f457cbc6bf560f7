/** `value` as a regular expression that matches it literally (every metacharacter escaped). */
export const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
