import { z } from 'zod';
import { resolutionTypes } from '../core/complaint';
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

const money = z.number().positive().max(1_000_000).multipleOf(0.01);

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
    /** The complaint version the agent acted on (alternative to the If-Match header). */
    version: z.number().int().positive().optional(),
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

/** Query of GET /complaints. */
export const listQuerySchema = z
  .object({
    reference: z
      .string()
      .regex(/^CMP-[0-9A-HJKMNP-TV-Z]{6}$/i, 'a reference such as CMP-4F7K2Q')
      .optional(),
    queue: z.enum(agentRoles).optional(),
    tier: z.coerce.number().int().min(1).max(3).optional(),
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().max(2048).optional(),
  })
  .strict();

const version = z.number().int().positive().optional();
const text = (max: number) => z.string().trim().min(1).max(max);

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

/** Query of GET /survey/{token}. */
export const surveyQuerySchema = z.object({ answer: z.enum(['satisfied', 'unsatisfied']) });
