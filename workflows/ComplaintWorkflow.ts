import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  Pass,
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

/**
 * The Lambda functions of the workflow: one per kind of step, each a thin handler over the pure
 * lifecycle core. The stack creates one function per entry; the local stack runs the same files.
 */
export const workflowSteps = {
  investigate: {
    entry: 'functions/handlers/workflow/investigate.ts',
    description: 'Workflow: history, triage, risk signals, duplicates; starts the SLA clock',
  },
  awaitPerson: {
    entry: 'functions/handlers/workflow/awaitPerson.ts',
    description: 'Workflow: stores the callback token of the person the complaint waits for',
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
} as const;
export type WorkflowStep = keyof typeof workflowSteps;
export type WorkflowFunctions = Record<WorkflowStep, IFunction>;

export interface ComplaintWorkflowProps {
  functions: WorkflowFunctions;
  /** Retention of the execution log group; defaults to one month. */
  logRetention?: RetentionDays;
}

/**
 * The complaint lifecycle (BRIEF §2) as the one Step Functions definition: CDK synthesizes it for AWS
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

    /** A request-response Lambda step whose result replaces the state. */
    const step = (name: string, fn: IFunction, comment: string, payload: Record<string, unknown> = {}) => {
      const task = new LambdaInvoke(this, name, {
        comment,
        lambdaFunction: fn,
        payload: TaskInput.fromObject({ complaintId, ...payload }),
        outputPath: '$.Payload',
      });
      // An agent's claim, reply or note can change the complaint between the step's read and its
      // conditional write; each step re-reads and is idempotent, so it simply runs again.
      task.addRetry({
        errors: ['ConflictError'],
        interval: Duration.seconds(1),
        backoffRate: 2,
        maxAttempts: 4,
      });
      return task;
    };

    /** A callback task: the Lambda stores the token; the API (or intake) completes it. */
    const awaitPerson = (name: string, waitingFor: string, comment: string) =>
      new LambdaInvoke(this, name, {
        comment,
        lambdaFunction: fns.awaitPerson,
        integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: TaskInput.fromObject({
          complaintId,
          taskToken: JsonPath.taskToken,
          waitingFor,
          awaitSeconds: JsonPath.numberAt('$.awaitSeconds'),
        }),
        taskTimeout: Timeout.at('$.awaitSeconds'),
        resultPath: '$.decision',
      });

    // Steps read the decision they act on from the complaint (written when it was accepted), so the same
    // step works whether it is entered from a decision or from a caught timeout.
    const escalation = (name: string, cause: string, comment: string) => {
      const task = step(name, fns.escalate, comment, { cause });
      // An agent may have claimed the task in the instant its timeout fired; the API then releases its
      // claim (its SendTaskSuccess fails with TaskTimedOut) and the escalation goes through.
      task.addRetry({
        errors: ['ComplaintBusyError'],
        interval: Duration.seconds(1),
        backoffRate: 2,
        maxAttempts: 6,
      });
      return task;
    };

    const closed = new Succeed(this, 'Closed', { comment: 'The complaint is closed.' });
    const close = (name: string, reason: string, comment: string) =>
      step(name, fns.close, comment, { reason }).next(closed);

    // Intake and investigation.
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

    // The agent's turn.
    const awaitAgent = awaitPerson(
      'AwaitAgent',
      'agent',
      'Waits for the agent decision until the SLA deadline.',
    );
    const escalateOnBreach = escalation('EscalateOnBreach', 'sla_breach', 'SLA breached: tier + 1.');
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
    const awaitApproval = awaitPerson(
      'AwaitApproval',
      'approval',
      'Waits for the approver tier until its SLA.',
    );
    const escalateApproval = escalation(
      'EscalateApproval',
      'approval_timeout',
      'Approval SLA missed: the next role up approves.',
    );
    const returnToAgent = step(
      'ReturnToAgent',
      fns.requeue,
      'Approval rejected: back to the proposing agent.',
      {
        reason: 'approval_rejected',
      },
    );

    // Request for information.
    const customerDeadline = new Pass(this, 'CustomerDeadline', {
      comment: 'When to remind the customer (the SLA clock is paused meanwhile).',
      parameters: { complaintId, 'tier.$': '$.tier', 'awaitSeconds.$': '$.decision.awaitSeconds' },
    });
    const awaitCustomer = awaitPerson('AwaitCustomer', 'customer', 'Waits for the customer’s answer.');
    const remindCustomer = step('RemindCustomer', fns.contactCustomer, 'No answer yet: one reminder.', {
      kind: 'reminder',
    });
    const awaitCustomerAfterReminder = awaitPerson(
      'AwaitCustomerAfterReminder',
      'customer',
      'Waits for the customer’s answer after the reminder.',
    );
    const resumeAfterCustomer = step(
      'ResumeAfterCustomer',
      fns.requeue,
      'The customer answered: SLA resumes.',
      {
        reason: 'customer_replied',
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
    const followUpCall = awaitPerson(
      'FollowUpCall',
      'follow_up',
      'Follow-up call task for the resolving agent.',
    );
    const followUpOverdue = escalation(
      'FollowUpOverdue',
      'follow_up_overdue',
      'The call was not made in time: the next tier takes it.',
    );
    const recordUnreachable = step(
      'RecordUnreachable',
      fns.contactCustomer,
      'Counts the unreachable attempt.',
      {
        kind: 'unreachable',
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
        kind: 'survey',
      },
    );
    const awaitSurvey = awaitPerson(
      'AwaitSurvey',
      'survey',
      'Waits for the satisfaction answer until the link expires.',
    );
    const reopen = step('ReopenUnsatisfied', fns.requeue, 'Unsatisfied: reopened with priority + 1.', {
      reason: 'unsatisfied',
    });

    // Wiring.
    investigate.next(
      new Choice(this, 'RiskCheck', { comment: 'Risk signals escalate before any agent sees it.' })
        .when(Condition.booleanEquals('$.riskEscalation', true), escalateOnRisk)
        .otherwise(awaitAgent),
    );
    escalateOnRisk.next(awaitAgent);

    awaitAgent.addCatch(escalateOnBreach, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });
    escalateOnBreach.next(awaitAgent);
    escalateOnRequest.next(awaitAgent);
    awaitAgent.next(
      new Choice(this, 'RouteDecision', { comment: 'What the agent decided.' })
        .when(Condition.stringEquals('$.decision.action', 'resolve'), applyResolution)
        .when(Condition.stringEquals('$.decision.action', 'request_approval'), approvalDeadline)
        .when(Condition.stringEquals('$.decision.action', 'request_info'), customerDeadline)
        .when(Condition.stringEquals('$.decision.action', 'escalate'), escalateOnRequest)
        .when(
          Condition.stringEquals('$.decision.action', 'close'),
          close('CloseByAgent', 'agent', 'Closed by the agent (duplicate, withdrawn, resolved elsewhere).'),
        )
        .otherwise(
          new Fail(this, 'UnknownDecision', { error: 'UnknownDecision', causePath: '$.decision.action' }),
        ),
    );

    approvalDeadline.next(awaitApproval);
    awaitApproval.addCatch(escalateApproval, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });
    escalateApproval.next(awaitApproval);
    awaitApproval.next(
      new Choice(this, 'RouteApproval', { comment: 'Approved or rejected.' })
        .when(Condition.stringEquals('$.decision.action', 'approve'), applyResolution)
        .otherwise(returnToAgent),
    );
    returnToAgent.next(awaitAgent);

    customerDeadline.next(awaitCustomer);
    awaitCustomer.addCatch(remindCustomer, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });
    remindCustomer.next(awaitCustomerAfterReminder);
    awaitCustomerAfterReminder.addCatch(
      close(
        'CloseAbandoned',
        'abandoned',
        'No answer after the reminder: closed as abandoned, customer told.',
      ),
      { errors: [Errors.TIMEOUT], resultPath: '$.timeout' },
    );
    awaitCustomer.next(resumeAfterCustomer);
    awaitCustomerAfterReminder.next(resumeAfterCustomer);
    resumeAfterCustomer.next(awaitAgent);

    const closeSatisfied = close('CloseSatisfied', 'satisfied', 'The customer is satisfied.');
    applyResolution.next(followUpDelay);
    followUpDelay.next(followUpCall);
    followUpCall.addCatch(followUpOverdue, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });
    followUpOverdue.next(followUpCall);
    followUpCall.next(
      new Choice(this, 'RouteFollowUp', { comment: 'Outcome of the call (or a customer mail meanwhile).' })
        .when(Condition.stringEquals('$.decision.outcome', 'satisfied'), closeSatisfied)
        .when(Condition.stringEquals('$.decision.outcome', 'unsatisfied'), reopen)
        .otherwise(recordUnreachable),
    );
    recordUnreachable.next(
      new Choice(this, 'CanRetryCall', { comment: 'Attempts left under the follow-up policy?' })
        .when(Condition.numberGreaterThan('$.attemptsLeft', 0), followUpRetryWait)
        .otherwise(sendSurvey),
    );
    followUpRetryWait.next(followUpCall);
    sendSurvey.next(awaitSurvey);
    awaitSurvey.addCatch(close('CloseNoResponse', 'no_response', 'The survey link expired unanswered.'), {
      errors: [Errors.TIMEOUT],
      resultPath: '$.timeout',
    });
    awaitSurvey.next(
      new Choice(this, 'RouteSurvey', { comment: 'The customer’s answer to the survey.' })
        .when(Condition.stringEquals('$.decision.outcome', 'satisfied'), closeSatisfied)
        .otherwise(reopen),
    );
    reopen.next(awaitAgent);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(investigate),
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
