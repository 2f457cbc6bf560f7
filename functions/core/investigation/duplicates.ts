import type { Policy } from '../policy';
import { typedReferenceSource } from '../reference';
import { createdWithin, isOpenComplaint, type PastComplaint } from './customerHistory';

// Words that say nothing about what went wrong, including complaint filler ("Complaint", "Issue"),
// so that "Complaint: parcel late" and "Parcel late again" compare on "parcel late".
const stopWords: ReadonlySet<string> = new Set([
  'a',
  'an',
  'the',
  'and',
  'or',
  'but',
  'of',
  'to',
  'in',
  'on',
  'at',
  'for',
  'with',
  'from',
  'by',
  'about',
  'as',
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'has',
  'have',
  'had',
  'i',
  'me',
  'my',
  'we',
  'our',
  'you',
  'your',
  'it',
  'its',
  'this',
  'that',
  'not',
  'no',
  'still',
  'again',
  'please',
  'urgent',
  'hello',
  'hi',
  'complaint',
  'complaints',
  'issue',
  'issues',
  'problem',
  'problems',
  'question',
  'query',
  'regarding',
  'der',
  'die',
  'das',
  'und',
  'mit',
  'von',
  'für',
  'mein',
  'meine',
  'ist',
  'nicht',
  'noch',
  'le',
  'la',
  'les',
  'de',
  'du',
  'des',
  'et',
  'mon',
  'ma',
  'mes',
  'pour',
  'avec',
]);

// Reply/forward prefixes in the languages our customers write ("AW:" and "WG:" from German Outlook),
// possibly stacked or counted ("RE[2]:").
const replyPrefixes = /^(?:\s*(?:re|fwd?|aw|wg|antw|tr|sv|ref)\s*(?:\[\d+\])?\s*:)+/iu;
const referenceTags = new RegExp(`[[(]?\\b${typedReferenceSource}\\b[\\])]?`, 'gu');

/**
 * The words of a subject that carry meaning: reply/forward prefixes and `[CMP-XXXXXX]` reference tags
 * stripped, lower-cased, split on anything that is not a letter or digit, stop words dropped.
 */
export function subjectWords(subject: string): Set<string> {
  const cleaned = subject.replace(referenceTags, ' ').replace(replyPrefixes, '').toLowerCase();
  return new Set(cleaned.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '' && !stopWords.has(w)));
}

const minimumJaccard = 0.5;

/**
 * Similar subjects: token Jaccard similarity >= 0.5, or one subject's words all appear in the other's
 * ("Broken kettle" and "Fwd: kettle broken, still no replacement"). A subject with no meaningful word
 * is similar to nothing: "Re:" or "Complaint" alone says nothing about the matter.
 */
export function isSimilarSubject(a: string, b: string): boolean {
  const x = subjectWords(a);
  const y = subjectWords(b);
  if (x.size === 0 || y.size === 0) return false;
  const shared = [...x].filter((w) => y.has(w)).length;
  return shared === Math.min(x.size, y.size) || shared / (x.size + y.size - shared) >= minimumJaccard;
}

/**
 * Possible duplicates of a complaint among the same customer's: still open, created in the last
 * `duplicateWindowDays` before `now` (boundary included), with a similar subject, and created before
 * it (same instant: lower id). Only earlier complaints qualify so that two complaints never list each
 * other and two agents never merge them into each other. Most recent first.
 */
export function findPossibleDuplicates(
  complaint: Pick<PastComplaint, 'id' | 'subject' | 'createdAt'>,
  history: readonly PastComplaint[],
  now: Date,
  policy: Policy,
): string[] {
  const createdAt = Date.parse(complaint.createdAt);
  const earlier = (c: PastComplaint) => {
    const at = Date.parse(c.createdAt);
    // An unparseable creation time of the new complaint leaves ordering to the id alone.
    return at < createdAt || ((at === createdAt || Number.isNaN(createdAt)) && c.id < complaint.id);
  };
  return history
    .filter(
      (c) =>
        c.id !== complaint.id &&
        isOpenComplaint(c) &&
        createdWithin(c.createdAt, policy.investigation.duplicateWindowDays, now) &&
        earlier(c) &&
        isSimilarSubject(c.subject, complaint.subject),
    )
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
    .map((c) => c.id);
}
