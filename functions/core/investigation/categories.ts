/** The categories a complaint is classified into (triage), in the reports' order. */
export const complaintCategories = [
  'billing',
  'delivery',
  'product_defect',
  'service',
  'account',
  'other',
] as const;
export type ComplaintCategory = (typeof complaintCategories)[number];
