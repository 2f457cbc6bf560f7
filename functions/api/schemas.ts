import { z } from 'zod';
import { complaintStatuses, queuedStatuses, resolutionTypes } from '../core/complaint';
import { normalizeAddress } from '../core/mail/addresses';
import { agentRoles } from '../core/policy';

/** Root causes agents choose from, so reporting can group resolutions. */
export const rootCauses = [
  'carrier_delay',
  'warehouse_error',
  'product_defect',
  'billing_error',
  'service_failure',
  'policy_misunderstanding',
  'customer_error',
  'other',
] as const;

/**
 * DynamoDB stores numbers of magnitude 1e-130 to below 1e126 (38 significant digits, more than a double
 * carries) and rejects others with an error the API could only report as a 500, so an amount is checked
 * against that range here (versions, limits and tiers are bounded integers, always in range).
 */
const storable = (n: number) => n === 0 || (Math.abs(n) >= 1e-130 && Math.abs(n) < 1e126);
const storableNumber = z.number().refine(storable, 'out of the range DynamoDB stores (1e-130 to 1e126)');

/** Finite (zod), positive, bounded; decimals are checked against the currency's minor unit (core/money). */
const money = storableNumber
  .positive()
  .max(1_000_000)
  .meta({ description: 'At most 1,000,000, with no more decimals than the currency has (EUR 2, JPY 0)' });

/**
 * The complaint version the agent acted on (alternative to the If-Match header): a safe non-negative
 * integer (zod's int stops at 2^53 - 1, beyond which two versions would read as one).
 */
const version = z.number().int().nonnegative().optional();

/** Body of POST /complaints/{id}/resolution. */
export const resolutionRequestSchema = z
  .object({
    type: z.enum(resolutionTypes),
    amount: money.optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'ISO 4217 code such as EUR')
      .optional(),
    summary: z.string().trim().min(1).max(4000),
    rootCause: z.enum(rootCauses),
    version,
  })
  .strict()
  .superRefine((body, ctx) => {
    const monetary = body.type === 'refund' || body.type === 'credit';
    if (monetary && body.amount === undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `amount is required for a ${body.type}` });
    }
    if (!monetary && body.amount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: `a ${body.type} carries no amount` });
    }
  });
export type ResolutionRequest = z.infer<typeof resolutionRequestSchema>;

// The validator intake files senders with: every customer address intake stores is accepted, looked
// up and erased here as the same normalised string, and nothing intake refuses is accepted.
const email = z
  .string()
  .trim()
  .max(254)
  .meta({ format: 'email' })
  .transform((value, ctx) => {
    const address = normalizeAddress(value);
    if (address) return address;
    ctx.addIssue({ code: 'custom', message: 'not a deliverable email address' });
    return z.NEVER;
  });

/** Query of GET /customers/{email}/complaints (path) and the `customer` filter. */
export const customerEmailSchema = email;

const page = {
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z
    .string()
    .min(1)
    .max(2048)
    .meta({
      description:
        'The `cursor` of the previous page of the same list (opaque and signed: any other is a 400)',
    })
    .optional(),
};

/**
 * Query of GET /complaints. One source at most — `reference`, a queue (`queue` or `tier`), `assignee`
 * (an agent id, or `me`) or `customer` — with the caller's own queue as the default; `status` narrows
 * any of them (within a queue, only the statuses a queue holds).
 */
export const listQuerySchema = z
  .object({
    reference: z
      .string()
      .regex(/^CMP-[0-9A-HJKMNP-TV-Z]{6}$/i, 'a reference such as CMP-4F7K2Q')
      .optional(),
    queue: z.enum(agentRoles).optional(),
    tier: z.coerce.number().int().min(1).max(3).optional(),
    status: z.enum(complaintStatuses).optional(),
    assignee: z
      .string()
      .regex(/^[\w.@:-]{1,128}$/, 'an agent id, or "me"')
      .optional(),
    customer: email.optional(),
    ...page,
  })
  .strict()
  .superRefine((q, ctx) => {
    const sources = (['reference', 'queue', 'tier', 'assignee', 'customer'] as const).filter(
      (k) => q[k] !== undefined,
    );
    if (sources.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [sources[1] as string],
        message: `filters ${sources.join(', ')} cannot be combined: use one of reference, queue (or tier), assignee, customer`,
      });
    }
    if (q.reference && (q.status || q.cursor)) {
      ctx.addIssue({
        code: 'custom',
        path: ['reference'],
        message: 'a reference names one complaint: no status or cursor',
      });
    }
    const inQueue = !q.reference && !q.assignee && !q.customer;
    if (inQueue && q.status && !queuedStatuses.includes(q.status)) {
      ctx.addIssue({
        code: 'custom',
        path: ['status'],
        message: `a queue holds only ${queuedStatuses.join(', ')}: filter by assignee or customer for other statuses`,
      });
    }
  });
export type ListQuery = z.infer<typeof listQuerySchema>;

/** Query of GET /customers/{email}/complaints. */
export const customerComplaintsQuerySchema = z
  .object({ status: z.enum(complaintStatuses).optional(), ...page })
  .strict();

const text = (max: number) => z.string().trim().min(1).max(max);

/** Body of POST /customers/{email}/deliverable: why the mark goes (kept in the audit). */
export const clearUndeliverableRequestSchema = z
  .object({ reason: text(500).meta({ description: 'Why the address may be written to again' }) })
  .strict();

/** Body of POST /complaints/{id}/approval. */
export const approvalRequestSchema = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve'), version }).strict(),
  z.object({ decision: z.literal('reject'), reason: text(2000), version }).strict(),
]);

/** Body of POST /complaints/{id}/info-requests. */
export const infoRequestSchema = z.object({ question: text(4000), version }).strict();

/** Body of POST /complaints/{id}/escalation. */
export const escalationRequestSchema = z.object({ reason: text(2000), version }).strict();

/** Body of POST /complaints/{id}/follow-up. */
export const followUpRequestSchema = z
  .object({
    outcome: z.enum(['satisfied', 'unsatisfied', 'unreachable']),
    note: text(4000).optional(),
    version,
  })
  .strict();

/** Body of POST /complaints/{id}/close. */
export const closeRequestSchema = z
  .object({
    reason: z.enum(['duplicate', 'withdrawn', 'resolved_elsewhere']),
    mergedInto: z
      .string()
      .regex(/^[0-9a-f]{26}$/, 'a complaint id')
      .optional(),
    version,
  })
  .strict()
  .refine((b) => b.reason !== 'duplicate' || b.mergedInto, {
    path: ['mergedInto'],
    message: 'a duplicate names the complaint it duplicates',
  });

/** Body of POST /complaints/{id}/claim (the version may come as If-Match instead). */
export const claimRequestSchema = z.object({ version }).strict();

/** Body of POST /complaints/{id}/replies: a public reply, mailed to the customer. */
export const replyRequestSchema = z.object({ text: text(10_000), version }).strict();

/** Body of POST /complaints/{id}/notes: an internal note, never mailed. */
export const noteRequestSchema = z.object({ text: text(10_000), version }).strict();

/** Body of POST /complaints/{id}/merge. */
export const mergeRequestSchema = z
  .object({
    into: z.string().regex(/^[0-9a-f]{26}$/, 'a complaint id'),
    version,
  })
  .strict();

/** Query of GET /survey/{token}. */
export const surveyQuerySchema = z.object({ answer: z.enum(['satisfied', 'unsatisfied']) });

/** GET /quarantine: one status list (held by default), newest first, cursor paging. */
export const quarantineListQuerySchema = z
  .object({
    status: z.enum(['quarantined', 'released', 'erased']).default('quarantined'),
    ...page,
  })
  .strict();
