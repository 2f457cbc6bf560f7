import type { Policy } from '../policy';
import { findAffirmedPhrase, phrasePattern } from './phraseMatching';

export type RiskSignal = 'legal_threat' | 'regulator_or_press' | 'cancel_intent' | 'repeat_complainer';

export interface RiskFinding {
  signal: RiskSignal;
  /** The phrase as the customer wrote it, or the count that made a repeat complainer. */
  evidence: string;
}

type TextSignal = Exclude<RiskSignal, 'repeat_complainer'>;

// Phrases rather than single words wherever a word alone is ambiguous: "Sue" is a colleague's name,
// "court" a food court, "press" a button, "power of attorney" a carer's mandate, "avocat" an avocado.
const vocabulary: Record<TextSignal, readonly string[]> = {
  legal_threat: [
    'lawyers?',
    'solicitors?',
    '(?<!power of )attorneys?',
    'legal (?:action|proceedings|steps|advice|team|department)',
    '(?:will|going to|gonna|intend to|plan to|shall|have to|to) sue',
    'sue (?:you|your|the company|them)',
    'suing',
    'lawsuit',
    'class action',
    '(?:take|taking|bring|bringing|drag|dragging) (?:you|this|it|the matter|the company|your company) (?:to|before) court',
    '(?:go|going) to court',
    'see you in court',
    'court (?:action|case|claim|proceedings)',
    'county court',
    'small claims',
    'letter before action',
    'cease and desist',
    '(?:rechts)?(?:anwalt|anwältin|anwälte|anwalts)',
    'rechtliche schritte',
    'verklagen',
    '(?:mon|notre|un) avocat',
    'poursuites? judiciaires?',
    'mise en demeure',
  ],
  regulator_or_press: [
    'ombudsm[ae]n',
    'regulators?',
    'regulatory (?:body|authority)',
    'trading standards',
    'ftc',
    'federal trade commission',
    'bbb',
    'better business bureau',
    'consumer protection',
    'citizens advice',
    'cfpb',
    'ofcom',
    'ofgem',
    'attorney general',
    'watchdog',
    'journalists?',
    'reporters?',
    'newspapers?',
    '(?:to|contact|contacting|tell|telling|inform|informing|alert) the (?:press|media|newspapers?)',
    '(?:press|media) coverage',
    'social media',
    'twitter',
    'tweet(?:s|ed|ing)?',
    '(?:post|posting|share|sharing|put|putting|write|writing) (?:\\S+ ){0,3}?on (?:x|facebook|instagram|tiktok|reddit|linkedin)',
    'trustpilot',
    'go(?:ing)? public',
    'verbraucherzentrale',
    'schlichtungsstelle',
    '(?:die|der|la) presse',
    'zeitung',
    'médiateur',
    'dgccrf',
    'que choisir',
    'journaliste',
    'réseaux sociaux',
  ],
  cancel_intent: [
    // Intent, not history: "cancel" (not "cancelled") and an account-like object, never an order.
    '(?:cancel|cancelling|canceling|terminate|terminating|close|closing|end|ending|delete|deleting) (?:my|our|the|this) (?:account|subscription|contract|membership|plan)',
    'switch(?:ing)? (?:over )?to (?:a competitor|competitors|another (?:provider|company|supplier|retailer|shop|bank)|someone else)',
    'switch(?:ing)? (?:providers?|suppliers?)',
    '(?:take|taking) my (?:business|money|custom) elsewhere',
    'never (?:buy|order|shop|purchase|use|book) (?:\\S+ ){0,5}?again',
    'kündig(?:e|en|ung)',
    '(?:résilier|resilier|résiliation|resiliation)',
  ],
};

const compiled = Object.entries(vocabulary).map(
  ([signal, terms]) => [signal as TextSignal, terms.map(phrasePattern)] as const,
);

/**
 * Risk signals that escalate at once: a legal threat, a regulator or press mention, an
 * intent to cancel the customer relationship (from the text, first affirmed phrase of each as evidence),
 * and a repeat complainer (`complaintsInWindow` >= the policy threshold, this complaint included).
 * At most one finding per signal, in the order above.
 */
export function detectRiskSignals(text: string, complaintsInWindow: number, policy: Policy): RiskFinding[] {
  const found: RiskFinding[] = [];
  for (const [signal, patterns] of compiled) {
    const evidence = findAffirmedPhrase(text, patterns);
    if (evidence !== undefined) found.push({ signal, evidence });
  }
  const { repeatComplainerThreshold, historyDays } = policy.investigation;
  if (complaintsInWindow >= repeatComplainerThreshold) {
    found.push({
      signal: 'repeat_complainer',
      evidence: `${complaintsInWindow} complaints in ${historyDays} days`,
    });
  }
  return found;
}
