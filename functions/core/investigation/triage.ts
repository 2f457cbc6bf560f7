export const complaintCategories = [
  'billing',
  'delivery',
  'product_defect',
  'service',
  'account',
  'other',
] as const;
export type ComplaintCategory = (typeof complaintCategories)[number];

// Keyword stems per category (English first, a few German and French). Matched at word starts, so
// "charg" finds charge/charged/charges but not "discharge".
const vocabulary: Record<Exclude<ComplaintCategory, 'other'>, string[]> = {
  billing: [
    'invoice',
    'bill',
    'billing',
    'charg',
    'overcharg',
    'double charg',
    'refund',
    'payment',
    'paid',
    'price',
    'fee',
    'credit card',
    'debit',
    'rechnung',
    'facture',
    'subscription fee',
  ],
  delivery: [
    'deliver',
    'parcel',
    'package',
    'shipping',
    'shipment',
    'courier',
    'tracking',
    'arriv',
    'late',
    'lost in',
    'never arrived',
    'missing item',
    'missing from',
    'dispatch',
    'lieferung',
    'paket',
    'livraison',
    'colis',
  ],
  product_defect: [
    'broken',
    'defect',
    'faulty',
    'damag',
    'crack',
    'scratch',
    'torn',
    'tear',
    'stopped working',
    'does not work',
    "doesn't work",
    'not working',
    'malfunction',
    'leak',
    'wrong colour',
    'wrong color',
    'wrong size',
    'kaputt',
    'defekt',
    'cassé',
  ],
  service: [
    'rude',
    'nobody answer',
    'no answer',
    'no response',
    'waiting',
    'hold',
    'staff',
    'agent',
    'customer service',
    'support',
    'unhelpful',
    'ignored',
    'call back',
    'callback',
  ],
  account: [
    'account',
    'login',
    'log in',
    'password',
    'locked',
    'sign in',
    'signin',
    'profile',
    'email address',
    'two-factor',
    '2fa',
    'konto',
  ],
};
const order = Object.keys(vocabulary) as (keyof typeof vocabulary)[];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const patterns = Object.fromEntries(
  order.map((c) => [c, vocabulary[c].map((k) => new RegExp(`(?:^|[^\\p{L}])${escape(k)}`, 'iu'))]),
) as Record<keyof typeof vocabulary, RegExp[]>;

const hits = (text: string, category: keyof typeof vocabulary) =>
  patterns[category].filter((p) => p.test(text)).length;

/**
 * Category by weighted keyword matches: the subject counts twice, the body once; ties go to the first
 * category in the fixed order (billing, delivery, product defect, service, account); nothing -> other.
 */
export function classifyCategory(subject: string, body: string): ComplaintCategory {
  let best: ComplaintCategory = 'other';
  let bestScore = 0;
  for (const category of order) {
    const score = 2 * hits(subject, category) + hits(body, category);
    if (score > bestScore) {
      best = category;
      bestScore = score;
    }
  }
  return best;
}
