import { resolutionTypes } from '../complaint';
import { agentRoles, priorities } from '../policy';
import * as z from '../schema';

/**
 * The domain events the system publishes: one per committed state change that the business cares
 * about, derived from the audit entry that committed with the change (the audit items are the outbox).
 * Each event type has a versioned JSON schema in `docs/events/schemas/` generated from these zod schemas.
 */
export const eventSource = 'complaints';

/** Version of every event's payload schema; a breaking change adds a version instead of changing one. */
export const schemaVersion = 1;

const isoTime = z.iso.datetime({ offset: true });
const tier = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const money = z.object({
  type: z.enum(resolutionTypes),
  amount: z.optional(z.number()),
  currency: z.optional(z.string().check(z.length(3))),
  rootCause: z.string().check(z.maxLength(64)),
});

/** Who made the change: an agent's id and role, or only the kind (a customer is never named). */
const actor = z.object({
  kind: z.enum(['system', 'customer', 'agent']),
  id: z.optional(z.string().check(z.maxLength(128))),
  role: z.optional(z.enum(agentRoles)),
});

/** Fields every event carries: what happened to which complaint, when, and its classification then. */
const envelope = {
  eventId: z
    .string()
    .check(
      z.maxLength(256),
      z.meta({ description: 'Derived from the audit item: the same on every redelivery' }),
    ),
  schemaVersion: z.literal(schemaVersion),
  occurredAt: isoTime,
  complaintId: z.string().check(z.maxLength(128)),
  complaintVersion: z.number().check(z.int(), z.positive()),
  customerId: z
    .string()
    .check(z.maxLength(64), z.meta({ description: 'A stable pseudonymous customer id, never the address' })),
  tier,
  priority: z.enum(priorities),
  category: z.optional(z.string().check(z.maxLength(64))),
  openedAt: isoTime,
  actor,
};

const sla = z.object({ target: z.string().check(z.maxLength(32)), dueAt: isoTime });

/** The payload of each event type (the `data` of the event). */
export const eventPayloads = {
  ComplaintOpened: z.object({
    reference: z.string().check(z.maxLength(16)),
    automated: z.boolean(),
    linkedTo: z.optional(z.string().check(z.maxLength(128))),
  }),
  ComplaintEscalated: z.object({
    cause: z.enum(['agent_request', 'risk_signal']),
    fromTier: tier,
    toTier: tier,
    riskSignals: z.optional(z.array(z.string().check(z.maxLength(32)))),
  }),
  SlaWarning: z
    .object({
      target: z.enum(['firstResponse', 'resolution']),
      warnAt: isoTime.check(
        z.meta({ description: 'When the warning share of the target was used (business time)' }),
      ),
      dueAt: isoTime,
    })
    .check(z.meta({ description: 'Once per SLA clock, while the agent still has time before the due time' })),
  SlaBreached: z.object({
    cause: z.enum(['sla_breach', 'approval_timeout', 'follow_up_overdue']),
    sla: z.optional(sla),
    fromTier: z.optional(tier),
    toTier: z.optional(tier),
    fromRole: z.optional(z.enum(agentRoles)),
    toRole: z.optional(z.enum(agentRoles)),
    managerAlert: z.boolean(),
  }),
  ResolutionProposed: z.object({
    decisionId: z.string().check(z.maxLength(128)),
    resolution: money,
    approverRole: z.enum(agentRoles),
    alreadyApplied: z.optional(
      z.number().check(
        z.meta({
          description:
            'Refunds and credits applied to the complaint before (earlier resolutions, reopens): the approver role covers them plus this amount',
        }),
      ),
    ),
  }),
  ResolutionApproved: z.object({ decisionId: z.string().check(z.maxLength(128)), resolution: money }),
  ResolutionRejected: z.object({ decisionId: z.string().check(z.maxLength(128)) }),
  ResolutionApplied: z.object({
    decisionId: z.string().check(z.maxLength(128)),
    resolution: money,
    authorityLimit: z.nullable(z.number()),
    appliedTotal: z.optional(
      z.number().check(
        z.meta({
          description:
            'Refunds and credits applied to the complaint so far, this resolution included (the value its authority was checked on)',
        }),
      ),
    ),
    sla: z.optional(sla),
    firstResponseAt: z.optional(isoTime),
  }),
  CustomerContacted: z.object({
    via: z.enum(['reply', 'info_request']),
    sla: z.optional(sla),
    firstResponseAt: z.optional(isoTime),
  }),
  FollowUpCompleted: z.object({
    outcome: z.enum(['satisfied', 'unsatisfied', 'unreachable']),
    via: z.enum(['call', 'customer_mail']),
  }),
  SurveyAnswered: z.object({ outcome: z.enum(['satisfied', 'unsatisfied']) }),
  ComplaintReopened: z.object({
    via: z.enum(['customer_mail', 'unsatisfied_follow_up']),
    /** It had been closed (it counts as open again); else it was resolved and still open. */
    wasClosed: z.boolean(),
    fromPriority: z.enum(priorities),
    toPriority: z.enum(priorities),
  }),
  ComplaintClosed: z.object({
    reason: z.enum(['satisfied', 'abandoned', 'no_response', 'duplicate', 'withdrawn', 'resolved_elsewhere']),
    mergedInto: z.optional(z.string().check(z.maxLength(128))),
  }),
} as const;

export type EventType = keyof typeof eventPayloads;
export const eventTypes = Object.keys(eventPayloads) as EventType[];

/** The full schema of one event type: the envelope, its type and its payload. */
export const eventSchemaOf = <T extends EventType>(type: T) =>
  z
    .object({ ...envelope, type: z.literal(type), data: eventPayloads[type] })
    .check(z.meta({ title: `${type} v${schemaVersion}` }));

export type DomainEvent = {
  [T in EventType]: z.infer<ReturnType<typeof eventSchemaOf<T>>>;
}[EventType];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** Every event type's schema by type, for validating a published or received event. */
export const domainEventSchema = z.discriminatedUnion(
  'type',
  eventTypes.map((t) => eventSchemaOf(t)) as unknown as [
    ReturnType<typeof eventSchemaOf<EventType>>,
    ...ReturnType<typeof eventSchemaOf<EventType>>[],
  ],
);

/** Validates a received event (a consumer's input) against its type's schema. */
export const parseDomainEvent = (value: unknown): DomainEvent =>
  domainEventSchema.parse(value) as DomainEvent;
