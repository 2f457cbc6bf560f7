import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HandlerFunction } from '../../infra/constructs/HandlerFunction';
import { accessOf, functionAccess, tablePartitions } from '../../infra/functionAccess';
import { workflowSteps } from '../../workflows/ComplaintWorkflow';
import { buildFastStack } from './fastApp';

// Verifies least privilege as deployed: each function's role allows exactly the actions in the table
// below (derived by reading the handlers and adapters, not from the infra declaration), item access is
// limited to key prefixes, and nothing unknown gets a role.
type Json = Record<string, unknown>;
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const xray = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const dynamo = (...actions: string[]) => actions.map((a) => `dynamodb:${a}`);
const sendMail = ['ses:SendEmail'];
const publish = ['kms:Decrypt', 'kms:GenerateDataKey', 'sns:Publish'];
const surveyKey = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
const workflow = [
  'states:GetExecutionHistory',
  'states:SendTaskFailure',
  'states:SendTaskHeartbeat',
  'states:SendTaskSuccess',
  'states:StartExecution',
  'states:StopExecution',
];
const saves = dynamo('BatchWriteItem', 'GetItem', 'PutItem');
// ConditionCheckItem: timeline entries that name the customer are written only while the complaint
// still names them (an erasure replaces the address), in one transaction with that check.
const mails = dynamo('BatchWriteItem', 'ConditionCheckItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem');

/** Function construct id -> every action its role allows. */
const expectedActions: Record<string, string[]> = {
  AcknowledgeFn: [...mails, ...sendMail],
  InvestigateFn: [...mails],
  // UpdateItem: the wait registered from what the workflow state knows (saveChange).
  AwaitPersonFn: [...saves, ...dynamo('UpdateItem'), ...publish],
  RecordFailureFn: [...saves, ...publish],
  EscalateFn: [...saves, ...publish],
  WarnSlaFn: [...saves],
  RequeueFn: [...saves, ...publish],
  ApplyResolutionFn: [...mails, ...sendMail],
  ContactCustomerFn: [...mails, ...sendMail, ...surveyKey],
  CloseFn: [...mails, ...sendMail],
  // sqs:SendMessage: the dead-letter queue of its asynchronous invocations. DeleteItem: a filed release's
  // pending mark.
  IntakeFn: [
    ...mails,
    ...dynamo('DeleteItem'),
    ...sendMail,
    's3:GetObject',
    's3:PutObject',
    // The raw mail and attachments of mail threaded into an erased customer's complaint.
    's3:DeleteObject',
    'sqs:SendMessage',
    ...workflow,
  ],
  // sqs:SendMessage: the dead-letter queue of its asynchronous invocations (from SNS).
  MailFeedbackFn: [
    ...dynamo('BatchWriteItem', 'ConditionCheckItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'),
    'sqs:SendMessage',
  ],
  // The table's stream (through its event source mapping), the bus, and the queue of failed batches.
  PublishEventsFn: [
    ...dynamo('DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'),
    'events:PutEvents',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:SendMessage',
  ],
  // The queue of domain events it takes in batches (its event source mapping).
  ProjectReportsFn: [
    ...dynamo('PutItem', 'UpdateItem'),
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ],
  // The reply outbox: the queue of first responses it takes (its event source mapping), and their mail.
  MailOwedRepliesFn: [
    ...mails,
    ...sendMail,
    'sqs:ChangeMessageVisibility',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sqs:GetQueueUrl',
    'sqs:ReceiveMessage',
  ],
  WeeklyDigestFn: [...dynamo('GetItem', 'PutItem', 'Query', 'UpdateItem'), ...sendMail],
  QueueMetricsFn: [...dynamo('Query')],
  // The OpenAPI document: logs and traces, nothing else.
  ApiDocsFn: [],
  ApiFn: [
    ...mails,
    'dynamodb:DeleteItem',
    ...sendMail,
    ...surveyKey,
    // GDPR erasure; the mail it releases from quarantine is read and filed by the intake function.
    's3:DeleteObject',
    ...workflow,
    'lambda:InvokeFunction',
  ],
};

/** Function construct id -> partition prefixes its role may touch. */
const expectedPartitions: Record<string, string[]> = {
  AcknowledgeFn: ['AUTOMAIL', 'COMPLAINT', 'OUTBOUND', 'OUTMAIL', 'RECURRING'],
  InvestigateFn: ['COMPLAINT', 'RECURRING'],
  AwaitPersonFn: ['COMPLAINT'],
  RecordFailureFn: ['COMPLAINT'],
  EscalateFn: ['COMPLAINT'],
  WarnSlaFn: ['COMPLAINT'],
  RequeueFn: ['COMPLAINT'],
  ApplyResolutionFn: ['COMPLAINT', 'OUTBOUND', 'OUTMAIL'],
  ContactCustomerFn: ['AUTOMAIL', 'COMPLAINT', 'OUTBOUND', 'OUTMAIL'],
  CloseFn: ['AUTOMAIL', 'COMPLAINT', 'OUTBOUND', 'OUTMAIL'],
  IntakeFn: ['AUTOMAIL', 'COMPLAINT', 'INMAIL', 'OUTBOUND', 'OUTMAIL', 'QUARANTINE', 'REF', 'THREAD'],
  MailFeedbackFn: ['AUTOMAIL', 'COMPLAINT', 'OUTBOUND', 'QUARANTINE'],
  // Reads the stream only: no item of the table.
  PublishEventsFn: [],
  ProjectReportsFn: ['REPORT'],
  MailOwedRepliesFn: ['COMPLAINT', 'OUTBOUND', 'OUTMAIL'],
  WeeklyDigestFn: ['OUTMAIL', 'REPORT'],
  QueueMetricsFn: [],
  ApiDocsFn: [],
  ApiFn: [
    'AUTOMAIL',
    'COMPLAINT',
    'INMAIL',
    'OUTBOUND',
    'OUTMAIL',
    'QUARANTINE',
    'RECURRING',
    'REF',
    'REPORT',
    'THREAD',
  ],
};

let statementsByFunction: Map<string, Statement[]>;
let tableId: string;
let intakeId: string;
let template: { Resources: Record<string, Json> };
const managedPolicies = new Map<string, unknown>();

beforeAll(() => {
  const { stack } = buildFastStack();
  template = Template.fromStack(stack).toJSON() as { Resources: Record<string, Json> };
  const resources = Object.entries(template.Resources);
  tableId = stack.getLogicalId(stack.table.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
  intakeId = stack.getLogicalId(stack.intake.node.defaultChild as Parameters<typeof stack.getLogicalId>[0]);
  const statementsOfRole = (roleId: string) =>
    resources
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
      .map(
        ([, r]) => r.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } },
      )
      .filter((p) => p.Roles.some((role) => role.Ref === roleId))
      .flatMap((p) => p.PolicyDocument.Statement);
  statementsByFunction = new Map(
    stack.node.children
      .filter((child) => child instanceof HandlerFunction)
      .map((fn) => {
        const roleId = stack.getLogicalId(
          fn.role.node.defaultChild as Parameters<typeof stack.getLogicalId>[0],
        );
        managedPolicies.set(
          fn.node.id,
          (template.Resources[roleId]?.Properties as Json | undefined)?.ManagedPolicyArns,
        );
        return [fn.node.id, statementsOfRole(roleId)] as const;
      }),
  );
});

const actionsOf = (statements: Statement[]) =>
  [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();

describe('function roles', () => {
  it('exist for every function, and only for declared ones', () => {
    expect([...statementsByFunction.keys()].sort()).toEqual(Object.keys(expectedActions).sort());
  });

  it('have no managed policy (AWSLambdaBasicExecutionRole writes to any log group)', () => {
    expect([...managedPolicies.values()].filter(Boolean)).toEqual([]);
    expect(managedPolicies.size).toBe(Object.keys(expectedActions).length);
  });

  it('allow each function exactly the actions it uses (the per-role actions table)', () => {
    const actual = Object.fromEntries(
      [...statementsByFunction].map(([id, statements]) => [id, actionsOf(statements)]),
    );
    const expected = Object.fromEntries(
      Object.entries(expectedActions).map(([id, actions]) => [
        id,
        [...new Set([...actions, ...logs, ...xray])].sort(),
      ]),
    );
    expect(actual).toEqual(expected);
  });

  it('never allow Scan, and limit item access to the partitions each function touches', () => {
    for (const [id, statements] of statementsByFunction) {
      const onItems = statements.filter(
        (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] }),
      );
      if (expectedPartitions[id]?.length === 0) {
        expect(onItems, id).toEqual([]);
        continue;
      }
      expect(onItems.length, id).toBeGreaterThan(0);
      const prefixes = new Set<string>();
      for (const statement of onItems) {
        expect(actionsOf([statement]), id).not.toContain('dynamodb:Scan');
        const leading = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
        expect(Array.isArray(leading), `${id} ${statement.Action} has a LeadingKeys condition`).toBe(true);
        for (const value of leading as string[]) prefixes.add(value.replace(/#\*$/, ''));
      }
      expect([...prefixes].sort(), id).toEqual(expectedPartitions[id]);
    }
  });

  it('query only the indexes they use, and nothing else on an index', () => {
    const indexStatements = (id: string) =>
      (statementsByFunction.get(id) ?? []).filter((s) => JSON.stringify(s.Resource).includes('/index/'));
    // The investigation reads the customer's history, in its own step and in the first step.
    for (const id of ['InvestigateFn', 'AcknowledgeFn']) {
      expect(indexStatements(id).map((s) => JSON.stringify(s.Resource))).toEqual([
        expect.stringContaining('/index/byCustomer'),
      ]);
    }
    for (const [id] of statementsByFunction) {
      for (const statement of indexStatements(id)) expect(statement.Action, id).toBe('dynamodb:Query');
    }
    expect(indexStatements('EscalateFn')).toEqual([]);
    expect(JSON.stringify(indexStatements('ApiFn'))).not.toContain('/index/*');
  });

  it('send mail only from the configured sender address', () => {
    for (const [id, statements] of statementsByFunction) {
      for (const statement of statements.filter((s) => s.Action === 'ses:SendEmail')) {
        expect(statement.Condition, id).toEqual({
          StringEquals: { 'ses:FromAddress': 'support@example.com' },
        });
      }
    }
  });

  it('let intake record the outcome of a released mail on its quarantine record, drop its pending mark and sweep the marks (QUARANTINE#)', () => {
    const partitionsAllowing = (action: string) =>
      (statementsByFunction.get('IntakeFn') ?? [])
        .filter((s) => actionsOf([s]).includes(`dynamodb:${action}`))
        .flatMap(
          (s) =>
            (s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] as string[] | undefined) ??
            [],
        );
    for (const action of ['UpdateItem', 'DeleteItem', 'Query']) {
      expect(partitionsAllowing(action), action).toContain('QUARANTINE#*');
    }
    expect(partitionsAllowing('DeleteItem')).toEqual(['QUARANTINE#*']);
  });

  it('let intake read raw mail under inbound/ only, write attachments only, and delete both (mail on an erased complaint)', () => {
    const prefixesAllowing = (id: string, action: string) =>
      (statementsByFunction.get(id) ?? [])
        .filter((s) => actionsOf([s]).includes(action))
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
        .map((resource) => /\/([a-z]+\/)\*"/.exec(JSON.stringify(resource))?.[1] ?? JSON.stringify(resource));
    expect(prefixesAllowing('IntakeFn', 's3:GetObject')).toEqual(['inbound/']);
    expect(prefixesAllowing('IntakeFn', 's3:DeleteObject').sort()).toEqual(['attachments/', 'inbound/']);
    expect(prefixesAllowing('IntakeFn', 's3:PutObject')).toEqual(['attachments/']);
    // The erasure deletes a customer's raw mail and attachments.
    expect(prefixesAllowing('ApiFn', 's3:DeleteObject').sort()).toEqual(['attachments/', 'inbound/']);
  });

  it('schedule the sweep of released mail: the scheduler may invoke intake and nothing else', () => {
    const schedules = Object.values(template.Resources).filter(
      (r) =>
        r.Type === 'AWS::Scheduler::Schedule' && JSON.stringify(r.Properties).includes('quarantineReleases'),
    );
    expect(schedules).toHaveLength(1);
    const properties = (schedules[0] as Json).Properties as Json;
    const target = properties.Target as Json;
    expect(properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(JSON.parse(String(target.Input))).toEqual({ sweep: 'quarantineReleases' });
    expect(JSON.stringify(target.Arn)).toContain(intakeId);
    const roleId = ((target.RoleArn as Json)['Fn::GetAtt'] as string[])[0];
    const roleStatements = Object.values(template.Resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          ((r.Properties as Json).Roles as Json[]).some((ref) => ref.Ref === roleId),
      )
      .flatMap((r) => ((r.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement);
    expect(actionsOf(roleStatements)).toEqual(['lambda:InvokeFunction']);
  });

  it('let the API invoke the intake function and no other function or version', () => {
    const invokes = [...statementsByFunction].flatMap(([id, statements]) =>
      statements.filter((s) => s.Action === 'lambda:InvokeFunction').map((s) => [id, s.Resource]),
    );
    expect(invokes).toEqual([['ApiFn', { 'Fn::GetAtt': [intakeId, 'Arn'] }]]);
  });
});

describe('functionAccess', () => {
  it('declares every workflow step, intake, the SES feedback function, the API, its docs and the event functions', () => {
    expect(Object.keys(functionAccess).sort()).toEqual(
      [
        ...Object.keys(workflowSteps),
        'intake',
        'mailFeedback',
        'api',
        'apiDocs',
        'publishEvents',
        'projectReports',
        'mailOwedReplies',
        'weeklyDigest',
        'queueMetrics',
      ].sort(),
    );
  });

  it('fails the synth of a workflow step nobody declared instead of granting it anything', () => {
    const steps = workflowSteps as Record<string, { entry: string; description: string }>;
    steps.undeclaredStep = {
      entry: 'functions/handlers/workflow/close.ts',
      description: 'an undeclared step',
    };
    try {
      expect(() => buildFastStack()).toThrow(
        /Lambda function "undeclaredStep" has no entry in functionAccess/,
      );
    } finally {
      delete steps.undeclaredStep;
    }
  });

  it('refuses a function nobody declared, naming it and what to do', () => {
    expect(() => accessOf('undeclaredStep')).toThrow(
      /Lambda function "undeclaredStep" has no entry in functionAccess .*declare the DynamoDB actions/,
    );
  });

  it('knows every partition of the table layout', () => {
    // The table layout documents each item as `PK=<PREFIX>#...`.
    const schema = readFileSync(new URL('../../functions/adapters/tableSchema.ts', import.meta.url), 'utf8');
    const documented = new Set([...schema.matchAll(/PK=([A-Z]+)#/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...tablePartitions].sort());
  });
});
