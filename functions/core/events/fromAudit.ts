import type { Actor, AuditEntry } from '../complaint';
import { type DomainEvent, domainEventSchema, type EventType, schemaVersion } from './domainEvents';

type Details = Record<string, unknown>;
type Classified = { type: EventType; data: Details };

const timeoutCauses = ['sla_breach', 'approval_timeout', 'follow_up_overdue'];

/** Which event (if any) an audit action records, with its payload taken from the audit details. */
function classify(audit: AuditEntry): Classified | undefined {
  const d: Details = audit.details ?? {};
  const facts = audit.facts;
  switch (audit.action) {
    case 'receive':
      return {
        type: 'ComplaintOpened',
        data: { reference: d.reference, automated: d.automated !== undefined, linkedTo: d.linkedTo },
      };
    case 'escalate':
      if (timeoutCauses.includes(d.cause as string)) {
        return {
          type: 'SlaBreached',
          data: {
            cause: d.cause,
            sla: facts?.sla,
            fromTier: d.fromTier,
            toTier: d.toTier,
            fromRole: d.fromRole,
            toRole: d.toRole,
            managerAlert: d.managerAlert === true,
          },
        };
      }
      return {
        type: 'ComplaintEscalated',
        data: {
          cause: d.cause,
          fromTier: d.fromTier,
          toTier: d.toTier,
          riskSignals: d.cause === 'risk_signal' ? facts?.riskSignals : undefined,
        },
      };
    case 'warnSla':
      return { type: 'SlaWarning', data: { target: d.target, warnAt: d.warnAt, dueAt: d.dueAt } };
    case 'acceptDecision':
      return classifyDecision(d, audit);
    case 'applyResolution':
      return {
        type: 'ResolutionApplied',
        data: {
          decisionId: d.decisionId,
          resolution: { type: d.type, amount: d.amount, currency: d.currency, rootCause: d.rootCause },
          authorityLimit: d.authorityLimit ?? null,
          appliedTotal: d.appliedTotal,
          sla: facts?.sla,
          // Resolving at once answers the customer for the first time too.
          firstResponseAt:
            facts?.firstResponseAt ?? (facts?.sla?.target === 'firstResponse' ? audit.at : undefined),
        },
      };
    case 'recordReply':
      return {
        type: 'CustomerContacted',
        data: { via: 'reply', sla: facts?.sla, firstResponseAt: facts?.firstResponseAt },
      };
    case 'reopen':
      return {
        type: 'ComplaintReopened',
        data: {
          via: 'customer_mail',
          fromPriority: d.fromPriority,
          toPriority: d.toPriority,
          wasClosed: audit.fromStatus === 'closed',
        },
      };
    case 'requeue':
      if (d.reason !== 'unsatisfied') return undefined;
      return {
        type: 'ComplaintReopened',
        data: {
          via: 'unsatisfied_follow_up',
          fromPriority: d.fromPriority,
          toPriority: d.toPriority,
          wasClosed: false,
        },
      };
    case 'close':
      return { type: 'ComplaintClosed', data: { reason: d.reason, mergedInto: d.mergedInto } };
    default:
      return undefined;
  }
}

/** An accepted decision: the proposal, approval, rejection, information request or follow-up outcome. */
function classifyDecision(d: Details, audit: AuditEntry): Classified | undefined {
  switch (d.decision) {
    case 'request_approval':
      return {
        type: 'ResolutionProposed',
        data: {
          decisionId: d.decisionId,
          resolution: d.resolution,
          approverRole: d.approverRole,
          alreadyApplied: d.alreadyApplied,
        },
      };
    case 'approve':
      return { type: 'ResolutionApproved', data: { decisionId: d.decisionId, resolution: d.resolution } };
    case 'reject':
      return { type: 'ResolutionRejected', data: { decisionId: d.decisionId } };
    case 'request_info':
      return {
        type: 'CustomerContacted',
        data: { via: 'info_request', sla: audit.facts?.sla, firstResponseAt: audit.facts?.firstResponseAt },
      };
    case 'follow_up':
      if (d.via === 'survey') {
        return d.outcome === 'unreachable'
          ? undefined
          : { type: 'SurveyAnswered', data: { outcome: d.outcome } };
      }
      return { type: 'FollowUpCompleted', data: { outcome: d.outcome, via: d.via } };
    default:
      return undefined;
  }
}

/** The actor as an event names it: agents by id and role, everyone else by kind only. */
const eventActor = (a: Actor) =>
  a.kind === 'agent' ? { kind: a.kind, id: a.id, role: a.role } : { kind: a.kind };

/** Drops undefined members (JSON would drop them too; the schema check sees what consumers see). */
const compact = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/**
 * The domain event that an audit entry of a complaint records, or undefined when the entry is no
 * state change the catalogue covers (or predates the facts every event carries). The event id is the
 * audit entry's id, unique per complaint and version, so a redelivered entry is the same event.
 * Throws when the entry maps to an event its schema refuses (a bug, never silently dropped).
 */
export function domainEventOf(complaintId: string, audit: AuditEntry): DomainEvent | undefined {
  const classified = audit.facts ? classify(audit) : undefined;
  if (!classified || !audit.facts) return undefined;
  const { facts } = audit;
  return domainEventSchema.parse(
    compact({
      eventId: audit.id,
      schemaVersion,
      type: classified.type,
      occurredAt: audit.at,
      complaintId,
      complaintVersion: audit.version,
      customerId: facts.customerId,
      tier: facts.tier,
      priority: facts.priority,
      category: facts.category,
      openedAt: facts.openedAt,
      actor: eventActor(audit.actor),
      data: classified.data,
    }),
  ) as DomainEvent;
}
