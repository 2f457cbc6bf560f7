import { referencePattern } from '../reference';

const stopWords = new Set([
  'a',
  'an',
  'the',
  'my',
  'your',
  'of',
  'for',
  'to',
  'and',
  'or',
  'is',
  'was',
  'in',
  'on',
  'with',
  'i',
  'it',
  'me',
  'not',
  'again',
  'still',
  'please',
]);

/** Subject words that carry meaning: reply/forward prefixes, reference tags and stop words removed. */
function words(subject: string): Set<string> {
  const cleaned = subject
    .replace(new RegExp(referencePattern.source, 'g'), ' ')
    .replace(/^(\s*(re|aw|sv|fw|fwd|wg|tr)\s*:\s*)+/i, '')
    .toLowerCase();
  return new Set(cleaned.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1 && !stopWords.has(w)));
}

/** Similar subjects: token Jaccard similarity >= 0.5, or one subject's words contain the other's. */
export function isSimilarSubject(a: string, b: string): boolean {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 || y.size === 0) return false;
  const shared = [...x].filter((w) => y.has(w)).length;
  if (shared === Math.min(x.size, y.size)) return true;
  return shared / (x.size + y.size - shared) >= 0.5;
}
