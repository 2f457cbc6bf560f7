import { complaintStatuses, queuedStatuses, resolutionTypes } from '../core/complaint';
import { normalizeAddress } from '../core/mail/addresses';
import { agentRoles } from '../core/policy';
import { canonicalReference, complaintIdPattern, typedReferencePattern } from '../core/reference';
import * as z from '../core/schema';

// Each request schema is built on its first parse (`z.lazy`): a cold start of the API serves one route
// and builds that route's schema, not all of them (building them all was 6-7 ms of the API's import).
// The OpenAPI document resolves them the same way, and is unchanged by it.

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
const storableNumber = z
  .number()
  .check(z.refine(storable, 'out of the range DynamoDB stores (1e-130 to 1e126)'));

/** Finite (zod), positive, bounded; decimals are checked against the currency's minor unit (core/money). */
const money = storableNumber.check(
  z.positive(),
  z.lte(1_000_000),
  z.meta({ description: 'At most 1,000,000, with no more decimals than the currency has (EUR 2, JPY 0)' }),
);

// Something a reader sees: a text of spaces and invisible format characters (zero-width spaces and
// joiners, direction marks, which trimming keeps) says nothing to the customer or the next agent.
const visible = /[^\s\p{Cf}]/u;

/** Trimmed, with something visible in it, at most `max` characters. */
const text = (max: number) =>
  z.string().check(
    z.trim(),
    z.minLength(1),
    z.maxLength(max),
    z.refine((value) => visible.test(value), 'nothing visible: write the text'),
  );

const complaintId = z.string().check(z.regex(complaintIdPattern, 'a complaint id'));

/**
 * A non-negative decimal integer as the API takes one written out (a query parameter, an If-Match
 * version, a body's `version` in its JSON source): digits only, without a leading zero.
 */
export const decimalIntegerPattern = /^(0|[1-9][0-9]*)$/;

/**
 * An integer query parameter, `min`..`max`. The text must be a plain decimal integer: `Number()` (as
 * zod's coercion did) also reads `0x2`, `1e0`, ` 2`, `2.0` and `` (as 0), which are a 400 naming the
 * parameter.
 * The OpenAPI document gives the integer a client sends (its decimal digits on the wire).
 */
export const queryInteger = (min: number, max: number) =>
  z
    .pipe(
      z
        .string()
        .check(
          z.refine(
            (value) => decimalIntegerPattern.test(value),
            'a decimal integer: digits only, without sign, spaces, point, exponent or leading zero',
          ),
        ),
      z.pipe(
        z.transform((value: string) => Number(value)),
        z.number().check(z.int(), z.gte(min), z.lte(max)),
      ),
    )
    .check(z.meta({ type: 'integer', minimum: min, maximum: max }));

/**
 * The complaint version the agent acted on (alternative to the If-Match header): a safe non-negative
 * integer (zod's int stops at 2^53 - 1, beyond which two versions would read as one).
 */
const version = z.optional(z.number().check(z.int(), z.nonnegative()));

/** Body of POST /complaints/{id}/resolution. */
export const resolutionRequestSchema = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(resolutionTypes),
      amount: z.optional(money),
      currency: z.optional(z.string().check(z.regex(/^[A-Z]{3}$/, 'ISO 4217 code such as EUR'))),
      summary: text(4000),
      rootCause: z.enum(rootCauses),
      version,
    })
    .check(
      z.superRefine((body, ctx) => {
        const monetary = body.type === 'refund' || body.type === 'credit';
        if (monetary && body.amount === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['amount'],
            message: `amount is required for a ${body.type}`,
          });
        }
        if (!monetary && body.amount !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['amount'], message: `a ${body.type} carries no amount` });
        }
      }),
    ),
);
export type ResolutionRequest = z.infer<typeof resolutionRequestSchema>;

// The validator intake files senders with: every customer address intake stores is accepted, looked
// up and erased here as the same normalised string, and nothing intake refuses is accepted.
const email = z.pipe(
  z.string().check(z.trim(), z.maxLength(254), z.meta({ format: 'email' })),
  z.transform((value: string, ctx) => {
    const address = normalizeAddress(value);
    if (address) return address;
    ctx.issues.push({ code: 'custom', message: 'not a deliverable email address', input: value });
    return z.NEVER;
  }),
);

// A reference as an agent types what a customer reads out over the phone (canonicalReference): `cmp
// 4f7k2q`, `CMP4F7K2Q` and `CMP-4F7K2Q` find one complaint, as do an O for a 0 and an I or L for a 1.
const reference = z.pipe(
  z
    .string()
    .check(
      z.regex(typedReferencePattern, 'a reference such as CMP-4F7K2Q'),
      z.meta({ description: 'CMP-XXXXXX in any case, the hyphen optional; O reads as 0, I and L as 1' }),
    ),
  z.transform((value: string) => canonicalReference(value) as string),
);

/** Query of GET /customers/{email}/complaints (path) and the `customer` filter. */
export const customerEmailSchema = email;

export const page = {
  limit: z.optional(queryInteger(1, 100)),
  cursor: z.optional(
    z.string().check(
      z.minLength(1),
      z.maxLength(2048),
      z.meta({
        description:
          'The `cursor` of the previous page of the same list (opaque and signed: any other is a 400)',
      }),
    ),
  ),
};

/**
 * Query of GET /complaints. One source at most — `reference`, a queue (`queue` or `tier`), `assignee`
 * (an agent id, or `me`) or `customer` — with the caller's own queue as the default; `status` narrows
 * any of them (within a queue, only the statuses a queue holds).
 */
export const listQuerySchema = z.lazy(() =>
  z
    .strictObject({
      reference: z.optional(reference),
      queue: z.optional(z.enum(agentRoles)),
      tier: z.optional(queryInteger(1, 3)),
      status: z.optional(z.enum(complaintStatuses)),
      assignee: z.optional(z.string().check(z.regex(/^[\w.@:-]{1,128}$/, 'an agent id, or "me"'))),
      customer: z.optional(email),
      ...page,
    })
    .check(
      z.superRefine((q, ctx) => {
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
      }),
    ),
);
export type ListQuery = z.infer<typeof listQuerySchema>;

/** Query of GET /customers/{email}/complaints. */
export const customerComplaintsQuerySchema = z.lazy(() =>
  z.strictObject({
    status: z.optional(z.enum(complaintStatuses)),
    ...page,
  }),
);

/** Body of POST /customers/{email}/deliverable: why the mark goes (kept in the audit). */
export const clearUndeliverableRequestSchema = z.lazy(() =>
  z.strictObject({
    reason: text(500).check(z.meta({ description: 'Why the address may be written to again' })),
  }),
);

/** Body of POST /complaints/{id}/approval. */
export const approvalRequestSchema = z.lazy(() =>
  z.discriminatedUnion('decision', [
    z.strictObject({ decision: z.literal('approve'), version }),
    z.strictObject({ decision: z.literal('reject'), reason: text(2000), version }),
  ]),
);

/** Body of POST /complaints/{id}/info-requests. */
export const infoRequestSchema = z.lazy(() => z.strictObject({ question: text(4000), version }));

/** Body of POST /complaints/{id}/escalation. */
export const escalationRequestSchema = z.lazy(() => z.strictObject({ reason: text(2000), version }));

/** Body of POST /complaints/{id}/follow-up. */
export const followUpRequestSchema = z.lazy(() =>
  z.strictObject({
    outcome: z.enum(['satisfied', 'unsatisfied', 'unreachable']),
    note: z.optional(text(4000)),
    version,
  }),
);

/** Body of POST /complaints/{id}/close. */
export const closeRequestSchema = z.lazy(() =>
  z
    .strictObject({
      reason: z.enum(['duplicate', 'withdrawn', 'resolved_elsewhere']),
      mergedInto: z.optional(complaintId),
      version,
    })
    .check(
      z.refine((b) => b.reason !== 'duplicate' || b.mergedInto, {
        path: ['mergedInto'],
        message: 'a duplicate names the complaint it duplicates',
      }),
      // Only a duplicate is merged: a withdrawn complaint naming another would close with `mergedInto`,
      // and the customer's later mail would follow it there (intake follows merges) unnoted.
      z.refine((b) => b.reason === 'duplicate' || !b.mergedInto, {
        path: ['mergedInto'],
        message: 'only a duplicate names the complaint it was merged into',
      }),
    ),
);

/** Body of POST /complaints/{id}/claim (the version may come as If-Match instead). */
export const claimRequestSchema = z.lazy(() => z.strictObject({ version }));

/** Body of POST /complaints/{id}/replies: a public reply, mailed to the customer. */
export const replyRequestSchema = z.lazy(() => z.strictObject({ text: text(10_000), version }));

/** Body of POST /complaints/{id}/notes: an internal note, never mailed. */
export const noteRequestSchema = z.lazy(() => z.strictObject({ text: text(10_000), version }));

/** Body of POST /complaints/{id}/merge. */
export const mergeRequestSchema = z.lazy(() => z.strictObject({ into: complaintId, version }));

/** Query of GET /survey/{token}. */
export const surveyQuerySchema = z.lazy(() => z.object({ answer: z.enum(['satisfied', 'unsatisfied']) }));

/** GET /quarantine: one status list (held by default), newest first, cursor paging. */
export const quarantineListQuerySchema = z.lazy(() =>
  z.strictObject({
    status: z._default(z.enum(['quarantined', 'released', 'erased']), 'quarantined'),
    ...page,
  }),
);
