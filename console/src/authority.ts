/** A sum of amounts of one currency, exact to its minor unit (as the API adds them). */
function sumInCurrency(currency: string, ...amounts: number[]): number {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits;
  const scale = 10 ** (digits ?? 2);
  return amounts.reduce((sum, a) => sum + Math.round(a * scale), 0) / scale;
}

/** What the resolve form says of the agent's authority limit before they submit. */
export interface AuthorityHint {
  /** Refunds and credits applied to the complaint so far; undefined while not known yet. */
  applied: number | undefined;
  /** Whether the resolution goes to a higher tier; undefined while `applied` is not known. */
  overLimit: boolean | undefined;
}

/**
 * The authority check as the API makes it when the resolution is proposed (`assessAuthority`): the
 * limit covers what the complaint has cost, the refunds and credits applied to it so far (the
 * complaint detail's `appliedTotal`, earlier resolutions before a reopen included) plus this amount;
 * a resolution without an amount needs no approval. `appliedTotal` undefined (a complaint view without
 * it, such as a list item) is not known yet, not 0: counting it as 0 would promise an agent a refund
 * applied at once that the API sends for approval.
 */
export function authorityHint(input: {
  appliedTotal: number | undefined;
  type: string;
  amount: string;
  limit: number | null;
  currency: string;
}): AuthorityHint {
  const { appliedTotal: applied, limit } = input;
  const monetary = input.type === 'refund' || input.type === 'credit';
  const amount = monetary && input.amount !== '' ? Number(input.amount) : 0;
  if (!(amount > 0) || limit === null) return { applied, overLimit: false };
  if (applied === undefined) return { applied, overLimit: undefined };
  return { applied, overLimit: sumInCurrency(input.currency, applied, amount) > limit };
}
