export type RiskSignal = 'legal_threat' | 'regulator_or_press' | 'cancel_intent' | 'repeat_complainer';

export interface RiskFinding {
  signal: RiskSignal;
  /** The phrase that matched, or the count that triggered it. */
  evidence: string;
}

// Phrases, not single words where a word alone is ambiguous: "court" alone would match "courtesy",
// "cancel" alone matches a cancelled order, which is no intent to leave.
const rules: { signal: Exclude<RiskSignal, 'repeat_complainer'>; pattern: RegExp }[] = [
  {
    signal: 'legal_threat',
    pattern:
      /\b(my (?:lawyer|solicitor|attorney)|legal action|take you to court|see you in court|small claims|sue (?:you|your company)|suing|lawsuit|court proceedings|legal proceedings|(?:mein|meinen) anwalt|avocat)\b/i,
  },
  {
    signal: 'regulator_or_press',
    pattern:
      /\b(ombudsman|regulator|trading standards|consumer protection|ftc|better business bureau|bbb|verbraucherzentrale|journalist|(?:go(?:ing)? to|contact(?:ing)?|tell(?:ing)?|inform(?:ing)?) the (?:press|media|newspapers?)|local news|watchdog)\b/i,
  },
  {
    signal: 'cancel_intent',
    pattern:
      /\b(cancel (?:my|the) (?:account|subscription|contract|membership)|close my account|terminate (?:my|the) contract|switch(?:ing)? to (?:a |another )?(?:competitor|provider)|never (?:buy|order|shop) (?:from you |here |with you )?again|i(?:'m| am) leaving)\b/i,
  },
];

/** Risk signals in a complaint's text (the repeat-complainer signal comes from the history). */
export function detectRiskSignals(text: string): RiskFinding[] {
  const found: RiskFinding[] = [];
  for (const { signal, pattern } of rules) {
    const match = pattern.exec(text);
    if (match) found.push({ signal, evidence: match[0] });
  }
  return found;
}
