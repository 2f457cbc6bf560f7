import type { Policy, Priority } from '../policy';
import {
  type CustomerHistory,
  type PastComplaint,
  summariseCustomerHistory,
  unsatisfiedFollowUps,
} from './customerHistory';
import { findPossibleDuplicates } from './duplicates';
import { customerWords } from './phraseMatching';
import { detectRiskSignals, type RiskFinding, type RiskSignal } from './riskSignals';
import {
  assessSentiment,
  type ComplaintCategory,
  classifyCategory,
  complaintPriority,
  findSafetyConcern,
  isStronglyNegative,
  type SentimentAssessment,
  soundsMild,
} from './triage';

export interface InvestigationInput {
  complaintId: string;
  subject: string;
  /** The customer's mail text (several inbound mails joined); `>`-quoted lines are ignored. */
  text: string;
  /** When this complaint was created: only earlier complaints can be its duplicates. */
  createdAt: string;
  now: Date;
  /** The customer's complaints; may include this one. */
  history: PastComplaint[];
  /**
   * Opened by automated mail (loop guard) or a robot sender: a list mail saying "regulator" is no
   * threat and a daily notification is no repeat complainer, so no risk signal is raised.
   */
  automated: boolean;
  policy: Policy;
}

export interface Investigation {
  category: ComplaintCategory;
  sentiment: SentimentAssessment;
  priority: Priority;
  riskSignals: RiskFinding[];
  /** The customer may be lost: repeat complaints, a strongly negative tone, an unhappy follow-up, cancel intent. */
  atRisk: boolean;
  /** Human-readable, stored on the complaint for the agent. */
  atRiskReasons: string[];
  history: CustomerHistory;
  /** Earlier open complaints of the customer from the last days with a similar subject, most recent first. */
  possibleDuplicates: string[];
  /**
   * Tier the complaint must start at: 3 for a legal threat or a regulator/press mention (statements may
   * end up before a court or in public, so a supervisor owns them from the first reply), 2 for cancel
   * intent or a repeat complainer (retention needs tier-2 goodwill authority), else 1.
   */
  minimumTier: 1 | 2 | 3;
}

const supervisorSignals: ReadonlySet<RiskSignal> = new Set(['legal_threat', 'regulator_or_press']);

/**
 * Investigation step: triage (category, sentiment, priority), the customer's history, risk
 * signals that escalate at once, at-risk reasons and possible duplicates. Pure: the handler loads the
 * history, counts recurring issues with `recurringWindow`/`isRecurring` and persists the result.
 * Priority rules: see `complaintPriority`.
 */
export function investigateComplaint(input: InvestigationInput): Investigation {
  const { complaintId, subject, createdAt, history, now, policy } = input;
  const body = customerWords(input.text);
  const words = `${subject}\n${body}`;

  const category = classifyCategory(subject, body);
  const sentiment = assessSentiment(words);
  const customer = summariseCustomerHistory(complaintId, history, now, policy);
  const riskSignals = input.automated ? [] : detectRiskSignals(words, customer.complaintsInWindow, policy);

  const atRiskReasons: string[] = [];
  if (!input.automated && customer.complaintsInWindow >= policy.investigation.repeatComplainerThreshold) {
    atRiskReasons.push(
      `${customer.complaintsInWindow} complaints in the last ${policy.investigation.historyDays} days`,
    );
  }
  if (isStronglyNegative(sentiment)) {
    atRiskReasons.push(`strongly negative tone (sentiment score ${sentiment.score})`);
  }
  const unhappy = unsatisfiedFollowUps(history, now, policy);
  if (unhappy.length > 0) {
    atRiskReasons.push(`unsatisfied after the follow-up of ${unhappy.join(', ')}`);
  }
  const cancel = riskSignals.find((r) => r.signal === 'cancel_intent');
  if (cancel) atRiskReasons.push(`wants to leave: "${cancel.evidence}"`);
  const atRisk = atRiskReasons.length > 0;

  const signals = riskSignals.map((r) => r.signal);
  const priority = complaintPriority({
    riskSignals: signals,
    safetyConcern: findSafetyConcern(words) !== undefined,
    sentiment,
    atRisk,
    mild: soundsMild(words),
    category,
  });
  const minimumTier = signals.some((s) => supervisorSignals.has(s)) ? 3 : signals.length > 0 ? 2 : 1;

  return {
    category,
    sentiment,
    priority,
    riskSignals,
    atRisk,
    atRiskReasons,
    history: customer,
    possibleDuplicates: findPossibleDuplicates({ id: complaintId, subject, createdAt }, history, now, policy),
    minimumTier,
  };
}
