import { z } from 'zod';

/**
 * Policies are data: validated once at cold start from the `COMPLAINTS_POLICY` JSON
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

const clockTime = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:mm (24:00 allowed as an end)');

/** When SLA time runs: working days and hours in a time zone, minus holidays (local dates). */
export const calendarSchema = z
  .object({
    timeZone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone such as Europe/Berlin'),
    /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
    workingDays: z.array(z.number().int().min(1).max(7)).min(1),
    workingHours: z
      .object({ start: clockTime, end: clockTime })
      .refine((h) => h.start < h.end, 'start before end'),
    holidays: z.array(z.iso.date()).default([]),
  })
  .strict();
export type BusinessCalendarPolicy = z.infer<typeof calendarSchema>;

export const policySchema = z.object({
  currency: z.string().length(3).default('EUR'),
  calendar: calendarSchema,
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
  /** An approver's own SLA (business seconds) for a proposal above the proposer's limit. */
  approval: z.object({ responseSeconds: seconds }),
  /** Waiting for the customer's answer to a request for information (wall-clock seconds). */
  infoRequest: z.object({ reminderAfterSeconds: seconds, closeAfterSeconds: seconds }),
  followUp: z.object({
    /** Business seconds from the resolution email to the follow-up call. */
    delaySeconds: seconds,
    /** Business seconds the resolving agent has to make the call. */
    callSlaSeconds: seconds,
    maxCallAttempts: z.number().int().min(1).max(10),
    /** Business seconds between two call attempts when the customer was unreachable. */
    retryDelaySeconds: seconds,
    surveyLinkLifetimeSeconds: seconds,
  }),
  investigation: z.object({
    historyDays: z.number().int().positive(),
    /** Complaints in the history window (this one included) that make a repeat complainer. */
    repeatComplainerThreshold: z.number().int().min(2),
    duplicateWindowDays: z.number().int().positive(),
    /** Distinct customers with the same category inside one window that make a recurring issue. */
    recurring: z.object({ windowSeconds: seconds, minCustomers: z.number().int().min(2) }),
  }),
  /** A customer reply to a closed complaint within this window reopens it; later ones open a linked complaint. */
  reopenWindowSeconds: seconds,
});
export type Policy = z.infer<typeof policySchema>;

const hour = 3600;
const day = 24 * hour;
/** Eight working hours: SLA and follow-up durations count business time. */
const businessDay = 8 * hour;

export const policyProfiles = {
  /** Production defaults: tier caps, SLA targets in hours. */
  standard: {
    currency: 'EUR',
    calendar: {
      timeZone: 'Europe/Berlin',
      workingDays: [1, 2, 3, 4, 5],
      workingHours: { start: '09:00', end: '17:00' },
      holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2026-12-31', '2027-01-01'],
    },
    authority: { tier1: 100, tier2: 1000, tier3: 10000, manager: null },
    sla: {
      targets: {
        // Business time: 8 working hours make a business day.
        low: { firstResponseSeconds: 2 * businessDay, resolutionSeconds: 10 * businessDay },
        normal: { firstResponseSeconds: 1 * businessDay, resolutionSeconds: 5 * businessDay },
        high: { firstResponseSeconds: 4 * hour, resolutionSeconds: 2 * businessDay },
        urgent: { firstResponseSeconds: 1 * hour, resolutionSeconds: 1 * businessDay },
      },
      warningRatio: 0.8,
    },
    approval: { responseSeconds: 4 * hour },
    infoRequest: { reminderAfterSeconds: 3 * day, closeAfterSeconds: 4 * day },
    followUp: {
      delaySeconds: 2 * businessDay,
      callSlaSeconds: 1 * businessDay,
      maxCallAttempts: 3,
      retryDelaySeconds: 4 * hour,
      surveyLinkLifetimeSeconds: 14 * day,
    },
    investigation: {
      historyDays: 90,
      repeatComplainerThreshold: 3,
      duplicateWindowDays: 7,
      recurring: { windowSeconds: 1 * day, minCustomers: 5 },
    },
    reopenWindowSeconds: 30 * day,
  },
  /** Local demos: the same shape in seconds, so a whole lifecycle can be watched in a minute. */
  fast: {
    currency: 'EUR',
    // Around the clock, so that seconds of policy are seconds on the wall clock.
    calendar: {
      timeZone: 'UTC',
      workingDays: [1, 2, 3, 4, 5, 6, 7],
      workingHours: { start: '00:00', end: '24:00' },
      holidays: [],
    },
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
    approval: { responseSeconds: 15 },
    infoRequest: { reminderAfterSeconds: 8, closeAfterSeconds: 8 },
    followUp: {
      delaySeconds: 5,
      callSlaSeconds: 15,
      maxCallAttempts: 2,
      retryDelaySeconds: 3,
      surveyLinkLifetimeSeconds: 300,
    },
    investigation: {
      historyDays: 90,
      repeatComplainerThreshold: 3,
      duplicateWindowDays: 7,
      recurring: { windowSeconds: 600, minCustomers: 3 },
    },
    reopenWindowSeconds: 600,
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
    calendar: { ...base.calendar, ...override.calendar },
    authority: { ...base.authority, ...override.authority },
    approval: { ...base.approval, ...override.approval },
    infoRequest: { ...base.infoRequest, ...override.infoRequest },
    investigation: { ...base.investigation, ...override.investigation },
    sla: { ...base.sla, ...override.sla, targets: { ...base.sla.targets, ...override.sla?.targets } },
    followUp: { ...base.followUp, ...override.followUp },
  });
}
