/**
 * Word-bounded phrase matching shared by triage and risk detection. Patterns run on the customer's own
 * words (case-insensitive, Unicode-aware) so that the evidence we store is what the customer wrote.
 */

// `\b` is ASCII-only even with the `u` flag: "Rückerstattung" or "résilier" need letter-class boundaries.
const before = '(?<![\\p{L}\\p{N}])';
const after = '(?![\\p{L}\\p{N}])';

/**
 * A vocabulary entry ready to match. The whole-word pattern is costly to build: V8 expands each
 * `\p{L}`/`\p{N}` class (with case folding) when the RegExp is created, about 0.15 ms apiece, and a
 * step holds some 200 entries. So the phrase alone, which matches wherever the whole-word pattern can,
 * is built up front, and the whole-word pattern only for a text the phrase occurs in.
 */
export interface PhrasePattern {
  /** The phrase without word boundaries (case-insensitive): no match here, no whole-word match either. */
  readonly phrase: RegExp;
  /** The case-insensitive whole-word pattern, built on first use. */
  wholeWords(): RegExp;
}

/**
 * Compiles a vocabulary entry (regex source; a space stands for any run of whitespace, so phrases
 * survive line wrapping) into a case-insensitive pattern that only matches whole words.
 */
export function phrasePattern(source: string): PhrasePattern {
  const phrase = source.replaceAll(' ', '\\s+');
  let wholeWords: RegExp | undefined;
  return {
    phrase: new RegExp(phrase, 'iu'),
    wholeWords: () => {
      wholeWords ??= new RegExp(`${before}(?:${phrase})${after}`, 'giu');
      return wholeWords;
    },
  };
}

/** Whether the text holds the pattern as whole words. */
export function matchesWholeWords(text: string, pattern: PhrasePattern): boolean {
  return pattern.phrase.test(text) && text.search(pattern.wholeWords()) !== -1;
}

const negators = new Set([
  'not',
  'no',
  'never',
  'nobody',
  "don't",
  'dont',
  "won't",
  "wouldn't",
  "isn't",
  "aren't",
  'nicht',
  'kein',
  'keine',
  'pas',
  'jamais',
]);
// A negation reaches only the words right before a phrase in the same clause: "If you don't refund me,
// I'll cancel my subscription" is still a threat, "I do not want to cancel my subscription" is not.
const clauseBreak = /[.,;:!?\n]|\b(?:but|or|otherwise|unless)\b/giu;
const negationReach = 3;

function isNegated(text: string, index: number): boolean {
  const clauses = text.slice(Math.max(0, index - 200), index).split(clauseBreak);
  const words = (clauses.at(-1) ?? '').toLowerCase().replaceAll('’', "'").split(/\s+/u).filter(Boolean);
  return words.slice(-negationReach).some((w) => negators.has(w));
}

/**
 * The earliest phrase of any pattern that the text states without a negation in front of it, as
 * written (whitespace collapsed), or undefined. Negation is handled lightly on purpose: "I am not
 * threatening legal action" is skipped, subtler rhetoric is left to the agent.
 */
export function findAffirmedPhrase(text: string, patterns: readonly PhrasePattern[]): string | undefined {
  let earliest: RegExpExecArray | undefined;
  for (const pattern of patterns) {
    if (!pattern.phrase.test(text)) continue;
    for (const match of text.matchAll(pattern.wholeWords())) {
      if (earliest && match.index >= earliest.index) break;
      if (!isNegated(text, match.index)) {
        earliest = match;
        break;
      }
    }
  }
  return earliest?.[0].replace(/\s+/gu, ' ');
}

/** Whether any pattern matches the text at all (negation does not matter for topic detection). */
export function mentionsAny(text: string, patterns: readonly PhrasePattern[]): boolean {
  return patterns.some((p) => matchesWholeWords(text, p));
}

/**
 * The parts of a mail body written by the customer: lines quoted with `>` are someone else's words,
 * often our own acknowledgement, and must not trigger signals.
 */
export function customerWords(body: string): string {
  return body
    .split(/\r?\n/u)
    .filter((line) => !line.trimStart().startsWith('>'))
    .join('\n');
}
