import type { BusinessCalendar, DayClosures } from './businessCalendar';
import { closingHolidayTypes, holidaySourceProblems, publicHolidayResolver } from './holidays';
import * as z from './schema';

/**
 * Policies are data: a named profile, optionally overridden by the `COMPLAINTS_POLICY` JSON (the CDK
 * context `policy` in AWS), validated at synth and again once per cold start. All durations are
 * seconds so that the fast profile can compress a lifecycle of days into about a minute without
 * another code path.
 */
export const priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof priorities)[number];

export const agentRoles = ['tier1', 'tier2', 'tier3', 'manager'] as const;
export type AgentRole = (typeof agentRoles)[number];

const seconds = z.number().check(z.int(), z.positive());
const amount = z.number().check(z.nonnegative());

const slaTargetSchema = z.object({
  firstResponseSeconds: seconds,
  resolutionSeconds: seconds,
});

const clockTime = z.string().check(z.regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:mm (24:00 allowed as an end)'));

const MINUTES_PER_DAY = 1440;

function minuteOf(clock: string): number {
  const [hours = 0, minutes = 0] = clock.split(':').map(Number);
  return hours * 60 + minutes;
}

const holidaySourceSchema = z
  .strictObject(
    {
      country: z
        .string()
        .check(z.toUpperCase(), z.regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as DE')),
      state: z.optional(z.string().check(z.minLength(1))),
      region: z.optional(z.string().check(z.minLength(1))),
      types: z._default(z.array(z.enum(closingHolidayTypes)).check(z.minLength(1)), [...closingHolidayTypes]),
    },
    {
      // The calendar's holidays used to be a list of dates: say where those go now.
      error: (issue) =>
        issue.code === 'invalid_type'
          ? 'an object such as { "country": "DE", "state": "BE" }; list single days off under calendar.closures'
          : undefined,
    },
  )
  .check(
    z.superRefine((source, ctx) => {
      for (const [key, message] of holidaySourceProblems(source))
        ctx.addIssue({ code: 'custom', path: [key], message });
    }),
  );

const closureSchema = z.strictObject({
  date: z.iso.date(),
  /** A half day: business closes at this time instead of the end of working hours. */
  closesAt: z.optional(clockTime),
});

/**
 * When SLA time runs: working days and hours in a time zone, minus the public holidays of a region
 * and the company's own closures. Parsing turns it into a {@link BusinessCalendar} whose `closuresIn`
 * resolves each year once, on demand.
 */
const checkedCalendarSchema = z
  .strictObject({
    timeZone: z.string().check(
      z.refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as Europe/Berlin'),
    ),
    /** ISO weekdays: 1 = Monday ... 7 = Sunday. */
    workingDays: z.array(z.number().check(z.int(), z.gte(1), z.lte(7))).check(z.minLength(1)),
    workingHours: z
      .object({ start: clockTime, end: clockTime })
      .check(z.refine((h) => h.start < h.end, 'start before end')),
    /** Public holidays of a country, state or region (date-holidays' codes); null or absent: none. */
    holidays: z.optional(z.nullable(holidaySourceSchema)),
    /** Company days off and half days, on top of the public holidays. */
    closures: z._default(z.array(closureSchema), []),
    /** Public holidays (local dates) the company works as usual. */
    workedHolidays: z._default(z.array(z.iso.date()), []),
  })
  .check(
    z.superRefine((calendar, ctx) => {
      const { start, end } = calendar.workingHours;
      calendar.closures.forEach(({ closesAt }, i) => {
        if (closesAt !== undefined && !(closesAt > start && closesAt < end)) {
          ctx.addIssue({
            code: 'custom',
            path: ['closures', i, 'closesAt'],
            message: `${closesAt} is not within working hours ${start}-${end}; omit closesAt to close the whole day`,
          });
        }
      });
    }),
  );

export const calendarSchema = z.pipe(
  checkedCalendarSchema,
  z.transform((calendar: z.output<typeof checkedCalendarSchema>, ctx): BusinessCalendarPolicy => {
    const publicHolidays = calendar.holidays ? publicHolidayResolver(calendar.holidays) : () => noClosures;
    const resolved = { ...calendar, closuresIn: closureResolver(calendar, publicHolidays) };
    for (const [path, message] of calendarProblems(resolved, publicHolidays)) {
      ctx.issues.push({ code: 'custom', path, message, input: calendar });
    }
    return resolved;
  }),
);

const noClosures: DayClosures = new Map();

/** A calendar as configured, with its closures resolved (a {@link BusinessCalendar}). */
export interface BusinessCalendarPolicy extends BusinessCalendar {
  workingDays: number[];
  holidays?: z.output<typeof holidaySourceSchema> | null | undefined;
  closures: z.output<typeof closureSchema>[];
  workedHolidays: string[];
}

type CalendarConfig = Omit<BusinessCalendarPolicy, 'closuresIn'>;

/**
 * The year → closures function of a calendar: public holidays (minus worked ones) and configured
 * closures; when both close a date, the earlier closing time wins. Each year is computed once.
 */
function closureResolver(
  calendar: CalendarConfig,
  publicHolidays: (year: number) => DayClosures,
): (year: number) => DayClosures {
  const worked = new Set(calendar.workedHolidays);
  const years = new Map<number, DayClosures>();
  return (year) => {
    let closures = years.get(year);
    if (!closures) {
      const prefix = `${year}-`;
      const days = new Map([...publicHolidays(year)].filter(([date]) => !worked.has(date)));
      for (const { date, closesAt } of calendar.closures) {
        if (!date.startsWith(prefix)) continue;
        const minute = closesAt === undefined ? 0 : minuteOf(closesAt);
        days.set(date, Math.min(days.get(date) ?? MINUTES_PER_DAY, minute));
      }
      closures = days;
      years.set(year, closures);
    }
    return closures;
  };
}

/**
 * Configuration mistakes only the resolved calendar reveals: a worked holiday that is no holiday (a
 * typo would otherwise pass unnoticed) and a year whose closures leave no working time at all.
 */
function calendarProblems(
  calendar: BusinessCalendarPolicy,
  publicHolidays: (year: number) => DayClosures,
): [path: (string | number)[], message: string][] {
  const problems: [(string | number)[], string][] = [];
  const source = calendar.holidays;
  for (const [i, date] of calendar.workedHolidays.entries()) {
    if (!publicHolidays(Number(date.slice(0, 4))).has(date)) {
      const where = source
        ? [source.country, source.state, source.region].filter(Boolean).join('-')
        : 'none set';
      problems.push([
        ['workedHolidays', i],
        `${date} is not a public holiday of the calendar (holidays: ${where})`,
      ]);
    }
  }
  const start = minuteOf(calendar.workingHours.start);
  const years = new Set(calendar.closures.map(({ date }) => Number(date.slice(0, 4))));
  for (const year of years) {
    const closures = calendar.closuresIn(year);
    let open = false;
    for (let t = Date.UTC(year, 0, 1); !open && t < Date.UTC(year + 1, 0, 1); t += 86_400_000) {
      const weekday = ((new Date(t).getUTCDay() + 6) % 7) + 1;
      open =
        calendar.workingDays.includes(weekday) &&
        (closures.get(new Date(t).toISOString().slice(0, 10)) ?? MINUTES_PER_DAY) > start;
    }
    if (!open) {
      problems.push([
        ['closures'],
        `no working time left in ${year}: closures close every one of its workingDays`,
      ]);
    }
  }
  return problems;
}

export const policySchema = z.object({
  currency: z._default(z.string().check(z.length(3)), 'EUR'),
  calendar: calendarSchema,
  authority: z.object({
    tier1: amount,
    tier2: amount,
    tier3: amount,
    /** null = unlimited */
    manager: z.nullable(amount),
  }),
  sla: z.object({
    targets: z.object({
      low: slaTargetSchema,
      normal: slaTargetSchema,
      high: slaTargetSchema,
      urgent: slaTargetSchema,
    }),
    /** Fraction of the target at which a warning is raised. */
    warningRatio: z._default(z.number().check(z.gt(0), z.lt(1)), 0.8),
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
    maxCallAttempts: z.number().check(z.int(), z.gte(1), z.lte(10)),
    /** Business seconds between two call attempts when the customer was unreachable. */
    retryDelaySeconds: seconds,
    surveyLinkLifetimeSeconds: seconds,
  }),
  investigation: z.object({
    historyDays: z.number().check(z.int(), z.positive()),
    /** Complaints in the history window (this one included) that make a repeat complainer. */
    repeatComplainerThreshold: z.number().check(z.int(), z.gte(2)),
    duplicateWindowDays: z.number().check(z.int(), z.positive()),
    /** Distinct customers with the same category inside one window that make a recurring issue. */
    recurring: z.object({ windowSeconds: seconds, minCustomers: z.number().check(z.int(), z.gte(2)) }),
  }),
  /** A customer reply to a closed complaint within this window reopens it; later ones open a linked complaint. */
  reopenWindowSeconds: seconds,
});
export type Policy = z.infer<typeof policySchema>;

const hour = 3600;
const day = 24 * hour;
/** Eight working hours: SLA and follow-up durations count business time. */
const businessDay = 8 * hour;

const profileInputs = {
  /** Production defaults: tier caps of 100 / 1,000 / 10,000 EUR, SLA targets in business hours. */
  standard: {
    currency: 'EUR',
    calendar: {
      timeZone: 'Europe/Berlin',
      workingDays: [1, 2, 3, 4, 5],
      workingHours: { start: '09:00', end: '17:00' },
      // The public holidays where the time zone's office is: Berlin, including the bank half days
      // of 24 and 31 December (closed from 14:00).
      holidays: { country: 'DE', state: 'BE', types: ['public', 'bank'] },
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
} satisfies Record<string, z.input<typeof policySchema>>;
export type PolicyProfile = keyof typeof profileInputs;

/**
 * The named profiles, each parsed (its calendar resolved) on first use: a function parses only the
 * profile it runs with (`loadPolicy`), not every profile at module load.
 */
const parsedProfiles: Partial<Record<PolicyProfile, Policy>> = {};
export const policyProfiles: Record<PolicyProfile, Policy> = {
  get standard() {
    parsedProfiles.standard ??= policySchema.parse(profileInputs.standard);
    return parsedProfiles.standard;
  },
  get fast() {
    parsedProfiles.fast ??= policySchema.parse(profileInputs.fast);
    return parsedProfiles.fast;
  },
};

/**
 * Resolves the policy from a profile name and an optional JSON override (deep-merged per section),
 * resolving its calendar. Throws a {@link PolicyError} naming each offending key
 * (`policy.calendar.holidays.state: unknown state ...`) when the result is invalid.
 */
export function loadPolicy(profile: string | undefined, overrideJson?: string): Policy {
  const name = (profile ?? 'standard') as PolicyProfile;
  const base: z.input<typeof policySchema> | undefined = Object.hasOwn(profileInputs, name)
    ? profileInputs[name]
    : undefined;
  if (!base) {
    throw new Error(
      `Unknown policy profile "${profile}"; expected one of ${Object.keys(profileInputs).join(', ')}`,
    );
  }
  const override = overrideJson ? (JSON.parse(overrideJson) as Partial<z.input<typeof policySchema>>) : {};
  const parsed = policySchema.safeParse({
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
  if (!parsed.success) {
    throw new PolicyError(parsed.error.issues.map((i) => `policy.${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/** An invalid policy: one problem per offending key, each starting with the key's path. */
export class PolicyError extends Error {
  static readonly errorName = 'PolicyError';
  override readonly name: string = PolicyError.errorName;
  constructor(
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(`Invalid policy: ${problems.join('; ')}`, options);
  }
}
