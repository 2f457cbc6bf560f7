import { z } from 'zod';
import { complaintStatuses, resolutionTypes, waitingKinds } from '../core/complaint';
import { agentRoles } from '../core/policy';
import { slaGroupings } from '../core/reports/projection';

/** Named response schemas: `/openapi.json` lists each once under components and refers to it. */
export const responseRegistry = z.registry<{ id: string }>();

/**
 * What the API answers, as documented in `/openapi.json` (the console's client types are generated from
 * it). Objects are open (`looseObject`): the answer may carry more fields than these, never fewer.
 */
const actor = z.looseObject({
  kind: z.enum(['system', 'customer', 'agent']),
  id: z.string(),
  role: z.enum(agentRoles).optional(),
  email: z.string().optional(),
});

const resolution = z.looseObject({
  type: z.enum(resolutionTypes),
  amount: z.number().optional(),
  currency: z.string().optional(),
  summary: z.string(),
  rootCause: z.string(),
});

const slaClock = z.looseObject({
  target: z.string(),
  startedAt: z.string(),
  dueAt: z.string(),
  warnAt: z.string(),
  warnedAt: z.string().optional(),
  pausedAt: z.string().optional(),
  remainingSeconds: z.number().optional(),
});

/** A complaint as agents see it (callback and thread tokens stay server-side). */
export const complaintViewSchema = z.looseObject({
  id: z.string(),
  reference: z.string(),
  status: z.enum(complaintStatuses),
  tier: z.number().int(),
  priority: z.string(),
  category: z.string().optional(),
  customerEmail: z.string(),
  customerName: z.string().optional(),
  subject: z.string(),
  assignee: z.string().optional(),
  claimedBy: z.looseObject({ id: z.string(), role: z.enum(agentRoles), at: z.string() }).optional(),
  slaDueAt: z.string().optional(),
  sla: slaClock.optional(),
  waitingFor: z.enum(waitingKinds).optional(),
  firstResponseAt: z.string().optional(),
  investigation: z
    .looseObject({
      category: z.string(),
      priority: z.string(),
      riskSignals: z.array(z.looseObject({ signal: z.string(), evidence: z.string() })),
      atRisk: z.boolean(),
      atRiskReasons: z.array(z.string()),
      history: z.looseObject({
        complaintsInWindow: z.number(),
        open: z.number(),
        lastCsat: z.enum(['satisfied', 'unsatisfied']).optional(),
      }),
      possibleDuplicates: z.array(z.string()),
    })
    .optional(),
  proposal: z
    .looseObject({
      resolution,
      proposedBy: actor,
      proposedAt: z.string(),
      proposerLimit: z.number().nullable(),
      approverRole: z.enum(agentRoles),
    })
    .optional(),
  lastRejection: z.looseObject({ by: actor, reason: z.string(), at: z.string() }).optional(),
  resolution: resolution
    .extend({ appliedBy: actor, authorityLimit: z.number().nullable(), appliedAt: z.string().optional() })
    .optional(),
  followUp: z
    .looseObject({
      agentId: z.string(),
      scheduledFor: z.string(),
      attempts: z.number(),
      lastOutcome: z.enum(['satisfied', 'unsatisfied', 'unreachable']).optional(),
    })
    .optional(),
  closure: z
    .looseObject({ reason: z.string(), at: z.string(), mergedInto: z.string().optional() })
    .optional(),
  failure: z
    .looseObject({ state: z.string(), error: z.string(), cause: z.string(), at: z.string() })
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

const attachment = z.looseObject({
  filename: z.string().optional(),
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
    purpose: z.string().optional(),
    attachments: z.array(attachment).optional(),
    automated: z.array(z.string()).optional(),
  }),
  z.looseObject({ kind: z.literal('note'), id: z.string(), at: z.string(), author: actor, text: z.string() }),
  z.looseObject({
    kind: z.literal('audit'),
    id: z.string(),
    at: z.string(),
    action: z.string(),
    actor,
    fromStatus: z.enum(complaintStatuses).optional(),
    toStatus: z.enum(complaintStatuses),
    version: z.number(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
]);

export const complaintListSchema = z.object({
  items: z.array(complaintViewSchema),
  cursor: z.string().optional(),
});

export const complaintDetailSchema = z.object({
  complaint: complaintViewSchema,
  timeline: z.array(timelineEntrySchema),
});

/** The answer of a write on a complaint: the complaint as it now is (a note answers the note only). */
export const complaintWriteSchema = z.looseObject({ complaint: complaintViewSchema.optional() });

export const quarantineListSchema = z.object({
  items: z.array(
    z.looseObject({
      id: z.string(),
      status: z.enum(['quarantined', 'released', 'erased']),
      reasons: z.array(z.looseObject({ code: z.string(), detail: z.string().optional() })),
      summary: z.looseObject({
        from: z.string().optional(),
        to: z.array(z.string()),
        subject: z.string(),
        sizeBytes: z.number(),
        preview: z.string(),
      }),
      quarantinedAt: z.string(),
      released: z.looseObject({ by: actor, at: z.string() }).optional(),
      outcome: z.looseObject({ disposition: z.string(), complaintId: z.string().optional() }).optional(),
    }),
  ),
  cursor: z.string().optional(),
});

/** GET /me: who the token says the caller is, and what they may decide alone. */
export const meSchema = z.object({
  id: z.string(),
  role: z.enum(agentRoles),
  email: z.string().optional(),
  /** The largest refund or credit the caller applies without approval; null = unlimited. */
  authorityLimit: z.number().nullable(),
  currency: z.string(),
});

/** What clearing an address's undeliverable mark did. */
export const clearedMarkSchema = z.object({
  address: z.string(),
  cleared: z.boolean().meta({ description: 'False on a repeat: the address was deliverable already' }),
  mark: z
    .looseObject({
      reason: z.string(),
      eventType: z.string(),
      sesMessageId: z.string(),
      at: z.string(),
      complaintId: z.string(),
    })
    .optional()
    .meta({ description: 'The mark SES feedback had left on the address' }),
  complaints: z.array(z.string()).meta({ description: 'Complaints whose undeliverable flag was cleared' }),
});

/** A share of 0..1 (4 decimals), or null when nothing was counted. */
const share = z.number().min(0).max(1).nullable();
const day = z.string().meta({ description: 'A UTC date, YYYY-MM-DD' });

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
      medianFirstResponseSeconds: z.number().nullable(),
      resolutions: z.number(),
      resolutionsMet: z.number(),
      resolutionCompliance: share,
      medianResolutionSeconds: z.number().nullable(),
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

/** GET /reports/at-risk: customers with the reasons and the complaints (ids) that flagged them. */
export const atRiskReportSchema = z.object({
  rows: z.array(
    z.looseObject({ customerId: z.string(), reasons: z.array(z.string()), complaints: z.array(z.string()) }),
  ),
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
      open: z.number().optional(),
      resolved: z.number(),
      averageHandlingSeconds: z.number().nullable(),
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
