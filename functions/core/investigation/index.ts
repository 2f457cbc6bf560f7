import Sentiment from 'sentiment';
import type { Policy, Priority } from '../policy';
import { priorities } from '../policy';
import { isSimilarSubject } from './duplicates';
import { detectRiskSignals, type RiskFinding } from './riskSignals';
import { type ComplaintCategory, classifyCategory } from './triage';

export { isSimilarSubject } from './duplicates';
export type { RiskSignal } from './riskSignals';
export { type ComplaintCategory, complaintCategories } from './triage';

/** A complaint of the same customer, as the investigation sees it. */
export interface PastComplaint {
  id: string;
  createdAt: string;
  status: string;
  subject: string;
  category?: string;
  csat?: 'satisfied' | 'unsatisfied';
}

export interface InvestigationInput {
  complaintId: string;
  subject: string;
  text: string;
  createdAt: string;
  now: Date;
  /** The customer's complaints; may include this one. */
  history: PastComplaint[];
  policy: Policy;
}

export interface Investigation {
  category: ComplaintCategory;
  sentiment: { score: number; comparative: number; label: 'negative' | 'neutral' | 'positive' };
  priority: Priority;
  riskSignals: RiskFinding[];
  atRisk: boolean;
  atRiskReasons: string[];
  history: { complaintsInWindow: number; open: number; lastCsat?: 'satisfied' | 'unsatisfied' };
  possibleDuplicates: string[];
  /** Tier the complaint must start at: 3 for legal or regulator/press signals, 2 for other signals, else 1. */
  minimumTier: 1 | 2 | 3;
}

const analyzer = new Sentiment();
const day = 24 * 3600 * 1000;
const closedStatuses = new Set(['closed', 'resolved', 'awaiting_follow_up']);
const safety =
  /\b(fire|burn(?:ed|t|s)?|injur(?:y|ed|ies)|electric shock|smoke|explod(?:e|ed)|poison(?:ed|ing)?)\b/i;
const mild = /\b(just a suggestion|small thing|minor (?:issue|point)|no rush|for your information|fyi)\b/i;

const bump = (p: Priority, steps = 1): Priority =>
  priorities[Math.min(priorities.indexOf(p) + steps, priorities.length - 1)] as Priority;

/**
 * Investigation of a new complaint: pure, from its text and the customer's history.
 * Priority rules:
 * - urgent: a legal threat, a regulator/press mention, or a safety hazard (fire, injury, shock, smoke);
 * - high: cancel intent, a repeat complainer, strongly negative sentiment (comparative <= -0.5) or at risk;
 * - low: a mild message (positive sentiment or "just a suggestion") with no signal;
 * - normal otherwise.
 * The customer is at risk when they complained repeatedly, write with negative sentiment, or were
 * unhappy after a past follow-up.
 */
export function investigateComplaint(input: InvestigationInput): Investigation {
  const { policy, now } = input;
  const text = `${input.subject}\n${input.text}`;
  const windowStart = now.getTime() - policy.investigation.historyDays * day;
  const inWindow = input.history.filter((c) => new Date(c.createdAt).getTime() >= windowStart);
  const complaintsInWindow = inWindow.some((c) => c.id === input.complaintId)
    ? inWindow.length
    : inWindow.length + 1;
  const others = input.history.filter((c) => c.id !== input.complaintId);
  const open = others.filter((c) => !closedStatuses.has(c.status)).length;
  const lastCsat = [...others]
    .filter((c) => c.csat)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]?.csat;

  const scored = analyzer.analyze(text);
  const comparative = Number.isFinite(scored.comparative) ? scored.comparative : 0;
  const label = scored.score <= -2 ? 'negative' : scored.score >= 2 ? 'positive' : 'neutral';
  const sentiment = { score: scored.score, comparative, label } as const;

  const riskSignals = detectRiskSignals(text);
  if (complaintsInWindow >= policy.investigation.repeatComplainerThreshold) {
    riskSignals.push({
      signal: 'repeat_complainer',
      evidence: `${complaintsInWindow} complaints in ${policy.investigation.historyDays} days`,
    });
  }

  const atRiskReasons = [
    ...(complaintsInWindow >= 2
      ? [`${complaintsInWindow} complaints in the last ${policy.investigation.historyDays} days`]
      : []),
    ...(label === 'negative' ? [`negative sentiment (score ${scored.score})`] : []),
    ...(lastCsat === 'unsatisfied' ? ['unhappy after a previous follow-up'] : []),
  ];
  const atRisk = atRiskReasons.length > 0;

  const signals = new Set(riskSignals.map((r) => r.signal));
  let priority: Priority = 'normal';
  if (signals.has('legal_threat') || signals.has('regulator_or_press') || safety.test(text))
    priority = 'urgent';
  else if (signals.has('cancel_intent') || signals.has('repeat_complainer') || comparative <= -0.5 || atRisk)
    priority = 'high';
  else if (label === 'positive' || mild.test(text)) priority = 'low';
  // A customer who keeps coming back never gets a lower priority than the last time.
  if (complaintsInWindow >= policy.investigation.repeatComplainerThreshold + 2) priority = bump(priority);

  const since = now.getTime() - policy.investigation.duplicateWindowDays * day;
  const possibleDuplicates = others
    .filter((c) => !closedStatuses.has(c.status) && new Date(c.createdAt).getTime() >= since)
    .filter((c) => isSimilarSubject(c.subject, input.subject))
    .map((c) => c.id);

  const minimumTier =
    signals.has('legal_threat') || signals.has('regulator_or_press') ? 3 : signals.size > 0 ? 2 : 1;
  return {
    category: classifyCategory(input.subject, input.text),
    sentiment,
    priority,
    riskSignals,
    atRisk,
    atRiskReasons,
    history: { complaintsInWindow, open, ...(lastCsat ? { lastCsat } : {}) },
    possibleDuplicates,
    minimumTier,
  };
}

/** The fixed window (aligned to the epoch) a complaint counts in for recurring-issue detection. */
export function recurringWindow(category: string, at: Date, policy: Policy) {
  const size = policy.investigation.recurring.windowSeconds * 1000;
  const start = Math.floor(at.getTime() / size) * size;
  const windowStart = new Date(start).toISOString();
  return { key: `${category}#${windowStart}`, windowStart, windowEnd: new Date(start + size).toISOString() };
}

/** Whether enough distinct customers reported the same category in one window to call it recurring. */
export function isRecurring(distinctCustomers: number, policy: Policy): boolean {
  return distinctCustomers >= policy.investigation.recurring.minCustomers;
}
