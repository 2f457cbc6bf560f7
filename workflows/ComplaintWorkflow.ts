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
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** The Lambda functions the workflow calls, keyed by the step they implement. */
export interface WorkflowFunctions {
  investigate: IFunction;
  awaitAgent: IFunction;
  escalate: IFunction;
  resolve: IFunction;
}
export type WorkflowStep = keyof WorkflowFunctions;

export interface ComplaintWorkflowProps {
  functions: WorkflowFunctions;
  /** Retention of the execution log group; defaults to one month. */
  logRetention?: RetentionDays;
}

/**
 * The complaint lifecycle (BRIEF §2) as the one Step Functions definition: CDK synthesizes it for AWS
 * and the local stack executes the synthesized JSON. Every state's input is the workflow state
 * `{ complaintId, tier, awaitSeconds, ... }` returned by the previous Lambda.
 * JSONPath only: aws-local-stepfunctions does not run JSONata.
 */
export class ComplaintWorkflow extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: ComplaintWorkflowProps) {
    super(scope, id);
    const { functions } = props;

    const investigate = new LambdaInvoke(this, 'Investigate', {
      comment: 'Customer history, category, priority and SLA due time; queues the complaint for its tier.',
      lambdaFunction: functions.investigate,
      payload: TaskInput.fromObject({ complaintId: JsonPath.stringAt('$.complaintId') }),
      outputPath: '$.Payload',
    });

    // Waiting for a person is the callback pattern: the Lambda stores the token on the complaint and
    // the API completes it with the agent's decision. The timeout is the time left to the SLA deadline.
    const awaitAgent = new LambdaInvoke(this, 'AwaitAgent', {
      comment: 'Callback task: waits for the agent decision until the SLA deadline.',
      lambdaFunction: functions.awaitAgent,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({
        complaintId: JsonPath.stringAt('$.complaintId'),
        taskToken: JsonPath.taskToken,
        purpose: 'agent',
      }),
      taskTimeout: Timeout.at('$.awaitSeconds'),
      resultPath: '$.decision',
    });

    const escalate = new LambdaInvoke(this, 'EscalateOnBreach', {
      comment: 'SLA breached while waiting for an agent: tier + 1 and re-queued.',
      lambdaFunction: functions.escalate,
      payload: TaskInput.fromObject({
        complaintId: JsonPath.stringAt('$.complaintId'),
        cause: 'sla_breach',
      }),
      outputPath: '$.Payload',
    });
    // An agent may have claimed the task in the same instant the timeout fired; the API then releases
    // its claim (its SendTaskSuccess fails with TaskTimedOut) and the escalation goes through.
    escalate.addRetry({
      errors: ['ComplaintBusyError'],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 6,
    });

    const resolve = new LambdaInvoke(this, 'ApplyResolution', {
      comment: 'Applies the accepted resolution and emails it to the customer.',
      lambdaFunction: functions.resolve,
      payload: TaskInput.fromObject({
        complaintId: JsonPath.stringAt('$.complaintId'),
        decision: JsonPath.objectAt('$.decision'),
      }),
      outputPath: '$.Payload',
    });

    awaitAgent.addCatch(escalate, { errors: [Errors.TIMEOUT], resultPath: '$.timeout' });
    escalate.next(awaitAgent);

    const route = new Choice(this, 'RouteDecision', { comment: 'What the agent decided.' })
      .when(Condition.stringEquals('$.decision.action', 'resolve'), resolve)
      .otherwise(
        new Fail(this, 'UnknownDecision', { error: 'UnknownDecision', causePath: '$.decision.action' }),
      );

    resolve.next(new Succeed(this, 'Resolved'));

    const definition = investigate.next(awaitAgent).next(route);

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
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
