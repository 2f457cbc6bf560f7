import Sentiment from 'sentiment';
import type { Priority } from '../policy';
import { type ComplaintCategory, complaintCategories } from './categories';
import { findAffirmedPhrase, matchesWholeWords, mentionsAny, phrasePattern } from './phraseMatching';
import type { RiskSignal } from './riskSignals';

export { type ComplaintCategory, complaintCategories };

type MatchedCategory = Exclude<ComplaintCategory, 'other'>;

/**
 * Keywords per category (regex sources, whole words; English first, a few German and French).
 * Listed in tie-break order: a defect can hurt someone and money is owed before a parcel is late;
 * `service` (how we treated the customer) comes last because it rides along with most complaints.
 */
const categoryVocabulary: Record<MatchedCategory, readonly string[]> = {
  product_defect: [
    'broken',
    'broke',
    'damaged',
    'defect(?:s|ive)?',
    'faulty',
    'fault',
    'malfunction(?:s|ing|ed)?',
    'stopped working',
    "(?:does not|doesn't|did not|didn't|is not|isn't|not) work(?:ing)?",
    'cracked',
    'leak(?:s|ing|ed)?',
    'torn',
    'missing parts?',
    'quality',
    'repairs?',
    'warranty',
    'guarantee',
    'overheat(?:s|ing|ed)?',
    'caught fire',
    'electric(?:al)? shock',
    'melted',
    'smoke',
    'sparks?',
    'kaputt',
    'defekt',
    'beschädigt',
    'funktioniert nicht',
    'mangelhaft',
    'garantie',
    'cassée?',
    'défectueu(?:x|se)',
    'endommagée?',
    'ne fonctionne pas',
    'en panne',
  ],
  billing: [
    'bills?',
    'billing',
    'billed',
    'invoices?',
    'invoiced',
    'charged?',
    'charges',
    'over-?charg(?:ed|ing|e)',
    'double charged',
    'refund(?:s|ed)?',
    'payments?',
    'paid',
    'pay',
    'prices?',
    'fees?',
    'direct debit',
    'credit card',
    'debit card',
    'money back',
    'reimburse(?:d|ment)?',
    'receipt',
    'rechnung',
    'abgebucht',
    'abbuchung',
    'rückerstattung',
    'erstattung',
    'zahlung',
    'lastschrift',
    'gebühr(?:en)?',
    'facture',
    'facturée?',
    'remboursement',
    'rembourser',
    'paiement',
    'prélèvement',
  ],
  delivery: [
    'deliver(?:y|ies|ed)?',
    'undelivered',
    'parcels?',
    'packages?',
    'shipping',
    'shipment',
    'shipped',
    'courier',
    'tracking',
    'dispatch(?:ed)?',
    'arriv(?:e|es|ed|al)',
    'late',
    'lost in (?:the )?(?:post|mail|transit)',
    'wrong (?:item|address|size|colou?r)',
    "(?:not|never|haven't|have not) received",
    'postage',
    'carrier',
    'dhl',
    'ups',
    'fedex',
    'hermes',
    'dpd',
    'lieferung',
    'geliefert',
    'paket',
    'sendung',
    'zustellung',
    'nicht angekommen',
    'versand',
    'livraison',
    'livrée?',
    'colis',
    'expédition',
    '(?:pas|jamais) reçu',
  ],
  account: [
    'account',
    'subscription',
    'membership',
    'log ?in',
    'logon',
    'sign in',
    'password',
    'locked out',
    'locked',
    'username',
    'profile',
    'email address',
    'two-factor',
    '2fa',
    'verification code',
    'hacked',
    'unauthori[sz]ed access',
    'deactivated',
    'suspended',
    'personal data',
    'gdpr',
    'delete my data',
    'konto',
    'passwort',
    'anmeldung',
    'gesperrt',
    'compte',
    'mot de passe',
    'connexion',
  ],
  service: [
    'rude',
    'unhelpful',
    'unprofessional',
    'service',
    'staff',
    'customer service',
    'support team',
    'representative',
    'agent',
    'hung up',
    'on hold',
    'no (?:response|reply|answer)',
    'nobody (?:replied|answered|called)',
    'ignored',
    'call (?:centre|center)',
    'called back',
    'call back',
    'attitude',
    'promised',
    'unfreundlich',
    'kundenservice',
    'keine antwort',
    'service client',
    'impoli',
    'aucune réponse',
  ],
};

const compiledVocabulary = Object.entries(categoryVocabulary).map(
  ([category, terms]) => [category as MatchedCategory, terms.map(phrasePattern)] as const,
);

const subjectWeight = 2;
const bodyWeight = 1;

/**
 * Category by weighted keyword matching: each distinct keyword found scores 2 in the subject and 1 in
 * the body (repeating a word in a long rant does not outweigh a precise subject). The highest score
 * wins, ties go to the earlier category of the tie-break order above, `other` when nothing matched.
 */
export function classifyCategory(subject: string, body: string): ComplaintCategory {
  let best: { category: ComplaintCategory; score: number } = { category: 'other', score: 0 };
  for (const [category, patterns] of compiledVocabulary) {
    let score = 0;
    for (const pattern of patterns) {
      if (matchesWholeWords(subject, pattern)) score += subjectWeight;
      if (matchesWholeWords(body, pattern)) score += bodyWeight;
    }
    if (score > best.score) best = { category, score };
  }
  return best.category;
}

export interface SentimentAssessment {
  /** AFINN-165 sum over the words (negated words flip sign). */
  score: number;
  /** Score per token, comparable across short and long messages. */
  comparative: number;
  label: 'negative' | 'neutral' | 'positive';
}

// Built on the first assessment rather than at import.
let analyser: Sentiment | undefined;
// One AFINN word (most score ±2 or ±3) is not a mood: a dead band of ±1 keeps "please refund me" neutral.
const labelThreshold = 2;

/** AFINN sentiment of the customer's words with a neutral band of ±1 around zero. */
export function assessSentiment(text: string): SentimentAssessment {
  // The tokenizer splits on single spaces only: tabs and line breaks would glue words together.
  analyser ??= new Sentiment();
  const { score, comparative } = analyser.analyze(text.replace(/\s+/gu, ' '));
  const label = score <= -labelThreshold ? 'negative' : score >= labelThreshold ? 'positive' : 'neutral';
  return { score, comparative, label };
}

/**
 * Strongly negative: both intense (several hostile words) and dense (not just the accumulation of a long
 * mail). Ordinary complaints are negative; only this level marks a customer at risk.
 */
export function isStronglyNegative(sentiment: SentimentAssessment): boolean {
  return sentiment.score <= -6 && sentiment.comparative <= -0.1;
}

const safetyPatterns = [
  'fire',
  'flames?',
  'smoke',
  'smoking',
  'burn(?:s|ed|t)?',
  'electric(?:al)? shock',
  'electrocuted',
  'injur(?:y|ies|ed)',
  'explod(?:e|ed|ing)',
  'explosion',
  'sparks?',
  'melted',
  'choking',
  'verletzt',
  'verletzung',
  'stromschlag',
  'rauch',
  'incendie',
  'brûlure',
  'blessée?',
].map(phrasePattern);

/** The first safety word the customer wrote without negating it ("nobody was injured" does not count). */
export function findSafetyConcern(text: string): string | undefined {
  return findAffirmedPhrase(text, safetyPatterns);
}

const mildPatterns = [
  'just a suggestion',
  'suggestion',
  '(?:just|some|a bit of) feedback',
  'minor',
  'no rush',
  'not urgent',
  'small (?:thing|issue|point)',
  'when you (?:get|have) a (?:chance|moment)',
  'fyi',
  'for your information',
  'it would be (?:nice|great|good) if',
].map(phrasePattern);

/** Whether the customer says the matter is minor ("just a suggestion", "no rush", "feedback"). */
export function soundsMild(text: string): boolean {
  return mentionsAny(text, mildPatterns);
}

export interface PriorityFactors {
  riskSignals: readonly RiskSignal[];
  safetyConcern: boolean;
  sentiment: SentimentAssessment;
  atRisk: boolean;
  mild: boolean;
  category: ComplaintCategory;
}

/**
 * Priority rules, strongest first:
 * - urgent: a legal threat, a regulator or press mention, or a safety word (fire, smoke, burn, injury,
 *   electric shock, ...): exposure beyond this customer, answered within the urgent SLA;
 * - high: cancel intent, a repeat complainer, strongly negative sentiment, or a customer at risk;
 * - low: none of the above, sentiment not negative, and either the customer calls it minor ("just a
 *   suggestion", "no rush") or the message is positive and names no concrete problem (category
 *   `other`): polite wording alone ("thank you, but my refund is missing") does not lower a complaint;
 * - normal otherwise.
 * More history can only add signals and at-risk reasons, so it never lowers the priority.
 */
export function complaintPriority(f: PriorityFactors): Priority {
  const signals = new Set(f.riskSignals);
  if (signals.has('legal_threat') || signals.has('regulator_or_press') || f.safetyConcern) return 'urgent';
  if (signals.size > 0 || f.atRisk || isStronglyNegative(f.sentiment)) return 'high';
  const positiveChat = f.sentiment.label === 'positive' && f.category === 'other';
  if (f.sentiment.label !== 'negative' && (f.mild || positiveChat)) return 'low';
  return 'normal';
}
