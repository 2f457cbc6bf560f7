import { type AcceptedDecision, type Actor, complaintStatuses } from '../functions/core/complaint';
import { agentRoles, priorities } from '../functions/core/policy';
import * as z from '../functions/core/schema';

/**
 * The contract between the state machine and its steps, in one place: the values the definition
 * routes on and passes to steps, and what a person's decision hands the workflow. The definition
 * (ComplaintWorkflow.ts), the step handlers' input parsing and the core's types derive from it.
 */

/** Why a complaint moves up a tier (EscalateOn* states). */
export const escalationCauses = [
  'sla_breach',
  'agent_request',
  'risk_signal',
  'approval_timeout',
  'follow_up_overdue',
] as const;
export type EscalationCause = (typeof escalationCauses)[number];

/** Why a complaint is closed (Close* states). */
export const closeReasons = ['satisfied', 'abandoned', 'no_response', 'agent'] as const;
export type CloseReason = (typeof closeReasons)[number];

/** Why a complaint goes back to its agent (ReturnToAgent, ResumeAfterCustomer, ReopenUnsatisfied). */
export const requeueReasons = ['customer_replied', 'approval_rejected', 'unsatisfied'] as const;
export type RequeueReason = (typeof requeueReasons)[number];

/**
 * What the customer-facing step without a person does (AskCustomer, RemindCustomer, RecordUnreachable,
 * SendSurvey).
 */
export const contactKinds = ['question', 'reminder', 'unreachable', 'survey'] as const;
export type ContactKind = (typeof contactKinds)[number];

/** The decisions the Route* choices tell apart. */
export const decisionActions = [
  'resolve',
  'request_approval',
  'request_info',
  'escalate',
  'close',
  'approve',
  'reject',
  'customer_replied',
  'follow_up',
] as const;
export type DecisionAction = (typeof decisionActions)[number];

/** Outcomes of a follow-up call or survey (RouteFollowUp, RouteSurvey). */
export const followUpOutcomes = ['satisfied', 'unsatisfied', 'unreachable'] as const;

// The schemas below are built on their first parse (`z.lazy`): every function imports this module and
// each parses one or two of them (the API and intake none), while building all of them at import took
// 3-6 ms of every cold start. esbuild cannot drop a schema a bundle never uses, since it does not carry
// zod's `@__NO_SIDE_EFFECTS__` annotations across modules (evanw/esbuild#4369).
const complaintId = z.string().check(z.minLength(1));

const isoTime = z.string();

/**
 * What the state knows of the complaint as the step before left it (`known`): the version that step
 * wrote or read, and the fields a wait's registration or a close reads or changes. Ids, times and
 * business fields only, what a domain event carries (the customer by customer id): never the address or
 * any text. With it the change is made without reading the complaint, on the condition that the stored
 * version is still this one; when it is not (someone wrote meanwhile, or the change already landed and
 * this is its replay), nothing is written and the step reads and goes the usual way.
 */
export const knownComplaintSchema = z.lazy(() =>
  z.object({
    version: z.number(),
    status: z.enum(complaintStatuses),
    tier: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    priority: z.enum(priorities),
    category: z.optional(z.string()),
    customerId: z.string(),
    createdAt: isoTime,
    riskSignals: z.optional(z.array(z.string())),
    slaDueAt: z.optional(isoTime),
    sla: z.optional(
      z.object({
        target: z.enum(['firstResponse', 'resolution', 'approval', 'followUpCall']),
        startedAt: isoTime,
        budgetSeconds: z.number(),
        dueAt: isoTime,
        warnAt: isoTime,
        warnedAt: z.optional(isoTime),
        pausedAt: z.optional(isoTime),
        remainingSeconds: z.optional(z.number()),
      }),
    ),
    firstResponseAt: z.optional(isoTime),
    /** The agent the complaint is assigned to (their id, as events name agents). */
    assignee: z.optional(z.string()),
    /** The agent who owns the follow-up call (what states written before `followUp` carry). */
    followUpAgentId: z.optional(z.string()),
    /** The follow-up call as stored: its agent, times, attempts and outcomes. */
    followUp: z.optional(
      z.object({
        agentId: z.string(),
        scheduledFor: isoTime,
        attempts: z.number(),
        lastOutcome: z.optional(z.enum(followUpOutcomes)),
        surveySentAt: z.optional(isoTime),
      }),
    ),
  }),
);
export type KnownComplaint = z.infer<typeof knownComplaintSchema>;

/**
 * The output of a callback task (`SendTaskSuccess`), under `$.decision`: the decision's id and what the
 * definition routes on; what the accepting write left of the complaint (`known`, the same non-personal
 * facts the steps hand on) and who decided, when an agent did (their id and role, never their address).
 * Execution history and the execution log keep task outputs for 90 days and erasure cannot reach them,
 * so the decision itself (the customer's address, free text) stays on the complaint in DynamoDB, keyed
 * by `decisionId`.
 */
export const taskOutputSchema = z.lazy(() =>
  z.object({
    decisionId: z.string(),
    action: z.enum(decisionActions),
    outcome: z.optional(z.enum(followUpOutcomes)),
    /** The wait the next callback task gets (approval SLA, time until the reminder). */
    awaitSeconds: z.optional(z.number()),
    /** The complaint as the decision left it (its version is the one the accepting write wrote). */
    known: z.optional(knownComplaintSchema),
    /** The agent who decided: their id and role. */
    decidedBy: z.optional(z.object({ id: z.string(), role: z.optional(z.enum(agentRoles)) })),
  }),
);
export type TaskOutput = z.infer<typeof taskOutputSchema>;

/**
 * What the workflow is told of an accepted decision; with `accepted`, the complaint the accepting write
 * left and the person who decided (an agent by id and role, nobody else: a customer's id is their address).
 */
export function taskOutputOf(
  decision: AcceptedDecision,
  accepted?: { known: KnownComplaint; actor: Actor },
): TaskOutput {
  const agent = accepted?.actor.kind === 'agent' ? accepted.actor : undefined;
  return {
    decisionId: decision.decisionId,
    action: decision.action,
    ...(decision.action === 'follow_up' ? { outcome: decision.outcome } : {}),
    ...('awaitSeconds' in decision ? { awaitSeconds: decision.awaitSeconds } : {}),
    ...(accepted ? { known: accepted.known } : {}),
    ...(agent ? { decidedBy: { id: agent.id, ...(agent.role ? { role: agent.role } : {}) } } : {}),
  };
}

/**
 * What a request-response step hands the next state (its Payload becomes the state): the complaint's
 * id and tier, the time to the next wait's deadline (its due time; most waits' `TimeoutSecondsPath`),
 * when the agent's wait wakes and whether that is the SLA warning mark (SlaWarningOrBreach) and, after
 * the investigation, whether risk signals escalate at once (RiskCheck).
 */
export const workflowStateSchema = z.lazy(() =>
  z.object({
    complaintId,
    tier: z.number(),
    awaitSeconds: z.number(),
    /** AwaitAgent's timeout: the SLA warning mark while the clock's warning is to be recorded, else the deadline. */
    wakeSeconds: z.number(),
    /** Whether AwaitAgent's timeout is the warning mark (RecordSlaWarning) rather than the breach. */
    slaWarning: z.boolean(),
    riskEscalation: z.optional(z.boolean()),
    known: z.optional(knownComplaintSchema),
  }),
);
export type WorkflowState = z.infer<typeof workflowStateSchema>;

/**
 * What the first step (AcknowledgeAndInvestigate) hands on when its acknowledgement is done but its
 * investigation failed: not an error, which the state's Catch would record as the acknowledgement's,
 * but this, on which RiskCheck sends the complaint to the Investigate state (its own retries, its own
 * failure record).
 */
export interface InvestigationHandBack {
  complaintId: string;
  investigationPending: true;
}
/** The field RiskCheck tests for (present only on a hand-back). */
export const investigationPendingField = 'investigationPending' satisfies keyof InvestigationHandBack;
/** The first step's output: the workflow state after the investigation, or the hand-back. */
export type AcknowledgementOutput = WorkflowState | InvestigationHandBack;

/** The input of each step that takes more than the complaint id. */
export const stepInputs = {
  /**
   * AcknowledgeAndInvestigate: the complaint id alone. AcknowledgementFailed: with the error the state
   * caught once the acknowledgement's retries were spent (`{ Error, Cause }`).
   */
  acknowledge: z.lazy(() =>
    z.object({
      complaintId,
      failure: z.optional(z.object({ Error: z.string(), Cause: z.optional(z.string()) })),
    }),
  ),
  investigate: z.lazy(() => z.object({ complaintId })),
  escalate: z.lazy(() => z.object({ complaintId, cause: z.enum(escalationCauses) })),
  /** With the decision it closes on (`$.decision`), when entered from one: a hint, see the close step. */
  close: z.lazy(() =>
    z.object({ complaintId, reason: z.enum(closeReasons), decision: z.optional(z.unknown()) }),
  ),
  requeue: z.lazy(() => z.object({ complaintId, reason: z.enum(requeueReasons) })),
  contactCustomer: z.lazy(() => z.object({ complaintId, kind: z.enum(contactKinds) })),
};
