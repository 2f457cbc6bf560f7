import { z } from 'zod';
import { complaintStatuses, resolutionTypes, waitingKinds } from '../core/complaint';
import { agentRoles } from '../core/policy';

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

actor.register(responseRegistry, { id: 'Actor' });
complaintViewSchema.register(responseRegistry, { id: 'Complaint' });
timelineEntrySchema.register(responseRegistry, { id: 'TimelineEntry' });
complaintListSchema.register(responseRegistry, { id: 'ComplaintList' });
complaintDetailSchema.register(responseRegistry, { id: 'ComplaintDetail' });
complaintWriteSchema.register(responseRegistry, { id: 'ComplaintWrite' });
quarantineListSchema.register(responseRegistry, { id: 'QuarantineList' });
meSchema.register(responseRegistry, { id: 'Me' });
clearedMarkSchema.register(responseRegistry, { id: 'ClearedMark' });
