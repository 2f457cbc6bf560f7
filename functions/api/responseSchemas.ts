import { complaintStatuses, resolutionTypes, waitingKinds } from '../core/complaint';
import { agentRoles } from '../core/policy';
import { slaGroupings } from '../core/reports/projection';
import * as z from '../core/schema';

/** Named response schemas: `/openapi.json` lists each once under components and refers to it. */
export const responseRegistry = z.registry<{ id: string }>();

/**
 * What the API answers, as documented in `/openapi.json` (the console's client types are generated from
 * it). Objects are open (`looseObject`): the answer may carry more fields than these, never fewer.
 */
const actor = z.looseObject({
  kind: z.enum(['system', 'customer', 'agent']),
  id: z.string(),
  role: z.optional(z.enum(agentRoles)),
  email: z.optional(z.string()),
});

const resolution = z.looseObject({
  type: z.enum(resolutionTypes),
  amount: z.optional(z.number()),
  currency: z.optional(z.string()),
  summary: z.string(),
  rootCause: z.string(),
});

const slaClock = z.looseObject({
  target: z.string(),
  startedAt: z.string(),
  dueAt: z.string(),
  warnAt: z.string(),
  warnedAt: z.optional(z.string()),
  pausedAt: z.optional(z.string()),
  remainingSeconds: z.optional(z.number()),
});

/** A complaint as agents see it (callback and thread tokens stay server-side). */
export const complaintViewSchema = z.looseObject({
  id: z.string(),
  reference: z.string(),
  status: z.enum(complaintStatuses),
  tier: z.number().check(z.int()),
  priority: z.string(),
  category: z.optional(z.string()),
  customerEmail: z.string(),
  customerName: z.optional(z.string()),
  subject: z.string(),
  assignee: z.optional(z.string()),
  claimedBy: z.optional(z.looseObject({ id: z.string(), role: z.enum(agentRoles), at: z.string() })),
  slaDueAt: z.optional(z.string()),
  sla: z.optional(slaClock),
  waitingFor: z.optional(z.enum(waitingKinds)),
  firstResponseAt: z.optional(z.string()),
  investigation: z.optional(
    z.looseObject({
      category: z.string(),
      priority: z.string(),
      riskSignals: z.array(z.looseObject({ signal: z.string(), evidence: z.string() })),
      atRisk: z.boolean(),
      atRiskReasons: z.array(z.string()),
      history: z.looseObject({
        complaintsInWindow: z.number(),
        open: z.number(),
        lastCsat: z.optional(z.enum(['satisfied', 'unsatisfied'])),
      }),
      possibleDuplicates: z.array(z.string()),
    }),
  ),
  proposal: z.optional(
    z.looseObject({
      resolution,
      proposedBy: actor,
      proposedAt: z.string(),
      proposerLimit: z.nullable(z.number()),
      approverRole: z.enum(agentRoles),
      alreadyApplied: z.optional(
        z.number().check(
          z.meta({
            description:
              'Refunds and credits applied to the complaint before this proposal: the approver role covers them plus its amount',
          }),
        ),
      ),
    }),
  ),
  lastRejection: z.optional(z.looseObject({ by: actor, reason: z.string(), at: z.string() })),
  resolution: z.optional(
    z.extend(resolution, {
      appliedBy: actor,
      authorityLimit: z.nullable(z.number()),
      appliedAt: z.optional(z.string()),
    }),
  ),
  appliedTotal: z.optional(
    z.number().check(
      z.meta({
        description:
          'Refunds and credits applied to the complaint so far, over all its resolutions (reopens included), in the account currency. An authority limit covers this total plus the next amount. Always in GET /complaints/{id}',
      }),
    ),
  ),
  followUp: z.optional(
    z.looseObject({
      agentId: z.string(),
      scheduledFor: z.string(),
      attempts: z.number(),
      lastOutcome: z.optional(z.enum(['satisfied', 'unsatisfied', 'unreachable'])),
    }),
  ),
  closure: z.optional(
    z.looseObject({ reason: z.string(), at: z.string(), mergedInto: z.optional(z.string()) }),
  ),
  failure: z.optional(
    z.looseObject({ state: z.string(), error: z.string(), cause: z.string(), at: z.string() }),
  ),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().check(z.int()),
});

const attachment = z.looseObject({
  filename: z.optional(z.string()),
  contentType: z.string(),
  size: z.number(),
  checksum: z.string(),
  key: z.string(),
});

/** A timeline entry: a mail in or out, an internal note, or an audit event. */
export const timelineEntrySchema = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('message'),
    id: z.string(),
    at: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    from: z.string(),
    to: z.array(z.string()),
    subject: z.string(),
    text: z.string(),
    purpose: z.optional(z.string()),
    attachments: z.optional(z.array(attachment)),
    automated: z.optional(z.array(z.string())),
  }),
  z.looseObject({ kind: z.literal('note'), id: z.string(), at: z.string(), author: actor, text: z.string() }),
  z.looseObject({
    kind: z.literal('audit'),
    id: z.string(),
    at: z.string(),
    action: z.string(),
    actor,
    fromStatus: z.optional(z.enum(complaintStatuses)),
    toStatus: z.enum(complaintStatuses),
    version: z.number(),
    details: z.optional(z.record(z.string(), z.unknown())),
  }),
]);

export const complaintListSchema = z.object({
  items: z.array(complaintViewSchema),
  cursor: z.optional(z.string()),
});

export const complaintDetailSchema = z.object({
  complaint: complaintViewSchema,
  timeline: z.array(timelineEntrySchema),
});

/** The answer of a write on a complaint: the complaint as it now is (a note answers the note only). */
export const complaintWriteSchema = z.looseObject({ complaint: z.optional(complaintViewSchema) });

export const quarantineListSchema = z.object({
  items: z.array(
    z.looseObject({
      id: z.string(),
      status: z.enum(['quarantined', 'released', 'erased']),
      reasons: z.array(z.looseObject({ code: z.string(), detail: z.optional(z.string()) })),
      summary: z.looseObject({
        from: z.optional(z.string()),
        to: z.array(z.string()),
        subject: z.string(),
        sizeBytes: z.number(),
        preview: z.string(),
      }),
      quarantinedAt: z.string(),
      released: z.optional(z.looseObject({ by: actor, at: z.string() })),
      outcome: z.optional(z.looseObject({ disposition: z.string(), complaintId: z.optional(z.string()) })),
    }),
  ),
  cursor: z.optional(z.string()),
});

/** GET /me: who the token says the caller is, and what they may decide alone. */
export const meSchema = z.object({
  id: z.string(),
  role: z.enum(agentRoles),
  email: z.optional(z.string()),
  /** The largest refund or credit the caller applies without approval; null = unlimited. */
  authorityLimit: z.nullable(z.number()),
  currency: z.string(),
});

/** What clearing an address's undeliverable mark did. */
export const clearedMarkSchema = z.object({
  address: z.string(),
  cleared: z
    .boolean()
    .check(z.meta({ description: 'False on a repeat: the address was deliverable already' })),
  mark: z
    .optional(
      z.looseObject({
        reason: z.string(),
        eventType: z.string(),
        sesMessageId: z.string(),
        at: z.string(),
        complaintId: z.string(),
      }),
    )
    .check(z.meta({ description: 'The mark SES feedback had left on the address' })),
  complaints: z
    .array(z.string())
    .check(z.meta({ description: 'Complaints whose undeliverable flag was cleared' })),
});

/** A share of 0..1 (4 decimals), or null when nothing was counted. */
const share = z.nullable(z.number().check(z.gte(0), z.lte(1)));
const day = z.string().check(z.meta({ description: 'A UTC date, YYYY-MM-DD' }));

/** GET /reports/sla: one row per group value with activity in the range. */
export const slaReportSchema = z.object({
  from: day,
  to: day,
  groupBy: z.enum(slaGroupings),
  rows: z.array(
    z.looseObject({
      group: z.string(),
      firstResponses: z.number(),
      firstResponsesMet: z.number(),
      firstResponseCompliance: share,
      medianFirstResponseSeconds: z.nullable(z.number()),
      resolutions: z.number(),
      resolutionsMet: z.number(),
      resolutionCompliance: share,
      medianResolutionSeconds: z.nullable(z.number()),
      breaches: z.number(),
    }),
  ),
});

/** GET /reports/recurring: category × root cause, resolutions per ISO week (Mondays, oldest first). */
export const recurringReportSchema = z.object({
  weeks: z.array(day),
  rows: z.array(
    z.looseObject({
      category: z.string(),
      rootCause: z.string(),
      weeks: z.array(z.object({ week: day, resolutions: z.number() })),
      total: z.number(),
      lastWeek: z.number(),
      baseline: z.number(),
      spike: z.boolean(),
    }),
  ),
});

/**
 * GET /reports/at-risk: per customer and ISO week, the reasons and the complaints (ids) that flagged
 * them, newest week first, one page.
 */
export const atRiskReportSchema = z.object({
  from: day,
  to: day,
  rows: z.array(
    z.looseObject({
      week: day.check(z.meta({ description: 'The Monday of the ISO week' })),
      customerId: z.string(),
      reasons: z.array(z.string()),
      complaints: z.array(z.string()).check(z.meta({ description: 'The first 100 complaints of the week' })),
      unlistedFlags: z
        .number()
        .check(z.meta({ description: 'Flags that week of complaints beyond the listed ones' })),
    }),
  ),
  cursor: z.optional(z.string().check(z.meta({ description: 'The next page (absent on the last)' }))),
});

const verdicts = z.object({ satisfied: z.number(), unsatisfied: z.number() });

/** GET /reports/csat: satisfied / (satisfied + unsatisfied) per ISO week and over the range. */
export const csatReportSchema = z.object({
  from: day,
  to: day,
  satisfied: z.number(),
  unsatisfied: z.number(),
  csat: share,
  rows: z.array(
    z.looseObject({
      week: day,
      satisfied: z.number(),
      unsatisfied: z.number(),
      csat: share,
      byChannel: z.record(z.string(), verdicts),
    }),
  ),
});

/** GET /reports/workload: per tier (with its open complaints) and per agent. */
export const workloadReportSchema = z.object({
  rows: z.array(
    z.looseObject({
      kind: z.enum(['tier', 'agent']),
      id: z.string(),
      open: z.optional(z.number()),
      resolved: z.number(),
      averageHandlingSeconds: z.nullable(z.number()),
    }),
  ),
});

actor.register(responseRegistry, { id: 'Actor' });
complaintViewSchema.register(responseRegistry, { id: 'Complaint' });
timelineEntrySchema.register(responseRegistry, { id: 'TimelineEntry' });
complaintListSchema.register(responseRegistry, { id: 'ComplaintList' });
complaintDetailSchema.register(responseRegistry, { id: 'ComplaintDetail' });
complaintWriteSchema.register(responseRegistry, { id: 'ComplaintWrite' });
quarantineListSchema.register(responseRegistry, { id: 'QuarantineList' });
meSchema.register(responseRegistry, { id: 'Me' });
clearedMarkSchema.register(responseRegistry, { id: 'ClearedMark' });
slaReportSchema.register(responseRegistry, { id: 'SlaReport' });
recurringReportSchema.register(responseRegistry, { id: 'RecurringReport' });
atRiskReportSchema.register(responseRegistry, { id: 'AtRiskReport' });
csatReportSchema.register(responseRegistry, { id: 'CsatReport' });
workloadReportSchema.register(responseRegistry, { id: 'WorkloadReport' });
