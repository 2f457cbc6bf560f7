import { z } from 'zod';

/**
 * Policies are data (BRIEF §3): validated once at cold start from the `COMPLAINTS_POLICY` JSON
 * (CDK context in AWS) or a named profile. All durations are seconds so that the fast profile can
 * compress a lifecycle of days into about a minute without another code path.
 */
export const priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof priorities)[number];

export const agentRoles = ['tier1', 'tier2', 'tier3', 'manager'] as const;
export type AgentRole = (typeof agentRoles)[number];

const seconds = z.number().int().positive();
const amount = z.number().nonnegative();

const slaTargetSchema = z.object({
  firstResponseSeconds: seconds,
  resolutionSeconds: seconds,
});

export const policySchema = z.object({
  currency: z.string().length(3).default('EUR'),
  authority: z.object({
    tier1: amount,
    tier2: amount,
    tier3: amount,
    /** null = unlimited */
    manager: amount.nullable(),
  }),
  sla: z.object({
    targets: z.object({
      low: slaTargetSchema,
      normal: slaTargetSchema,
      high: slaTargetSchema,
      urgent: slaTargetSchema,
    }),
    /** Fraction of the target at which a warning is raised. */
    warningRatio: z.number().gt(0).lt(1).default(0.8),
  }),
  followUp: z.object({
    delaySeconds: seconds,
    callSlaSeconds: seconds,
    maxCallAttempts: z.number().int().min(1).max(10),
    surveyLinkLifetimeSeconds: seconds,
  }),
});
export type Policy = z.infer<typeof policySchema>;

const hour = 3600;
const day = 24 * hour;

export const policyProfiles = {
  /** Production defaults: tier caps from BRIEF §3, SLA targets in hours. */
  standard: {
    currency: 'EUR',
    authority: { tier1: 100, tier2: 1000, tier3: 10000, manager: null },
    sla: {
      targets: {
        low: { firstResponseSeconds: 24 * hour, resolutionSeconds: 10 * day },
        normal: { firstResponseSeconds: 8 * hour, resolutionSeconds: 5 * day },
        high: { firstResponseSeconds: 4 * hour, resolutionSeconds: 2 * day },
        urgent: { firstResponseSeconds: 1 * hour, resolutionSeconds: 1 * day },
      },
      warningRatio: 0.8,
    },
    followUp: {
      delaySeconds: 2 * day,
      callSlaSeconds: 1 * day,
      maxCallAttempts: 3,
      surveyLinkLifetimeSeconds: 14 * day,
    },
  },
  /** Local demos: the same shape in seconds, so a whole lifecycle can be watched in a minute. */
  fast: {
    currency: 'EUR',
    authority: { tier1: 100, tier2: 1000, tier3: 10000, manager: null },
    sla: {
      targets: {
        low: { firstResponseSeconds: 40, resolutionSeconds: 60 },
        normal: { firstResponseSeconds: 20, resolutionSeconds: 30 },
        high: { firstResponseSeconds: 10, resolutionSeconds: 20 },
        urgent: { firstResponseSeconds: 5, resolutionSeconds: 10 },
      },
      warningRatio: 0.8,
    },
    followUp: { delaySeconds: 5, callSlaSeconds: 15, maxCallAttempts: 2, surveyLinkLifetimeSeconds: 300 },
  },
} satisfies Record<string, Policy>;
export type PolicyProfile = keyof typeof policyProfiles;

/**
 * Resolves the policy from a profile name and an optional JSON override (deep-merged per section).
 * Throws a ZodError naming the offending field when the result is invalid.
 */
export function loadPolicy(profile: string | undefined, overrideJson?: string): Policy {
  const name = (profile ?? 'standard') as PolicyProfile;
  const base = policyProfiles[name];
  if (!base) {
    throw new Error(
      `Unknown policy profile "${profile}"; expected one of ${Object.keys(policyProfiles).join(', ')}`,
    );
  }
  const override = overrideJson ? (JSON.parse(overrideJson) as Partial<Policy>) : {};
  return policySchema.parse({
    ...base,
    ...override,
    authority: { ...base.authority, ...override.authority },
    sla: { ...base.sla, ...override.sla, targets: { ...base.sla.targets, ...override.sla?.targets } },
    followUp: { ...base.followUp, ...override.followUp },
  });
}
