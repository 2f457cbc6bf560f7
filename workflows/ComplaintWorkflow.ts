import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  type IChainable,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  awsTransientErrors,
  busyErrors,
  conflictErrors,
  lambdaServiceErrors,
  mailInFlightErrors,
} from '../functions/application/retryableErrors';
import { sendLeaseSeconds } from '../functions/application/settings';
import type { WaitingFor } from '../functions/core/complaint';
import type {
  CloseReason,
  ContactKind,
  DecisionAction,
  EscalationCause,
  followUpOutcomes,
  RequeueReason,
} from './contract';
import { investigationPendingField } from './contract';

/**
 * Retries of every Lambda task, all with full jitter: many executions fail together when DynamoDB or SES
 * throttle, and retrying them in lockstep would throttle them again.
 */
export const taskRetries: RetryProps[] = [
  // Lambda service faults, throttling by Lambda, DynamoDB or SES.
  {
    errors: [...lambdaServiceErrors, ...awsTransientErrors],
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.seconds(30),
    jitterStrategy: JitterType.FULL,
  },
  // An agent's claim, reply or note changed the complaint between the step's read and its conditional
  // write; each step re-reads and is idempotent, so it simply runs again.
  {
    errors: [...conflictErrors],
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 4,
    jitterStrategy: JitterType.FULL,
  },
  // A person's decision is in flight: the API completes or releases it within its 30 s integration
  // timeout, and the lifecycle core releases a decision abandoned for longer (abandonedDecisionSeconds):
  // the attempts span about ten minutes nominally, so even with full jitter they outlast that.
  {
    errors: [...busyErrors],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 10,
    maxDelay: Duration.seconds(120),
    jitterStrategy: JitterType.FULL,
  },
  // Another invocation holds the mail's send lease: wait until it has recorded the mail as sent or the
  // lease has expired and may be taken over (the nominal waits add up to ten leases; jitter halves that
  // on average).
  {
    errors: [...mailInFlightErrors],
    interval: Duration.seconds(sendLeaseSeconds / 3),
    backoffRate: 2,
    maxAttempts: 5,
    jitterStrategy: JitterType.FULL,
  },
];

/** RecordFailure is the last resort of every other task: it retries whatever fails, for longer. */
const recordFailureRetry: RetryProps = {
  errors: [Errors.ALL],
  interval: Duration.seconds(5),
  backoffRate: 2,
  maxAttempts: 10,
  maxDelay: Duration.seconds(300),
  jitterStrategy: JitterType.FULL,
};

/**
 * The Lambda functions of the workflow: one per kind of step, each a thin handler over the pure
 * lifecycle core. The stack creates one function per entry; the local stack runs the same files.
 */
/** A Choice condition on the decision's action (see the task output in ./contract). */
const decided = (action: DecisionAction) => Condition.stringEquals('$.decision.action', action);
/** A Choice condition on a follow-up call's or survey's outcome. */
const answered = (outcome: (typeof followUpOutcomes)[number]) =>
  Condition.stringEquals('$.decision.outcome', outcome);

export const workflowSteps = {
  acknowledge: {
    entry: 'functions/handlers/workflow/acknowledge.ts',
    description:
      'Workflow: acknowledges the complaint to the customer once, then investigates it (or records that the acknowledgement failed)',
  },
  investigate: {
    entry: 'functions/handlers/workflow/investigate.ts',
    description:
      'Workflow: history, triage, risk signals, duplicates; starts the SLA clock (when the first step did not)',
  },
  awaitPerson: {
    entry: 'functions/handlers/workflow/awaitPerson.ts',
    description: 'Workflow: stores the callback token of the person the complaint waits for',
  },
  warnSla: {
    entry: 'functions/handlers/workflow/warnSla.ts',
    description: 'Workflow: records the SLA warning (the agent has used 80% of the target) once per clock',
  },
  escalate: {
    entry: 'functions/handlers/workflow/escalate.ts',
    description: 'Workflow: escalation (SLA breach, request, risk, approval and follow-up timeouts)',
  },
  applyResolution: {
    entry: 'functions/handlers/workflow/applyResolution.ts',
    description: 'Workflow: applies a resolution within authority and emails it',
  },
  requeue: {
    entry: 'functions/handlers/workflow/requeue.ts',
    description: 'Workflow: back to the agent (customer replied, approval rejected, customer unsatisfied)',
  },
  contactCustomer: {
    entry: 'functions/handlers/workflow/contactCustomer.ts',
    description: 'Workflow: reminder, unreachable follow-up bookkeeping, satisfaction survey',
  },
  close: {
    entry: 'functions/handlers/workflow/close.ts',
    description: 'Workflow: closes the complaint with its reason',
  },
  recordFailure: {
    entry: 'functions/handlers/workflow/recordFailure.ts',
    description: 'Workflow: a step failed for good; the complaint needs the manager, who is alerted',
  },
} as const;
export type WorkflowStep = keyof typeof workflowSteps;
export type WorkflowFunctions = Record<WorkflowStep, IFunction>;

export interface ComplaintWorkflowProps {
  functions: WorkflowFunctions;
  /** Retention of the execution log group; defaults to one month. */
  logRetention?: RetentionDays;
}

/**
 * The complaint lifecycle as the one Step Functions definition: CDK synthesizes it for AWS
 * and the local stack executes the synthesized JSON. Each Lambda step returns the workflow state
 * `{ complaintId, tier, awaitSeconds, ... }`; each callback task puts the person's answer in
 * `$.decision`. Waiting for a person is `.waitForTaskToken` with the time left to the deadline as
 * `TimeoutSecondsPath`; a caught `States.Timeout` escalates. JSONPath only: aws-local-stepfunctions
 * does not run JSONata.
 */
export class ComplaintWorkflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: ComplaintWorkflowProps) {
    super(scope, id);
    const fns = props.functions;
    const complaintId = JsonPath.stringAt('$.complaintId');

    // A step failed for good: the complaint goes to the manager (needs_attention) and the workflow waits
    // for the manager's decision, which routes like an agent's (wired below, with RouteDecision).
    const recordFailure = new LambdaInvoke(this, 'RecordFailure', {
      comment: 'A step failed after its retries: needs_attention, the manager is alerted.',
      lambdaFunction: fns.recordFailure,
      payload: TaskInput.fromObject({ complaintId, failed: JsonPath.objectAt('$.failed') }),
      outputPath: '$.Payload',
    });
    recordFailure.addRetry(recordFailureRetry);

    /**
     * Every task retries the transient errors, then hands anything else to RecordFailure. The error
     * output goes under the state's own name: the output of a Catch does not say which state failed.
     */
    const guarded = <T extends LambdaInvoke>(task: T, name: string): T => {
      for (const retry of taskRetries) task.addRetry(retry);
      task.addCatch(recordFailure, { errors: [Errors.ALL], resultPath: `$.failed.${name}` });
      return task;
    };

    /** A request-response Lambda step whose result replaces the state. */
    const step = (name: string, fn: IFunction, comment: string, payload: Record<string, unknown> = {}) =>
      guarded(
        new LambdaInvoke(this, name, {
          comment,
          lambdaFunction: fn,
          // taskRetries covers the Lambda service errors, with jitter.
          retryOnServiceExceptions: false,
          payload: TaskInput.fromObject({ complaintId, ...payload }),
          outputPath: '$.Payload',
        }),
        name,
      );

    /**
     * A callback task: the Lambda stores the token; the API (or intake) completes it. Its timeout is
     * caught first (each wait routes it to its own escalation); any other failure goes to RecordFailure.
     */
    const awaitPerson = (
      name: string,
      waitingFor: WaitingFor,
      comment: string,
      onTimeout: IChainable,
      timeoutResultPath = '$.timeout',
      timeoutPath = '$.awaitSeconds',
    ) => {
      const task = new LambdaInvoke(this, name, {
        comment,
        lambdaFunction: fns.awaitPerson,
        retryOnServiceExceptions: false,
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({
          complaintId,
          taskToken: JsonPath.taskToken,
          waitingFor,
          awaitSeconds: JsonPath.numberAt('$.awaitSeconds'),
          // Which entry of this state the registration comes from: one Lambda delivers late, after the
          // task timed out and the state was entered again, is older than the wait registered last.
          enteredAt: JsonPath.stringAt('$$.State.EnteredTime'),
          retryCount: JsonPath.numberAt('$$.State.RetryCount'),
          // What the step before knew of the complaint (`known`, when it said): the wait registers on it
          // without a read. The whole state, since a path to a field it may lack fails the state.
          state: JsonPath.entirePayload,
        }),
        taskTimeout: Timeout.at(timeoutPath),
        resultPath: '$.decision',
      });
      task.addCatch(onTimeout, { errors: [Errors.TIMEOUT], resultPath: timeoutResultPath });
      return guarded(task, name);
    };

    // Steps read the decision they act on from the complaint (written when it was accepted), so the same
    // step works whether it is entered from a decision or from a caught timeout. An agent may have
    // claimed the task in the instant its timeout fired: the escalation retries ComplaintBusyError until
    // the API has released its claim (its SendTaskSuccess fails with TaskTimedOut).
    const escalation = (name: string, cause: EscalationCause, comment: string) =>
      step(name, fns.escalate, comment, { cause });

    const closed = new Succeed(this, 'Closed', { comment: 'The complaint is closed.' });
    const close = (
      name: string,
      reason: CloseReason,
      comment: string,
      payload: Record<string, unknown> = {},
    ) => step(name, fns.close, comment, { reason, ...payload }).next(closed);

    // Acknowledgement, intake's only effect besides filing, and the investigation, in one step on one
    // read: inside the workflow, so that a refused mail never leaves a complaint outside every queue.
    // Only the acknowledgement's failure leaves the step as an error: retried, then recorded, and the
    // Investigate state investigates. The investigation's failure comes back as a hand-back
    // (`investigationPending`), on which RiskCheck runs the Investigate state, whose failure is its own.
    const acknowledgeAndInvestigate = new LambdaInvoke(this, 'AcknowledgeAndInvestigate', {
      comment:
        'Acknowledges the complaint with its reference (once per complaint), then investigates it: history, triage, risk signals; starts the SLA clock.',
      lambdaFunction: fns.acknowledge,
      retryOnServiceExceptions: false,
      payload: TaskInput.fromObject({ complaintId }),
      outputPath: '$.Payload',
    });
    for (const retry of taskRetries) acknowledgeAndInvestigate.addRetry(retry);
    // Also anything else (e.g. SES refusing the address): twice more, then it is recorded as failed.
    acknowledgeAndInvestigate.addRetry({
      errors: [Errors.ALL],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 2,
      jitterStrategy: JitterType.FULL,
    });
    const acknowledgementFailed = guarded(
      new LambdaInvoke(this, 'AcknowledgementFailed', {
        comment:
          'Records that the acknowledgement could not be sent (nothing when it was sent or suppressed: the step failed after it); the workflow goes on.',
        lambdaFunction: fns.acknowledge,
        retryOnServiceExceptions: false,
        payload: TaskInput.fromObject({ complaintId, failure: JsonPath.objectAt('$.acknowledgement') }),
        resultPath: JsonPath.DISCARD,
      }),
      'AcknowledgementFailed',
    );
    acknowledgeAndInvestigate.addCatch(acknowledgementFailed, {
      errors: [Errors.ALL],
      resultPath: '$.acknowledgement',
    });

    // The investigation on its own: after a failed acknowledgement, or handed back by the first step.
    const investigate = step(
      'Investigate',
      fns.investigate,
      'History, triage, risk signals; starts the SLA clock.',
    );
    const escalateOnRisk = escalation(
      'EscalateOnRisk',
      'risk_signal',
      'Legal threat, regulator/press, cancel intent or repeat complainer: tier 2 or higher at once.',
    );

    // The agent's turn. The wait wakes first at the SLA warning mark (while the clock's warning is still
    // to be recorded), records the warning and waits again until the deadline: a callback task cannot
    // be woken while it waits, and a Parallel timer branch would hold back the agent's decision.
    const escalateOnBreach = escalation('EscalateOnBreach', 'sla_breach', 'SLA breached: tier + 1.');
    const recordSlaWarning = step(
      'RecordSlaWarning',
      fns.warnSla,
      'The agent has used the warning share of the SLA target: recorded once per clock.',
    );
    const awaitAgent = awaitPerson(
      'AwaitAgent',
      'agent',
      'Waits for the agent decision until the SLA warning mark, then until the deadline.',
      new Choice(this, 'SlaWarningOrBreach', { comment: 'Which mark the agent’s wait woke at.' })
        .when(Condition.booleanEquals('$.slaWarning', true), recordSlaWarning)
        .otherwise(escalateOnBreach),
      '$.timeout',
      '$.wakeSeconds',
    );
    recordSlaWarning.next(awaitAgent);
    const escalateOnRequest = escalation(
      'EscalateOnRequest',
      'agent_request',
      'The agent escalated: tier + 1.',
    );

    // Resolution above the agent's authority.
    const approvalDeadline = new Pass(this, 'ApprovalDeadline', {
      comment: 'The approver SLA the API computed for this proposal.',
      parameters: { complaintId, 'tier.$': '$.tier', 'awaitSeconds.$': '$.decision.awaitSeconds' },
    });
    const escalateApproval = escalation(
      'EscalateApproval',
      'approval_timeout',
      'Approval SLA missed: the next role up approves.',
    );
    const awaitApproval = awaitPerson(
      'AwaitApproval',
      'approval',
      'Waits for the approver tier until its SLA.',
      escalateApproval,
    );
    const returnToAgent = step(
      'ReturnToAgent',
      fns.requeue,
      'Approval rejected: back to the proposing agent.',
      {
        reason: 'approval_rejected' satisfies RequeueReason,
      },
    );

    // Request for information.
    // The question goes out from here, not from the API that accepted it: once the decision is accepted,
    // the workflow owns its mail, whatever became of the agent's request after that.
    const askCustomer = step(
      'AskCustomer',
      fns.contactCustomer,
      'Mails the agent’s question (once); the SLA clock is paused until the customer answers or the reminder is due.',
      { kind: 'question' satisfies ContactKind },
    );
    const remindCustomer = step('RemindCustomer', fns.contactCustomer, 'No answer yet: one reminder.', {
      kind: 'reminder' satisfies ContactKind,
    });
    const awaitCustomer = awaitPerson(
      'AwaitCustomer',
      'customer',
      'Waits for the customer’s answer.',
      remindCustomer,
    );
    const awaitCustomerAfterReminder = awaitPerson(
      'AwaitCustomerAfterReminder',
      'customer',
      'Waits for the customer’s answer after the reminder.',
      close(
        'CloseAbandoned',
        'abandoned',
        'No answer after the reminder: closed as abandoned, customer told.',
      ),
    );
    const resumeAfterCustomer = step(
      'ResumeAfterCustomer',
      fns.requeue,
      'The customer answered: SLA resumes.',
      {
        reason: 'customer_replied' satisfies RequeueReason,
      },
    );

    // Resolution and follow-up.
    const applyResolution = step(
      'ApplyResolution',
      fns.applyResolution,
      'Re-checks authority, applies the resolution, emails the customer, schedules the follow-up call.',
    );
    const followUpDelay = new Wait(this, 'FollowUpDelay', {
      comment: 'Policy delay (business days) before the follow-up call.',
      time: WaitTime.timestampPath('$.followUpAt'),
    });
    const followUpOverdue = escalation(
      'FollowUpOverdue',
      'follow_up_overdue',
      'The call was not made in time: the next tier takes it.',
    );
    const followUpCall = awaitPerson(
      'FollowUpCall',
      'follow_up',
      'Follow-up call task for the resolving agent.',
      followUpOverdue,
    );
    const recordUnreachable = step(
      'RecordUnreachable',
      fns.contactCustomer,
      'Counts the unreachable attempt.',
      {
        kind: 'unreachable' satisfies ContactKind,
      },
    );
    const followUpRetryWait = new Wait(this, 'FollowUpRetryWait', {
      comment: 'Try the call again later.',
      time: WaitTime.timestampPath('$.retryAt'),
    });
    const sendSurvey = step(
      'SendSurvey',
      fns.contactCustomer,
      'Satisfaction email with a signed, expiring link.',
      {
        kind: 'survey' satisfies ContactKind,
      },
    );
    const awaitSurvey = awaitPerson(
      'AwaitSurvey',
      'survey',
      'Waits for the satisfaction answer until the link expires.',
      close('CloseNoResponse', 'no_response', 'The survey link expired unanswered.'),
    );
    const reopen = step('ReopenUnsatisfied', fns.requeue, 'Unsatisfied: reopened with priority + 1.', {
      reason: 'unsatisfied' satisfies RequeueReason,
    });

    // A failure waits for the manager; an unanswered alert is raised again when the target passes.
    const awaitAttention = awaitPerson(
      'AwaitAttention',
      'attention',
      'Waits for the manager’s decision on a failed step.',
      recordFailure,
      // RecordFailure reads the failure under the state's name, as from every other Catch.
      '$.failed.AwaitAttention',
    );
    // A decision the definition does not know is a failure like any other: the manager decides.
    const unknownDecision = new Pass(this, 'UnknownDecision', {
      comment: 'Records the unknown decision as the failure of RouteDecision.',
      parameters: {
        complaintId,
        failed: {
          RouteDecision: { Error: 'UnknownDecision', 'Cause.$': 'States.JsonToString($.decision)' },
        },
      },
    });
    unknownDecision.next(recordFailure);

    // Wiring. RiskCheck also takes the investigation the first step handed back, at no extra transition.
    const riskCheck = new Choice(this, 'RiskCheck', {
      comment: 'Risk signals escalate before any agent sees it; a handed-back investigation runs first.',
    })
      .when(Condition.isPresent(`$.${investigationPendingField}`), investigate)
      .when(Condition.booleanEquals('$.riskEscalation', true), escalateOnRisk)
      .otherwise(awaitAgent);
    acknowledgeAndInvestigate.next(riskCheck);
    acknowledgementFailed.next(investigate);
    investigate.next(riskCheck);
    escalateOnRisk.next(awaitAgent);

    escalateOnBreach.next(awaitAgent);
    escalateOnRequest.next(awaitAgent);
    const routeDecision = new Choice(this, 'RouteDecision', {
      comment: 'What the agent (or the manager, on a failure) decided.',
    })
      .when(decided('resolve'), applyResolution)
      .when(decided('request_approval'), approvalDeadline)
      .when(decided('request_info'), askCustomer)
      .when(decided('escalate'), escalateOnRequest)
      .when(
        decided('close'),
        close('CloseByAgent', 'agent', 'Closed by the agent (duplicate, withdrawn, resolved elsewhere).'),
      )
      .otherwise(unknownDecision);
    awaitAgent.next(routeDecision);
    recordFailure.next(awaitAttention);
    awaitAttention.next(routeDecision);

    approvalDeadline.next(awaitApproval);
    escalateApproval.next(awaitApproval);
    awaitApproval.next(
      new Choice(this, 'RouteApproval', { comment: 'Approved or rejected.' })
        .when(decided('approve'), applyResolution)
        .otherwise(returnToAgent),
    );
    returnToAgent.next(awaitAgent);

    askCustomer.next(awaitCustomer);
    remindCustomer.next(awaitCustomerAfterReminder);
    awaitCustomer.next(resumeAfterCustomer);
    awaitCustomerAfterReminder.next(resumeAfterCustomer);
    resumeAfterCustomer.next(awaitAgent);

    // Entered only from a decision (both routes test `$.decision.outcome`): the close is made from what
    // its task output knows of the complaint, without a read.
    const closeSatisfied = close('CloseSatisfied', 'satisfied', 'The customer is satisfied.', {
      decision: JsonPath.objectAt('$.decision'),
    });
    applyResolution.next(followUpDelay);
    followUpDelay.next(followUpCall);
    followUpOverdue.next(followUpCall);
    followUpCall.next(
      new Choice(this, 'RouteFollowUp', { comment: 'Outcome of the call (or a customer mail meanwhile).' })
        .when(answered('satisfied'), closeSatisfied)
        .when(answered('unsatisfied'), reopen)
        .otherwise(recordUnreachable),
    );
    recordUnreachable.next(
      new Choice(this, 'CanRetryCall', { comment: 'Attempts left under the follow-up policy?' })
        .when(Condition.numberGreaterThan('$.attemptsLeft', 0), followUpRetryWait)
        .otherwise(sendSurvey),
    );
    followUpRetryWait.next(followUpCall);
    sendSurvey.next(awaitSurvey);
    awaitSurvey.next(
      new Choice(this, 'RouteSurvey', { comment: 'The customer’s answer to the survey.' })
        .when(answered('satisfied'), closeSatisfied)
        .otherwise(reopen),
    );
    reopen.next(awaitAgent);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(acknowledgeAndInvestigate),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'ExecutionLogs', {
          retention: props.logRetention ?? RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
        level: LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }
}
