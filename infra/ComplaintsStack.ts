import {
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ReceiptRuleSet } from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 as S3Action } from 'aws-cdk-lib/aws-ses-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { tableIndexes, tableKeys, ttlAttribute } from '../functions/adapters/tableSchema';
import { ComplaintWorkflow, type WorkflowStep, workflowSteps } from '../workflows/ComplaintWorkflow';
import type { AppContext } from './appContext';
import { AgentApi } from './constructs/AgentApi';
import { HandlerFunction } from './constructs/HandlerFunction';
import { Monitoring } from './constructs/Monitoring';
import { RawMailStorage } from './constructs/RawMailStorage';

/** Prefix SES stores raw inbound MIME under in the raw-mail bucket. */
export const rawMailPrefix = 'inbound/';
/** Prefix intake stores the attachments of inbound mail under, beside the raw mail. */
export const attachmentPrefix = 'attachments/';

export interface ComplaintsStackProps extends StackProps, AppContext {}

/**
 * The whole complaint-resolution service: SES receiving (S3 then the intake Lambda), the DynamoDB table,
 * the lifecycle state machine with its step Lambdas, and the agents' HTTP API behind Cognito.
 */
export class ComplaintsStack extends Stack {
  readonly table: Table;
  readonly teamNotifications: Topic;
  readonly rawMail: RawMailStorage;
  readonly intake: HandlerFunction;
  readonly apiHandler: HandlerFunction;
  readonly workflowFunctions: Record<WorkflowStep, IFunction>;
  readonly workflow: ComplaintWorkflow;
  readonly agentApi: AgentApi;
  readonly receiptRuleSet: ReceiptRuleSet;

  constructor(scope: Construct, id: string, props: ComplaintsStackProps) {
    super(scope, id, props);
    const supportAddress = `support@${props.mailDomain}`;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableKeys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableKeys.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(tableIndexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }

    this.rawMail = new RawMailStorage(this, 'RawMail', {
      rawMailPrefix,
      attachmentPrefix,
      retentionDays: props.rawMailRetentionDays,
    });

    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      SUPPORT_ADDRESS: supportAddress,
      SENDER_ADDRESS: props.senderAddress,
      MAIL_DOMAIN: props.mailDomain,
      COMPLAINTS_PROFILE: props.policyProfile,
      POWERTOOLS_SERVICE_NAME: 'complaints',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...(props.policyJson ? { COMPLAINTS_POLICY: props.policyJson } : {}),
    };

    // One function per workflow step, named after it (investigate -> InvestigateFn).
    const workflowFunctions = Object.fromEntries(
      (Object.keys(workflowSteps) as WorkflowStep[]).map((step) => [
        step,
        new HandlerFunction(this, `${step[0]?.toUpperCase()}${step.slice(1)}Fn`, {
          entry: workflowSteps[step].entry,
          description: workflowSteps[step].description,
          environment,
        }),
      ]),
    ) as Record<WorkflowStep, HandlerFunction>;
    this.workflowFunctions = workflowFunctions;
    this.workflow = new ComplaintWorkflow(this, 'Workflow', { functions: workflowFunctions });
    const { stateMachine } = this.workflow;

    // SES invokes intake asynchronously (two retries); what still fails lands here instead of vanishing.
    const intakeFailures = new Queue(this, 'IntakeFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(intakeFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the intake Lambda (async invocations).',
    });
    this.intake = new HandlerFunction(this, 'IntakeFn', {
      entry: 'functions/handlers/intake.ts',
      description: 'SES receipt: threads or opens a complaint from the raw mail',
      // Parsing a raw mail of up to 40 MB with attachments needs memory and time.
      memorySize: 1024,
      timeout: Duration.minutes(2),
      deadLetterQueue: intakeFailures,
      environment: {
        ...environment,
        STATE_MACHINE_ARN: stateMachine.stateMachineArn,
        RAW_MAIL_BUCKET: this.rawMail.bucket.bucketName,
        RAW_MAIL_PREFIX: rawMailPrefix,
      },
    });
    this.apiHandler = new HandlerFunction(this, 'ApiFn', {
      entry: 'functions/handlers/api.ts',
      description: 'Agent HTTP API router',
      timeout: Duration.seconds(15),
      environment: { ...environment, STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    });

    const allFunctions = [this.intake, this.apiHandler, ...Object.values(workflowFunctions)];
    // SES v2 SendEmail is authorized on the sending identities: the mail domain and the sender's domain/address.
    const senderDomain = props.senderAddress.split('@')[1] as string;
    const identities = [...new Set([props.mailDomain, senderDomain, props.senderAddress])];
    const sendEmail = new PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: identities.map((identity) =>
        this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
      ),
    });
    for (const fn of allFunctions) {
      this.table.grantReadWriteData(fn);
      fn.addToRolePolicy(sendEmail);
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arnRef(this.table)}/index/*]`,
        reason: 'Queries the table\'s own GSIs (byCustomer, queue, byAssignee); "/index/*" names only those.',
      });
    }
    // The raw-mail store only reads objects SES wrote under the prefix; keys are SES message ids.
    this.intake.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.rawMail.bucket.arnForObjects(`${rawMailPrefix}*`)],
      }),
    );
    Validations.of(this.intake.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnRef(this.rawMail.bucket)}/${rawMailPrefix}*]`,
      reason: 'SES names each raw mail object after its message id: only the inbound prefix is readable.',
    });
    // Intake stores attachments beside the raw mail (keys `attachments/<SES id>/<n>-<name>`). The API
    // releases quarantined mail through the same intake code: it reads the raw mail, stores the
    // attachments and starts (or, for a reply, resumes or restarts) executions.
    const mailRoot = { RAW_MAIL_BUCKET: this.rawMail.bucket.bucketName, RAW_MAIL_PREFIX: rawMailPrefix };
    for (const fn of [this.intake, this.apiHandler]) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [this.rawMail.bucket.arnForObjects(`${attachmentPrefix}*`)],
        }),
      );
      fn.addEnvironment('ATTACHMENT_PREFIX', attachmentPrefix);
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arnRef(this.rawMail.bucket)}/${attachmentPrefix}*]`,
        reason:
          'Attachment keys carry the SES message id of their mail: only the attachments prefix is writable.',
      });
    }
    this.apiHandler.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.rawMail.bucket.arnForObjects(`${rawMailPrefix}*`)],
      }),
    );
    // GDPR erasure (POST /customers/{email}/erase) deletes the customer's raw mail and attachments.
    this.apiHandler.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [
          this.rawMail.bucket.arnForObjects(`${rawMailPrefix}*`),
          this.rawMail.bucket.arnForObjects(`${attachmentPrefix}*`),
        ],
      }),
    );
    for (const [name, value] of Object.entries(mailRoot)) this.apiHandler.addEnvironment(name, value);
    Validations.of(this.apiHandler.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnRef(this.rawMail.bucket)}/${rawMailPrefix}*]`,
      reason: 'Releasing a quarantined mail reads its raw MIME, named after its SES message id.',
    });
    stateMachine.grantStartExecution(this.intake);
    stateMachine.grantStartExecution(this.apiHandler);
    stateMachine.grantTaskResponse(this.apiHandler);
    Validations.of(stateMachine.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing and CloudWatch Logs log delivery (logs:CreateLogDelivery etc.) authorize only "*".',
      },
      ...Object.values(workflowFunctions).map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::${arnRef(fn)}:*]`,
        reason: 'LambdaInvoke grants invoking this one function and its versions/aliases (":*").',
      })),
    );

    this.agentApi = new AgentApi(this, 'AgentApi', {
      handler: this.apiHandler,
      callbackUrls: props.authCallbackUrls,
      domainPrefix: props.authDomainPrefix,
    });

    // A customer reply resumes a waiting task or reopens a resolved complaint under a new execution
    // (through intake, or through the API when a manager releases a quarantined reply).
    stateMachine.grantTaskResponse(this.intake);
    for (const fn of [this.intake, this.apiHandler]) {
      stateMachine.grantExecution(fn, 'states:StopExecution');
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${this.getLogicalId(stateMachine.node.defaultChild as CfnElement)}"}]}]}:*]`,
        reason: 'Stops only executions of this state machine (named after complaints, unknown in advance).',
      });
    }

    // Team notifications (escalations, approvals, manager alerts): one topic, filtered by the `role`
    // message attribute per subscriber.
    const notificationKey = new Key(this, 'TeamNotificationsKey', {
      enableKeyRotation: true,
      description: 'Complaints team notifications',
    });
    this.teamNotifications = new Topic(this, 'TeamNotifications', {
      masterKey: notificationKey,
      enforceSSL: true,
    });
    // The satisfaction links are HMAC-signed with this key; it is read by the step that mails the
    // survey and by the API route that records the answer.
    const surveyKey = new Secret(this, 'SurveySigningKey', {
      description: 'HMAC key of the satisfaction survey links',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(surveyKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the HMAC key would invalidate survey links already mailed (valid for their lifetime).',
    });
    for (const fn of [...Object.values(workflowFunctions), this.intake, this.apiHandler]) {
      this.teamNotifications.grantPublish(fn);
      fn.addEnvironment('ALERT_TOPIC_ARN', this.teamNotifications.topicArn);
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'Publishing to the KMS-encrypted topic needs GenerateDataKey* on that one key only.',
      });
    }
    for (const fn of [workflowFunctions.contactCustomer, this.apiHandler]) {
      surveyKey.grantRead(fn);
      fn.addEnvironment('SURVEY_SIGNING_SECRET_ARN', surveyKey.secretArn);
    }
    // The API's own endpoint (the $default stage): references only the HttpApi, so no dependency cycle
    // through the router Lambda and the state machine.
    workflowFunctions.contactCustomer.addEnvironment('SURVEY_BASE_URL', this.agentApi.api.apiEndpoint);

    // A receipt rule for an address also matches its `+label` forms, so `support@` covers the
    // `support+<token>@` reply addresses. Actions run in order: store the raw MIME, then run intake.
    this.receiptRuleSet = new ReceiptRuleSet(this, 'ReceiptRuleSet', {
      rules: [
        {
          recipients: [supportAddress],
          scanEnabled: true,
          actions: [
            new S3Action({ bucket: this.rawMail.bucket, objectKeyPrefix: rawMailPrefix }),
            new LambdaAction({ function: this.intake, invocationType: LambdaInvocationType.EVENT }),
          ],
        },
      ],
    });

    new Monitoring(this, 'Monitoring', {
      alarmEmail: props.alarmEmail,
      zeroTolerance: {
        ...Object.fromEntries(allFunctions.map((fn) => [`${fn.node.id}Errors`, fn.metricErrors()])),
        ExecutionsFailed: stateMachine.metricFailed(),
        ExecutionsTimedOut: stateMachine.metricTimedOut(),
        Api5xx: this.agentApi.api.metricServerError(),
        IntakeFailures: intakeFailures.metricApproximateNumberOfMessagesVisible(),
      },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.agentApi.stage.url, description: 'Agent HTTP API base URL' });
    new CfnOutput(this, 'SupportAddress', { value: supportAddress, description: 'Where customers write' });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'UserPoolId', { value: this.agentApi.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.agentApi.client.userPoolClientId });
    new CfnOutput(this, 'AuthDomain', {
      value: this.agentApi.domain.baseUrl(),
      description: 'Cognito hosted sign-in (authorization code flow)',
    });
    new CfnOutput(this, 'ReceiptRuleSetName', {
      value: this.receiptRuleSet.receiptRuleSetName,
      description: 'Activate once: aws ses set-active-receipt-rule-set --rule-set-name <this>',
    });
  }
}

/** How cdk-nag renders a resource's `Fn::GetAtt [<id>, Arn]` in finding ids, e.g. `<TableCD117FA1.Arn>`. */
function arnRef(construct: IConstruct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
}
