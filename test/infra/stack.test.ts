import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableIndexes, tableKeys, ttlAttribute } from '../../functions/adapters/tableSchema';
import { apiRoutes, apiScope, type RouteSpec } from '../../functions/api/routes';
import { agentRoles } from '../../functions/core/policy';
import { readAppContext } from '../../infra/appContext';
import { workflowSteps } from '../../workflows/ComplaintWorkflow';
import { buildFastStack } from './fastApp';

// Verifies the deployable stack's contract with the handlers: the table matches the
// shared schema, mail lands in S3 before intake runs, every agent route needs the OAuth scope, and
// every function runs nodejs24.x on arm64 with tracing.
let template: Template;
let logicalIds: {
  table: string;
  rawMailBucket: string;
  accessLogBucket: string;
  intake: string;
  api: string;
  apiDocs: string;
  projector: string;
  projectionQueue: string;
  projectionFailures: string;
};

beforeAll(() => {
  const { stack } = buildFastStack();
  template = Template.fromStack(stack);
  const logicalId = (resource: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(resource.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
  logicalIds = {
    table: logicalId(stack.table),
    rawMailBucket: logicalId(stack.rawMail.bucket),
    accessLogBucket: logicalId(stack.rawMail.accessLogs),
    intake: logicalId(stack.intake),
    api: logicalId(stack.apiHandler),
    apiDocs: logicalId(stack.apiDocsHandler),
    projector: logicalId(stack.domainEvents.reportProjector),
    projectionQueue: logicalId(stack.domainEvents.projectionQueue),
    projectionFailures: logicalId(stack.domainEvents.projectionFailures),
  };
});

const resourcesOf = (type: string) => Object.entries(template.findResources(type));
// CDK's BucketDeployment custom resource (it uploads the agent console): not one of our handlers.
const isConsoleDeployment = (id: string) => id.startsWith('CustomCDKBucketDeployment');
const handlerFunctions = () =>
  resourcesOf('AWS::Lambda::Function').filter(([id]) => !isConsoleDeployment(id));

describe('DynamoDB table', () => {
  it('has the keys and sparse GSIs of tableSchema, the queue projecting only the list attributes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: tableKeys.partitionKey, KeyType: 'HASH' },
        { AttributeName: tableKeys.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: Match.arrayWith(
        Object.values(tableIndexes).map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection:
            index.projection === 'ALL'
              ? { ProjectionType: 'ALL' }
              : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
        })),
      ),
    });
    const [[, table]] = resourcesOf('AWS::DynamoDB::Table') as [
      [string, { Properties: Record<string, unknown[]> }],
    ];
    expect(table.Properties.GlobalSecondaryIndexes).toHaveLength(Object.keys(tableIndexes).length);
  });

  it('is on-demand, point-in-time recoverable, encrypted, expires items on the TTL attribute and is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('S3 buckets', () => {
  it('block public access, are encrypted and deny non-TLS requests', () => {
    const buckets = resourcesOf('AWS::S3::Bucket');
    // raw mail, its access logs, the agent console
    expect(buckets).toHaveLength(3);
    for (const [id, bucket] of buckets as [string, { Properties: Record<string, unknown> }][]) {
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: { ServerSideEncryptionConfiguration: [expect.anything()] },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('keeps raw mail under inbound/ with access logs to the log bucket, expiring it by retention', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalIds.accessLogBucket },
          LogFilePrefix: 'raw-mail/',
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([{ ExpirationInDays: 365, Prefix: 'inbound/', Status: 'Enabled' }]),
        },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  it('lets intake (alone) write attachments under attachments/ only, expiring with the raw mail', () => {
    const writers = resourcesOf('AWS::IAM::Policy').filter(
      ([id, p]) => !isConsoleDeployment(id) && JSON.stringify(p).includes('s3:PutObject'),
    );
    expect(writers).toHaveLength(1);
    for (const [, policy] of writers) {
      const statement = (
        policy as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.find((st) => st.Action === 's3:PutObject');
      expect(statement?.Resource).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIds.rawMailBucket, 'Arn'] }, '/attachments/*']],
      });
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([{ ExpirationInDays: 365, Prefix: 'attachments/', Status: 'Enabled' }]),
      },
    });
  });

  it('lets SES (of this account only) write raw mail under the prefix', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIds.rawMailBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'ses.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
  });
});

describe('Lambda functions', () => {
  it('run nodejs24.x on arm64 with active tracing and their own log group, for every handler', () => {
    const functions = handlerFunctions();
    // intake, api, the API's docs, SES feedback, the event publisher, the report projector, the reply
    // outbox, the digest, the queue metrics and one per workflow step
    expect(functions).toHaveLength(9 + Object.keys(workflowSteps).length);
    for (const [, fn] of functions as [string, { Properties: Record<string, unknown> }][]) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Handler: 'index.handler',
      });
    }
  });

  it('give only intake and the API (which releases quarantined mail) the state machine ARN and the raw-mail bucket', () => {
    const envs = handlerFunctions().map(
      ([id, fn]) =>
        [
          id,
          (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
            .Environment.Variables,
        ] as const,
    );
    const withStateMachine = envs.filter(([, env]) => 'STATE_MACHINE_ARN' in env);
    expect(withStateMachine).toHaveLength(2);
    const withBucket = envs.filter(([, env]) => 'RAW_MAIL_BUCKET' in env).map(([id]) => id);
    expect(withBucket.sort()).toEqual([logicalIds.intake, logicalIds.api].sort());
    // The OpenAPI document is generated from code: its function is given no setting at all.
    expect(envs.find(([id]) => id === logicalIds.apiDocs)?.[1]).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
    });
    for (const [id, env] of envs) {
      if (id === logicalIds.apiDocs) continue;
      expect(env).toMatchObject({
        TABLE_NAME: { Ref: logicalIds.table },
        SUPPORT_ADDRESS: 'support@example.com',
        SENDER_ADDRESS: 'support@example.com',
        MAIL_DOMAIN: 'example.com',
        COMPLAINTS_PROFILE: 'standard',
        POWERTOOLS_SERVICE_NAME: 'complaints',
      });
    }
    // Business metrics (embedded metric format) come from the report projector alone.
    const withMetrics = envs.filter(([, env]) => 'BUSINESS_METRICS_NAMESPACE' in env);
    expect(
      withMetrics.map(([id, env]) => [id.startsWith('ProjectReportsFn'), env.BUSINESS_METRICS_NAMESPACE]),
    ).toEqual([[true, 'Complaints']]);
  });

  it('lets intake and the API start and stop executions and complete callback tasks', () => {
    const policies = resourcesOf('AWS::IAM::Policy').map(([, p]) => JSON.stringify(p));
    // Intake files mail; the API files a released quarantined mail through the same code.
    expect(policies.filter((p) => p.includes('states:StartExecution'))).toHaveLength(2);
    expect(policies.filter((p) => p.includes('states:StopExecution'))).toHaveLength(2);
    // The API (agent decisions, survey answers) and intake (customer replies).
    expect(policies.filter((p) => p.includes('states:SendTaskSuccess'))).toHaveLength(2);
    // ses:SendEmail only on the sending identities and the configuration set, never on "*".
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ses:SendEmail',
            Resource: Match.arrayWith([
              Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':identity/example.com'])] }),
              Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':configuration-set/'])] }),
            ]),
          }),
        ]),
      },
    });
  });
});

describe('Mail feedback', () => {
  it('sends with a configuration set that suppresses hard-bounced and complaining addresses', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      ReputationOptions: { ReputationMetricsEnabled: true },
    });
    const senders = resourcesOf('AWS::Lambda::Function').filter(([, fn]) =>
      JSON.stringify(fn).includes('SES_CONFIGURATION_SET'),
    );
    expect(senders.length).toBeGreaterThan(0);
  });

  it('publishes bounce, complaint, delivery, reject and delay events to an encrypted topic invoking the feedback function', () => {
    const topicId = resourcesOf('AWS::SNS::Topic').find(([id]) => id.startsWith('MailFeedbackTopic'))?.[0];
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint', 'delivery', 'reject', 'deliveryDelay'],
        SnsDestination: { TopicARN: { Ref: topicId } },
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const fnId = resourcesOf('AWS::Lambda::Function').find(([id]) => id.startsWith('MailFeedbackFn'))?.[0];
    expect(topicId && fnId).toBeTruthy();
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: topicId },
      Endpoint: { 'Fn::GetAtt': [fnId, 'Arn'] },
      // What SNS cannot deliver goes to the same dead-letter queue as failed invocations.
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Description: Match.stringLikeRegexp('SES events'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: 'MailFeedbackFailures: at least one occurrence in 5 minutes',
    });
  });

  it('alarms on the SES bounce and complaint rates before SES reviews the account', () => {
    for (const [metricName, threshold] of [
      ['Reputation.BounceRate', 0.025],
      ['Reputation.ComplaintRate', 0.0005],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SES',
        MetricName: metricName,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: Match.anyValue(),
      });
    }
  });
});

describe('Domain events', () => {
  it('reach the report projector through a queue, in batches, failures redriven to a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalIds.projectionQueue, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIds.projectionFailures, 'Arn'] } },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIds.projectionFailures, 'Arn'] },
        maxReceiveCount: 20,
      },
      VisibilityTimeout: 180,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIds.projector },
      EventSourceArn: { 'Fn::GetAtt': [logicalIds.projectionQueue, 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 2,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });
});

describe('State machine', () => {
  it('is a Standard workflow logging ALL with execution data, and traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
  });
});

describe('Agent HTTP API', () => {
  it('has exactly one route per apiRoutes entry, each behind the JWT authorizer with the agent scope', () => {
    const routes = resourcesOf('AWS::ApiGatewayV2::Route');
    expect(routes).toHaveLength(Object.keys(apiRoutes).length);
    for (const route of Object.values(apiRoutes) as RouteSpec[]) {
      if (route.public) {
        // The survey link authenticates itself (HMAC-signed, expiring token).
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: `${route.method} ${route.path}`,
          AuthorizationType: 'NONE',
        });
        continue;
      }
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'JWT',
        AuthorizationScopes: [apiScope],
        AuthorizerId: { Ref: Match.anyValue() },
      });
    }
  });

  it('sends /openapi.json to the docs function and every other route to the router', () => {
    const integrations = new Map(
      resourcesOf('AWS::ApiGatewayV2::Integration').map(([id, integration]) => [
        id,
        JSON.stringify(
          (integration as { Properties: { IntegrationUri: unknown } }).Properties.IntegrationUri,
        ),
      ]),
    );
    const functionOfRoute = Object.fromEntries(
      resourcesOf('AWS::ApiGatewayV2::Route').map(([, route]) => {
        const { RouteKey, Target } = (route as { Properties: { RouteKey: string; Target: unknown } })
          .Properties;
        const integrationId = /"Ref":"([^"]+)"/.exec(JSON.stringify(Target))?.[1] ?? '';
        return [RouteKey, integrations.get(integrationId)];
      }),
    );
    const uriOf = (id: string) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
    for (const route of Object.values(apiRoutes) as RouteSpec[]) {
      expect(functionOfRoute[`${route.method} ${route.path}`], route.path).toBe(
        uriOf(route.path === '/openapi.json' ? logicalIds.apiDocs : logicalIds.api),
      );
    }
  });

  it('validates Cognito tokens issued for the agent client', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Issuer: { 'Fn::GetAtt': [Match.anyValue(), 'ProviderURL'] },
        Audience: [{ Ref: Match.anyValue() }],
      },
    });
    const [resourceServer, scope] = apiScope.split('/');
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: resourceServer,
      Scopes: [Match.objectLike({ ScopeName: scope })],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      // `<resource server Ref (its identifier)>/<scope>`, i.e. apiScope once deployed.
      AllowedOAuthScopes: Match.arrayWith([{ 'Fn::Join': ['', [{ Ref: Match.anyValue() }, `/${scope}`]] }]),
      GenerateSecret: false,
    });
  });

  it('has a user pool without self sign-up, with MFA and one group per agent role', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
    });
    for (const role of agentRoles) {
      template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: role });
    }
  });

  it('logs access on the $default stage and throttles by default', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('\\$context.requestId'),
      },
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
    });
  });
});

describe('SES receiving', () => {
  it('stores the raw mail in S3 first, then invokes intake asynchronously, with spam/virus scanning', () => {
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: {
        Enabled: true,
        Recipients: ['support@example.com'],
        ScanEnabled: true,
        Actions: [
          { S3Action: { BucketName: { Ref: logicalIds.rawMailBucket }, ObjectKeyPrefix: 'inbound/' } },
          {
            LambdaAction: {
              FunctionArn: { 'Fn::GetAtt': [logicalIds.intake, 'Arn'] },
              InvocationType: 'Event',
            },
          },
        ],
      },
    });
  });
});

describe('Outputs', () => {
  it('exposes what devops and the agent client need', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'SupportAddress',
        'StateMachineArn',
        'TableName',
        'UserPoolId',
        'UserPoolClientId',
        'ReceiptRuleSetName',
      ]),
    );
  });
});

describe('App context', () => {
  const context = {
    mailDomain: 'example.com',
    senderAddress: 'support@example.com',
    policyProfile: 'standard',
  };

  it('names a missing key', () => {
    const { mailDomain: _, ...withoutDomain } = context;
    expect(() => readAppContext(new App({ context: withoutDomain }).node)).toThrow(/mailDomain is missing/);
  });

  it('rejects an invalid policy override at synth time', () => {
    const app = new App({ context: { ...context, policy: '{"authority":{"tier1":-5}}' } });
    expect(() => readAppContext(app.node)).toThrow(/policy/);
  });

  it('accepts the override as a JSON string or an object and hands it to the handlers as JSON', () => {
    const override = { followUp: { maxCallAttempts: 5 } };
    const fromString = readAppContext(
      new App({ context: { ...context, policy: JSON.stringify(override) } }).node,
    );
    const fromObject = readAppContext(new App({ context: { ...context, policy: override } }).node);
    expect(JSON.parse(fromString.policyJson ?? '')).toEqual(override);
    expect(JSON.parse(fromObject.policyJson ?? '')).toEqual(override);
  });
});
