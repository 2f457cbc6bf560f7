import { z } from 'zod';
import { complaintCategories } from '../../functions/core/investigation';
import { agentRoles, loadPolicy, type Policy, PolicyError } from '../../functions/core/policy';

/**
 * A workload scenario: who writes in and when, what they complain about, who works when and how fast,
 * how customers behave, and the policy in force (a named profile plus overrides, validated by the same
 * `loadPolicy` the handlers use). Every duration is a string with a unit: `90s`, `25m`, `4h`, `2d`.
 */

const durationPattern = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const unitSeconds = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A duration such as `25m`, in seconds. */
const duration = z
  .string()
  .regex(durationPattern, 'a duration such as 90s, 25m, 4h or 2d')
  .transform((text) => {
    const [, value, unit] = durationPattern.exec(text) as RegExpExecArray;
    return Number(value) * unitSeconds[unit as keyof typeof unitSeconds];
  });

const share = z.number().min(0).max(1);
const weight = z.number().nonnegative();

/** Weights per key, not all zero (they are normalised). */
const weights = <K extends string>(keys: readonly [K, ...K[]]) =>
  z
    .partialRecord(z.enum(keys), weight)
    .refine((w) => (Object.values(w) as number[]).some((v) => v > 0), 'at least one weight above 0');

/** How long something takes: a fixed time, uniform, exponential (mean) or lognormal (median, spread). */
export const durationDistributionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), value: duration }).strict(),
  z
    .object({ kind: z.literal('uniform'), min: duration, max: duration })
    .strict()
    .refine((d) => d.min <= d.max, { message: 'min must not exceed max', path: ['max'] }),
  z.object({ kind: z.literal('exponential'), mean: duration }).strict(),
  z
    .object({
      kind: z.literal('lognormal'),
      median: duration,
      /** Standard deviation of the logarithm: 0.5 is moderate spread, 1 is wide. */
      sigma: z.number().positive().max(3),
    })
    .strict(),
]);
export type DurationDistribution = z.output<typeof durationDistributionSchema>;

/** Money amounts (refunds, credits) in the policy currency. */
const amountDistributionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('fixed'), value: z.number().nonnegative() }).strict(),
  z
    .object({ kind: z.literal('uniform'), min: z.number().nonnegative(), max: z.number().nonnegative() })
    .strict()
    .refine((d) => d.min <= d.max, { message: 'min must not exceed max', path: ['max'] }),
  z
    .object({
      kind: z.literal('lognormal'),
      median: z.number().positive(),
      sigma: z.number().positive().max(3),
    })
    .strict(),
]);
export type AmountDistribution = z.output<typeof amountDistributionSchema>;

const clockTime = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:mm (24:00 allowed as an end)');

const shiftSchema = z
  .object({
    /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
    days: z.array(z.number().int().min(1).max(7)).min(1),
    start: clockTime,
    end: clockTime,
  })
  .strict()
  .refine((s) => s.start < s.end, { message: 'start before end', path: ['end'] });

const staffGroupSchema = z
  .object({
    role: z.enum(agentRoles),
    agents: z.number().int().min(0).max(10_000),
    /** Working times in the policy calendar's time zone. */
    shifts: z.array(shiftSchema).min(1),
    /** Off on the calendar's public holidays and closures (half days end early). */
    offOnClosures: z.boolean().default(true),
  })
  .strict();

export const riskSignalsSimulated = ['legal_threat', 'regulator_or_press', 'cancel_intent'] as const;
export const tones = ['mild', 'neutral', 'angry'] as const;
export const resolutionKinds = ['apology', 'explanation', 'replacement', 'refund', 'credit'] as const;

const peakSchema = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    /** Arrivals are multiplied by this between from and to. */
    factor: z.number().positive().max(1000),
  })
  .strict()
  .refine((p) => Date.parse(p.from) < Date.parse(p.to), { message: 'from before to', path: ['to'] });

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** First simulated instant (the virtual clock starts here). */
    start: z.iso.datetime({ offset: true }),
    days: z.number().int().min(1).max(366),
    seed: z.number().int().default(1),
    policy: z
      .object({
        profile: z.enum(['standard', 'fast']).default('standard'),
        /** Deep-merged per section into the profile, as `COMPLAINTS_POLICY` is. */
        overrides: z.record(z.string(), z.unknown()).default({}),
      })
      .strict()
      .default({ profile: 'standard', overrides: {} }),
    arrivals: z
      .object({
        /** Mean complaints per day (before the weekday, hour and peak weights). */
        perDay: z.number().positive().max(1_000_000),
        /** Relative weights of the 24 local hours (0 = 00:00-01:00). */
        hourly: z
          .array(weight)
          .length(24)
          .refine((w) => w.some((v) => v > 0), 'at least one hour above 0'),
        /** Relative weights of Monday ... Sunday (their mean is 1 day's perDay). */
        weekdays: z
          .array(weight)
          .length(7)
          .refine((w) => w.some((v) => v > 0), 'at least one day above 0'),
        peaks: z.array(peakSchema).default([]),
      })
      .strict(),
    mix: z
      .object({
        categories: weights(complaintCategories),
        /** How customers word it: triage reads mild wording as low and angry wording as high priority. */
        tone: weights(tones),
        /** Share of complaints with a risk signal, and which. */
        risk: z.object({ rate: share, signals: weights(riskSignalsSimulated) }).strict(),
        resolutions: weights(resolutionKinds),
        /** Refunds and credits. */
        amount: amountDistributionSchema,
        /** Share the agent first asks the customer for information. */
        needsInformation: share,
        /** Share the agent escalates by request. */
        agentEscalation: share.default(0),
        /** Share the agent closes without a resolution (withdrawn by the customer). */
        withdrawn: share.default(0),
      })
      .strict(),
    staffing: z.array(staffGroupSchema).min(1),
    handling: z
      .object({
        /** An agent working a complaint up to a decision. */
        decision: durationDistributionSchema,
        /** An approver deciding on a proposal. */
        approval: durationDistributionSchema,
        /** A follow-up call (reached or not). */
        followUpCall: durationDistributionSchema,
      })
      .strict(),
    customers: z
      .object({
        /** Answers to a request for information. */
        infoReply: z.object({ share, after: durationDistributionSchema }).strict(),
        /** Probability that a follow-up call reaches the customer. */
        reachable: share,
        /** Of the customers reached by the call, the share satisfied. */
        satisfied: share,
        survey: z.object({ answers: share, satisfied: share, after: durationDistributionSchema }).strict(),
      })
      .strict(),
    approvals: z.object({ rejectRate: share }).strict().default({ rejectRate: 0 }),
    /** What `--sweep` must reach: a share of complaints within the first-response or resolution target. */
    target: z
      .object({ metric: z.enum(['firstResponse', 'resolution']), share })
      .strict()
      .default({ metric: 'firstResponse', share: 0.95 }),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const [path, message] of policyProblems(s.policy.profile, s.policy.overrides)) {
      ctx.addIssue({ code: 'custom', path: ['policy', 'overrides', ...path], message });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type StaffGroup = Scenario['staffing'][number];

/** The policy problems of an override, each with its path inside the override. */
function policyProblems(profile: string, overrides: Record<string, unknown>): [string[], string][] {
  try {
    loadPolicy(profile, JSON.stringify(overrides));
    return [];
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return error.problems.map((problem) => {
      const [path = '', message = problem] = problem.replace(/^policy\./, '').split(/: (.*)/s);
      return [path.split('.').filter(Boolean), message];
    });
  }
}

/** The policy a scenario runs under: its profile with its overrides, exactly as the handlers load it. */
export function scenarioPolicy(s: Scenario): Policy {
  return loadPolicy(s.policy.profile, JSON.stringify(s.policy.overrides));
}

/** One problem of an invalid scenario: where (a JSON path such as `$.mix.risk.rate`) and what. */
export interface ScenarioProblem {
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  static readonly errorName = 'ScenarioError';
  override readonly name: string = ScenarioError.errorName;
  constructor(readonly problems: ScenarioProblem[]) {
    super(`Invalid scenario:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

/** `$.a.b[2].c` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('')}`;
}

/** Validates a scenario (parsed JSON); throws a {@link ScenarioError} with one problem per issue. */
export function parseScenario(input: unknown): Scenario {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) {
    throw new ScenarioError(parsed.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
  }
  return parsed.data;
}
