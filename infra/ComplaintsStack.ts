import {
  type CfnElement,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConfigurationSet,
  EmailSendingEvent,
  EventDestination,
  ReceiptRuleSet,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 as S3Action } from 'aws-cdk-lib/aws-ses-actions';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { roleAttribute } from '../functions/adapters/notifier';
import { tableIndexes, tableKeys, tableStreamView, ttlAttribute } from '../functions/adapters/tableSchema';
import { apiScope } from '../functions/api/routes';
import { settingNames } from '../functions/application/settings';
import {
  type ReleaseSweepEvent,
  releaseSweepIntervalMinutes,
} from '../functions/core/mail/quarantineRelease';
import { agentRoles } from '../functions/core/policy';
import { businessNamespace } from '../functions/core/reports/businessMetrics';
import { ComplaintWorkflow, type WorkflowStep, workflowSteps } from '../workflows/ComplaintWorkflow';
import type { AppContext } from './appContext';
import { handlerEntries } from './bundling';
import { AgentApi } from './constructs/AgentApi';
import { AgentConsole } from './constructs/AgentConsole';
import { DomainEvents } from './constructs/DomainEvents';
import { HandlerFunction } from './constructs/HandlerFunction';
import { Monitoring } from './constructs/Monitoring';
import { RawMailStorage } from './constructs/RawMailStorage';
import { accessOf, type RawMailArea, tableStatementsOf } from './functionAccess';
import { teamSubscriptions } from './teamSubscriptions';

/** Prefix SES stores raw inbound MIME under in the raw-mail bucket. */
export const rawMailPrefix = 'inbound/';
/** Prefix intake stores the attachments of inbound mail under, beside the raw mail. */
export const attachmentPrefix = 'attachments/';

export interface ComplaintsStackProps extends StackProps, Omit<AppContext, 'warnings'> {}

/** Where each raw-mail area lives in the bucket. */
const rawMailAreas: Record<RawMailArea, string> = { inbound: rawMailPrefix, attachments: attachmentPrefix };

/** The resources a declared access refers to, beside the stack's own. */
interface AccessTargets {
  senderAddress: string;
  /** SES identities the sender may send as: the mail domain, the sender's domain and address. */
  identities: string[];
  /** The configuration set every mail is sent with (suppression list, reputation metrics). */
  configurationSet: string;
  notificationKey: IKey;
  surveyKey: ISecret;
}

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
  /** Serves the API's OpenAPI document (`GET /openapi.json`), and holds nothing else. */
  readonly apiDocsHandler: HandlerFunction;
  readonly mailFeedbackHandler: HandlerFunction;
  readonly workflowFunctions: Record<WorkflowStep, IFunction>;
  readonly workflow: ComplaintWorkflow;
  readonly agentApi: AgentApi;
  readonly agentConsole: AgentConsole;
  readonly receiptRuleSet: ReceiptRuleSet;
  /** The table's stream to the bus, and the bus's consumers (the report projector among them). */
  readonly domainEvents: DomainEvents;

  constructor(scope: Construct, id: string, props: ComplaintsStackProps) {
    super(scope, id, props);
    const supportAddress = `support@${props.mailDomain}`;
    const senderDomain = props.senderAddress.split('@')[1] as string;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableKeys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableKeys.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: ttlAttribute,
      stream: tableStreamView === 'NEW_IMAGE' ? StreamViewType.NEW_IMAGE : StreamViewType.NEW_AND_OLD_IMAGES,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(tableIndexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.projection === 'ALL'
          ? { projectionType: ProjectionType.ALL }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] }),
      });
    }

    this.rawMail = new RawMailStorage(this, 'RawMail', {
      rawMailPrefix,
      attachmentPrefix,
      retentionDays: props.rawMailRetentionDays,
    });

    const environment: Record<string, string> = {
      [settingNames.tableName]: this.table.tableName,
      [settingNames.supportAddress]: supportAddress,
      [settingNames.senderAddress]: props.senderAddress,
      [settingNames.mailDomain]: props.mailDomain,
      [settingNames.policyProfile]: props.policyProfile,
      [settingNames.serviceName]: 'complaints',
      [settingNames.logLevel]: 'INFO',
      ...(props.policyJson ? { [settingNames.policyJson]: props.policyJson } : {}),
    };

    // One function per workflow step, named after it (investigate -> InvestigateFn). A step without a
    // declared access fails here, before anything is granted.
    const workflowFunctions = Object.fromEntries(
      (Object.keys(workflowSteps) as WorkflowStep[]).map((step) => [
        step,
        new HandlerFunction(this, `${step[0]?.toUpperCase()}${step.slice(1)}Fn`, {
          access: accessOf(step),
          entry: workflowSteps[step].entry,
          description: workflowSteps[step].description,
          environment,
        }),
      ]),
    ) as Record<WorkflowStep, HandlerFunction>;
    this.workflowFunctions = workflowFunctions;
    this.workflow = new ComplaintWorkflow(this, 'Workflow', { functions: workflowFunctions });
    const { stateMachine } = this.workflow;
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

    // SES invokes intake asynchronously (two retries); what still fails lands here instead of vanishing.
    const intakeFailures = new Queue(this, 'IntakeFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.intake = new HandlerFunction(this, 'IntakeFn', {
      entry: handlerEntries.intake,
      description: 'SES receipt: threads or opens a complaint from the raw mail',
      // Parsing a raw mail of up to 40 MB with attachments needs memory and time.
      memorySize: 1024,
      timeout: Duration.minutes(2),
      deadLetterQueue: intakeFailures,
      access: accessOf('intake'),
      environment,
    });
    // Every five minutes intake files the released quarantined mail whose hand-over from the API was lost
    // (an API killed between marking a mail released and invoking intake). The schedule invokes intake
    // asynchronously: a sweep that fails is retried by Lambda, then dead-lettered with intake's other
    // failures (both alarmed), and the next sweep tries again.
    const sweepRole = new Role(this, 'ReleaseSweepSchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
    });
    Validations.of(sweepRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arnRef(this.intake)}:*]`,
      reason: 'Invoking this one function and its versions/aliases (":*"), as the schedule target grants it.',
    });
    const releaseSweep: ReleaseSweepEvent = { sweep: 'quarantineReleases' };
    new Schedule(this, 'ReleaseSweepSchedule', {
      description: 'Files released quarantined mail whose hand-over to intake was lost, every five minutes',
      schedule: ScheduleExpression.rate(Duration.minutes(releaseSweepIntervalMinutes)),
      target: new LambdaInvoke(this.intake, {
        role: sweepRole,
        input: ScheduleTargetInput.fromObject(releaseSweep),
        retryAttempts: 0,
      }),
    });
    this.apiHandler = new HandlerFunction(this, 'ApiFn', {
      entry: handlerEntries.api,
      description: 'Agent HTTP API router',
      timeout: Duration.seconds(15),
      access: accessOf('api'),
      environment,
    });
    this.apiDocsHandler = new HandlerFunction(this, 'ApiDocsFn', {
      entry: handlerEntries.apiDocs,
      description: 'The agent API as an OpenAPI 3.1 document (GET /openapi.json)',
      timeout: Duration.seconds(5),
      access: accessOf('apiDocs'),
      environment: {},
    });
    // SNS invokes the feedback function asynchronously (two retries); what still fails, and what SNS
    // could not deliver to it at all, lands here.
    const feedbackFailures = new Queue(this, 'MailFeedbackFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.mailFeedbackHandler = new HandlerFunction(this, 'MailFeedbackFn', {
      entry: handlerEntries.mailFeedback,
      description: 'SES events (bounce, complaint, delivery, reject, delay): filed on the complaint',
      deadLetterQueue: feedbackFailures,
      access: accessOf('mailFeedback'),
      environment,
    });
    const domainEvents = new DomainEvents(this, 'DomainEvents', {
      table: this.table,
      environment,
      digestRecipients: props.digestRecipients.length
        ? props.digestRecipients
        : (props.notifications.manager ?? []),
    });
    this.domainEvents = domainEvents;
    const allFunctions: HandlerFunction[] = [
      this.intake,
      this.apiHandler,
      this.apiDocsHandler,
      this.mailFeedbackHandler,
      ...Object.values(workflowFunctions),
      domainEvents.publisher,
      domainEvents.reportProjector,
      domainEvents.owedReplyMailer,
      domainEvents.weeklyDigest,
      domainEvents.queueMetrics,
    ];

    // The console signs agents in: Cognito sends them back to it (plus any extra callback URLs).
    this.agentConsole = new AgentConsole(this, 'AgentConsole', { accessLogsBucket: this.rawMail.accessLogs });
    const consoleUrl = this.agentConsole.url;
    this.agentApi = new AgentApi(this, 'AgentApi', {
      handlers: { api: this.apiHandler, apiDocs: this.apiDocsHandler },
      callbackUrls: [`${consoleUrl}/callback`, ...props.authCallbackUrls],
      logoutUrls: [`${consoleUrl}/signed-out`, ...props.authCallbackUrls],
      corsOrigins: [consoleUrl],
      domainPrefix: props.authDomainPrefix,
    });
    const authDomain = this.agentApi.domain.baseUrl();
    this.agentConsole.deploy(
      {
        apiUrl: this.agentApi.api.apiEndpoint,
        auth: {
          issuer: this.agentApi.userPool.userPoolProviderUrl,
          authorizeUrl: `${authDomain}/oauth2/authorize`,
          tokenUrl: `${authDomain}/oauth2/token`,
          revokeUrl: `${authDomain}/oauth2/revoke`,
          logoutUrl: `${authDomain}/logout`,
          clientId: this.agentApi.client.userPoolClientId,
          scope: apiScope,
        },
      },
      authDomain,
    );

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
    for (const { address, roles } of teamSubscriptions(props.notifications)) {
      this.teamNotifications.addSubscription(
        new EmailSubscription(address, {
          filterPolicy: { [roleAttribute]: SubscriptionFilter.stringFilter({ allowlist: roles }) },
        }),
      );
    }
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
    // Every mail goes out with this configuration set: SES then keeps addresses that bounced hard or
    // complained on its suppression list (and drops later mail to them instead of bouncing again, which
    // is what gets an account's sending paused), and publishes reputation metrics for the alarms below.
    const mailFeedback = new ConfigurationSet(this, 'MailFeedback', {
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      reputationMetrics: true,
    });
    // Its events go to an encrypted topic that invokes the feedback function. SES publishes with a data
    // key of the topic's key, which the key policy allows for this configuration set only.
    const feedbackKey = new Key(this, 'MailFeedbackKey', {
      enableKeyRotation: true,
      description: 'Complaints SES mail feedback events',
    });
    feedbackKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'aws:SourceAccount': this.account,
            'aws:SourceArn': this.formatArn({
              service: 'ses',
              resource: 'configuration-set',
              resourceName: mailFeedback.configurationSetName,
            }),
          },
        },
      }),
    );
    const feedbackTopic = new Topic(this, 'MailFeedbackTopic', { masterKey: feedbackKey, enforceSSL: true });
    mailFeedback.addEventDestination('ToFeedbackTopic', {
      destination: EventDestination.snsTopic(feedbackTopic),
      events: [
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.DELIVERY_DELAY,
      ],
    });
    feedbackTopic.addSubscription(
      new LambdaSubscription(this.mailFeedbackHandler, { deadLetterQueue: feedbackFailures }),
    );
    for (const fn of allFunctions) {
      this.grantDeclaredAccess(fn, {
        configurationSet: mailFeedback.configurationSetName,
        senderAddress: props.senderAddress,
        identities: [...new Set([props.mailDomain, senderDomain, props.senderAddress])],
        notificationKey,
        surveyKey,
      });
    }
    // The API's own endpoint (the $default stage): references only the HttpApi, so no dependency cycle
    // through the router Lambda and the state machine.
    workflowFunctions.contactCustomer.addEnvironment(
      settingNames.surveyBaseUrl,
      this.agentApi.api.apiEndpoint,
    );

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

    const business = (name: string, statistic: string, period: Duration, queue?: string) =>
      new Metric({
        namespace: businessNamespace,
        metricName: name,
        statistic,
        period,
        dimensionsMap: { service: 'complaints', ...(queue ? { queue } : {}) },
      });
    const slaBreachRate = new MathExpression({
      expression: 'IF(opened > 0, breaches / opened, 0)',
      usingMetrics: {
        breaches: business('SlaBreaches', 'Sum', Duration.hours(1)),
        opened: business('ComplaintsOpened', 'Sum', Duration.hours(1)),
      },
      label: 'SLA breaches per complaint opened',
      period: Duration.hours(1),
    });
    new Monitoring(this, 'Monitoring', {
      alarmEmail: props.alarmEmail,
      managerEmails: props.notifications.manager ?? [],
      // Complaints stuck or lost: the workflow failed or timed out, or intake gave up on a mail.
      managerAlarms: ['ExecutionsFailed', 'ExecutionsTimedOut', 'IntakeFailures'],
      zeroTolerance: {
        ...Object.fromEntries(allFunctions.map((fn) => [`${fn.node.id}Errors`, fn.metricErrors()])),
        ExecutionsFailed: stateMachine.metricFailed(),
        ExecutionsTimedOut: stateMachine.metricTimedOut(),
        Api5xx: this.agentApi.api.metricServerError(),
        IntakeFailures: intakeFailures.metricApproximateNumberOfMessagesVisible(),
        MailFeedbackFailures: feedbackFailures.metricApproximateNumberOfMessagesVisible(),
        EventPublishFailures: domainEvents.publishFailures.metricApproximateNumberOfMessagesVisible(),
        ReportProjectionFailures: domainEvents.projectionFailures.metricApproximateNumberOfMessagesVisible(),
        OwedReplyFailures: domainEvents.owedReplyFailures.metricApproximateNumberOfMessagesVisible(),
      },
      businessGraphs: {
        SlaBreachRate: slaBreachRate,
        Escalations: business('Escalations', 'Sum', Duration.hours(1)),
        QueueDepth: business('QueueDepth', 'Maximum', Duration.minutes(5), 'tier1'),
        OldestWaitingHours: new MathExpression({
          expression: 'MAX([t1, t2, t3, m]) / 3600',
          usingMetrics: Object.fromEntries(
            (['t1', 't2', 't3', 'm'] as const).map((id, i) => [
              id,
              business('OldestWaitingSeconds', 'Maximum', Duration.minutes(5), agentRoles[i]),
            ]),
          ),
          label: 'Oldest waiting complaint (hours)',
          period: Duration.minutes(5),
        }),
      },
      // Wake a manager: a quarter of the complaints opened in two consecutive hours breached their SLA,
      // or a complaint has waited in the manager's queue (a failed step) for more than four hours.
      managerThresholds: {
        SlaBreachRateHigh: { metric: slaBreachRate, threshold: 0.25, evaluationPeriods: 2 },
        ManagerQueueWaiting: {
          metric: business('OldestWaitingSeconds', 'Maximum', Duration.minutes(5), 'manager'),
          threshold: 4 * 3600,
          evaluationPeriods: 1,
        },
      },
      // SES puts an account under review at a 5 % bounce rate or a 0.1 % complaint rate (and may pause
      // its sending at 10 % / 0.5 %): alarm at half of each, while there is time to act.
      rateAlarms: {
        SesBounceRate: { metric: sesReputation('Reputation.BounceRate'), threshold: 0.025 },
        SesComplaintRate: { metric: sesReputation('Reputation.ComplaintRate'), threshold: 0.0005 },
      },
    });

    new CfnOutput(this, 'ConsoleUrl', { value: consoleUrl, description: 'Agent console (CloudFront)' });
    new CfnOutput(this, 'ApiUrl', { value: this.agentApi.stage.url, description: 'Agent HTTP API base URL' });
    new CfnOutput(this, 'SupportAddress', { value: supportAddress, description: 'Where customers write' });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'EventBusName', { value: domainEvents.bus.eventBusName });
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

  /**
   * Grants a function what its {@link FunctionAccess} declares, and passes it the names of those
   * resources (and of nothing else) in its environment.
   */
  private grantDeclaredAccess(fn: HandlerFunction, targets: AccessTargets) {
    const { access, role } = fn;
    const { stateMachine } = this.workflow;
    for (const grant of tableStatementsOf(access)) {
      // LeadingKeys is the partition key of every item the request touches (each item of a batch or a
      // transaction); ForAllValues requires all of them to match one of the prefixes.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: grant.actions.map((action) => `dynamodb:${action}`),
          resources: [this.table.tableArn],
          conditions: {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': grant.partitions.map((partition) => `${partition}#*`),
            },
          },
        }),
      );
    }
    if (access.indexes?.length) {
      // Without a LeadingKeys condition: on an index query it would apply to the index's own partition
      // key (CUSTOMER#, QUEUE#, AGENT#, SENDER#...), not to the item prefixes above. Queries only, on the
      // named indexes.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: access.indexes.map(
            (index) => `${this.table.tableArn}/index/${tableIndexes[index].name}`,
          ),
        }),
      );
    }
    if (access.sendsMail) {
      // SES v2 SendEmail (the mailer sends Simple content, no raw MIME: ses:SendEmail only) is authorized
      // on the sending identities and on the configuration set it names; ses:FromAddress pins the From
      // to the configured sender.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['ses:SendEmail'],
          resources: [
            ...targets.identities.map((identity) =>
              this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
            ),
            this.formatArn({
              service: 'ses',
              resource: 'configuration-set',
              resourceName: targets.configurationSet,
            }),
          ],
          conditions: { StringEquals: { 'ses:FromAddress': targets.senderAddress } },
        }),
      );
      fn.addEnvironment(settingNames.sesConfigurationSet, targets.configurationSet);
    }
    if (access.publishes) {
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['sns:Publish'], resources: [this.teamNotifications.topicArn] }),
      );
      // SNS encrypts each published message with a data key of the topic's key, on the publisher's rights.
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [targets.notificationKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${this.region}.amazonaws.com` } },
        }),
      );
      fn.addEnvironment(settingNames.alertTopicArn, this.teamNotifications.topicArn);
    }
    if (access.readsSurveyKey) {
      targets.surveyKey.grantRead(fn);
      fn.addEnvironment(settingNames.surveySigningSecretArn, targets.surveyKey.secretArn);
    }
    if (access.rawMail) {
      const bucket = this.rawMail.bucket;
      const objectActions = {
        read: 's3:GetObject',
        write: 's3:PutObject',
        delete: 's3:DeleteObject',
      } as const;
      for (const [use, action] of Object.entries(objectActions) as [keyof typeof objectActions, string][]) {
        const areas = access.rawMail[use] ?? [];
        if (areas.length === 0) continue;
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: [action],
            resources: areas.map((area) => bucket.arnForObjects(`${rawMailAreas[area]}*`)),
          }),
        );
      }
      const areas = new Set(Object.values(access.rawMail).flat());
      Validations.of(role).acknowledge(
        ...[...areas].map((area) => ({
          id: `AwsSolutions-IAM5[Resource::${arnRef(bucket)}/${rawMailAreas[area]}*]`,
          reason: `Objects are named after the SES message id of their mail: only the ${rawMailAreas[area]} prefix.`,
        })),
      );
      fn.addEnvironment(settingNames.rawMailBucket, bucket.bucketName);
      fn.addEnvironment(settingNames.rawMailPrefix, rawMailPrefix);
      fn.addEnvironment(settingNames.attachmentPrefix, attachmentPrefix);
    }
    if (access.drivesWorkflow) {
      // Intake files mail and the API releases quarantined mail (start; stop and restart when a reply
      // reopens a resolved complaint); agents' decisions and customers' replies complete callback tasks,
      // and read an execution's history when a callback is refused (did the decision reach it?).
      stateMachine.grantStartExecution(fn);
      stateMachine.grantExecution(fn, 'states:StopExecution', 'states:GetExecutionHistory');
      stateMachine.grantTaskResponse(fn);
      fn.addEnvironment(settingNames.stateMachineArn, stateMachine.stateMachineArn);
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${this.getLogicalId(stateMachine.node.defaultChild as CfnElement)}"}]}]}:*]`,
        reason:
          'Stops and reads only executions of this state machine (named after complaints, unknown in advance).',
      });
    }
    if (access.invokesIntake) {
      // The unqualified function only: the release is handed to whatever version is live.
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.intake.functionArn] }),
      );
      fn.addEnvironment(settingNames.intakeFunctionName, this.intake.functionName);
    }
  }
}

/** How cdk-nag renders a resource's `Fn::GetAtt [<id>, Arn]` in finding ids, e.g. `<TableCD117FA1.Arn>`. */
function arnRef(construct: IConstruct): string {
  return `<${Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
}

/**
 * An SES reputation rate of the account (`AWS/SES`, no dimensions): a ratio published about hourly over
 * the recent sending, so the maximum over an hour is its current value.
 */
function sesReputation(metricName: string): Metric {
  return new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: Duration.hours(1) });
}
