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

const actorSchema = z.object({
  kind: z.enum(['system', 'customer', 'agent']),
  id: z.string(),
  role: z.enum(agentRoles).optional(),
  email: z.string().optional(),
});

/** The decision the API sends to the workflow as the AwaitAgent task output. */
export const decisionSchema = z.object({
  action: z.literal('resolve'),
  resolution: z.object({
    type: z.enum(resolutionTypes),
    amount: z.number().optional(),
    currency: z.string().optional(),
    summary: z.string(),
    rootCause: z.string(),
    appliedBy: actorSchema,
    authorityLimit: z.number().nullable(),
  }),
});

/** Query of GET /complaints. */
export const listQuerySchema = z
  .object({
    reference: z
      .string()
      .regex(/^CMP-[0-9A-HJKMNP-TV-Z]{6}$/i, 'a reference such as CMP-4F7K2Q')
      .optional(),
    tier: z.coerce.number().int().min(1).max(3).optional(),
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().max(2048).optional(),
  })
  .strict();
