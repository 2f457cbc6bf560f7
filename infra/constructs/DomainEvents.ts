import { type CfnElement, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { settingNames } from '../../functions/application/settings';
import { eventSource } from '../../functions/core/events/domainEvents';
import { businessNamespace } from '../../functions/core/reports/businessMetrics';
import { handlerEntries } from '../bundling';
import { accessOf } from '../functionAccess';
import { HandlerFunction } from './HandlerFunction';

/**
 * How the report projector takes its queue: up to `size` events, gathered for up to `windowSeconds`
 * (a batch of a busy minute is large, a quiet complaint's events wait that long at most).
 */
const projectionBatch = { size: 100, windowSeconds: 2 } as const;

/** Receives of one event by the projector before it moves to the dead-letter queue (about an hour). */
const projectionReceives = 20;

/**
 * The reply outbox's function: its timeout (an SES call and a few table requests), and the receives of
 * a first response's event, a visibility timeout (six times the function's timeout, longer than the
 * send lease of the request it waits out) apart: about ten minutes, then the dead-letter queue.
 */
export const owedReplies = { timeoutSeconds: 10, receives: 10 } as const;

export interface DomainEventsProps {
  /** The complaints table, with its stream enabled. */
  table: ITable;
  environment: Record<string, string>;
  /** Who receives the weekly insights digest; none: its schedule is deployed disabled. */
  digestRecipients: string[];
}

/**
 * The domain events: the table's stream (audit items are the outbox) into the publisher Lambda, which
 * puts one event per catalogued state change on the `ComplaintEvents` bus; an archive of every
 * complaint event for replay; and a queue naming the stream records that could not be published.
 */
export class DomainEvents extends Construct {
  readonly bus: EventBus;
  readonly publisher: HandlerFunction;
  /** Stream batches whose retries were spent (their shard and sequence range): must stay empty. */
  readonly publishFailures: Queue;
  /** Counts every event into the manager reports. */
  readonly reportProjector: HandlerFunction;
  /** The events the report projector takes, in batches. */
  readonly projectionQueue: Queue;
  /** Events the report projector failed on after its receives, or the rule could not queue: must stay empty. */
  readonly projectionFailures: Queue;
  /** The reply outbox: mails the reply a first response announced, unless its request did. */
  readonly owedReplyMailer: HandlerFunction;
  /** The first responses' events the reply outbox takes. */
  readonly owedReplyQueue: Queue;
  /** First responses whose reply could not be made sure of after its receives: must stay empty. */
  readonly owedReplyFailures: Queue;
  /** Mails the weekly insights digest, on a schedule. */
  readonly weeklyDigest: HandlerFunction;
  /** Measures the queues (depth, oldest waiting) every five minutes. */
  readonly queueMetrics: HandlerFunction;

  constructor(scope: Construct, id: string, props: DomainEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { eventBusName: 'ComplaintEvents' });
    new Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      eventPattern: { source: [eventSource] },
      retention: Duration.days(365),
      description: 'Every complaint domain event, for replay to new or repaired consumers',
    });
    this.publishFailures = new Queue(this, 'PublishFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.publishFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'It is itself the on-failure destination (dead-letter queue) of the stream event source mapping.',
    });
    this.publisher = new HandlerFunction(scope, 'PublishEventsFn', {
      entry: handlerEntries.publishEvents,
      description: 'Table stream to EventBridge: one domain event per committed audit item',
      access: accessOf('publishEvents'),
      environment: { ...props.environment, [settingNames.eventBusName]: this.bus.eventBusName },
    });
    this.bus.grantPutEventsTo(this.publisher);
    this.publisher.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // The handler reports the first record it could not publish; Lambda resumes from there.
        reportBatchItemFailures: true,
        retryAttempts: 20,
        onFailure: new SqsDlq(this.publishFailures),
        // Only inserted audit items carry events: nothing else invokes the function.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: {
              NewImage: {
                entity: { S: FilterRule.isEqual('timeline') },
                kind: { S: FilterRule.isEqual('audit') },
              },
            },
          }),
        ],
      }),
    );

    this.projectionFailures = new Queue(this, 'ProjectionFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.reportProjector = new HandlerFunction(scope, 'ProjectReportsFn', {
      entry: handlerEntries.projectReports,
      description:
        'Counts the domain events into the manager reports, in batches from a queue (once per event id)',
      access: accessOf('projectReports'),
      environment: { ...props.environment, [settingNames.businessMetricsNamespace]: businessNamespace },
    });
    // The events reach the projector through a queue, in batches: one transaction counts a batch, and
    // a counter that many events add to (a day's SLA figures, a tier's workload) is written once per
    // batch instead of once per event, so fewer writes contend for it. A batch failing in part comes
    // back for the events that failed; each message has `projectionReceives` receives, a visibility
    // timeout apart, before it moves to the dead-letter queue.
    this.projectionQueue = new Queue(this, 'ProjectionQueue', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      // Six times the function's timeout, as Lambda's SQS event source advises.
      visibilityTimeout: Duration.seconds(6 * (this.reportProjector.timeout?.toSeconds() ?? 30)),
      deadLetterQueue: { queue: this.projectionFailures, maxReceiveCount: projectionReceives },
    });
    new Rule(this, 'ToReports', {
      eventBus: this.bus,
      eventPattern: { source: [eventSource] },
      targets: [
        new SqsQueue(this.projectionQueue, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.projectionFailures,
        }),
      ],
    });
    this.reportProjector.addEventSource(
      new SqsEventSource(this.projectionQueue, {
        batchSize: projectionBatch.size,
        maxBatchingWindow: Duration.seconds(projectionBatch.windowSeconds),
        reportBatchItemFailures: true,
        // Two batches at a time at most: the batches add to the same few counters.
        maxConcurrency: 2,
      }),
    );

    // The reply outbox. An agent's first reply is recorded (the first response, with the reply's text
    // and the mail's send lease) before it is mailed; its event brings it here, where the reply is sent
    // once the request's lease has run out unless the request sent it. A reply still leased is a
    // partial batch failure: it comes back a visibility timeout later, longer than the lease.
    this.owedReplyFailures = new Queue(this, 'OwedReplyFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.owedReplyMailer = new HandlerFunction(scope, 'MailOwedRepliesFn', {
      entry: handlerEntries.mailOwedReplies,
      description: 'Reply outbox: mails the reply a first response announced, unless its request did',
      access: accessOf('mailOwedReplies'),
      environment: props.environment,
      timeout: Duration.seconds(owedReplies.timeoutSeconds),
    });
    this.owedReplyQueue = new Queue(this, 'OwedReplyQueue', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(6 * owedReplies.timeoutSeconds),
      deadLetterQueue: { queue: this.owedReplyFailures, maxReceiveCount: owedReplies.receives },
    });
    new Rule(this, 'ToOwedReplies', {
      eventBus: this.bus,
      eventPattern: {
        source: [eventSource],
        detailType: ['CustomerContacted'],
        detail: { data: { via: ['reply'] } },
      },
      targets: [
        new SqsQueue(this.owedReplyQueue, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.owedReplyFailures,
        }),
      ],
    });
    this.owedReplyMailer.addEventSource(
      new SqsEventSource(this.owedReplyQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );

    this.weeklyDigest = new HandlerFunction(scope, 'WeeklyDigestFn', {
      entry: handlerEntries.weeklyDigest,
      description: 'Mails the weekly insights digest (recurring issues, SLA, at-risk customers, CSAT)',
      access: accessOf('weeklyDigest'),
      environment: {
        ...props.environment,
        [settingNames.digestRecipients]: props.digestRecipients.join(','),
      },
    });
    const digestFailures = new Queue(this, 'DigestFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(digestFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'It is itself the dead-letter queue of the weekly digest schedule.',
    });
    const schedulerRole = new Role(this, 'DigestSchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
    });
    const digestFn = Stack.of(this).getLogicalId(this.weeklyDigest.node.defaultChild as CfnElement);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${digestFn}.Arn>:*]`,
      reason: 'Invoking this one function and its versions/aliases (":*"), as the schedule target grants it.',
    });
    new Schedule(this, 'WeeklyDigestSchedule', {
      description: 'Weekly insights digest, Mondays 07:00 in Berlin',
      schedule: ScheduleExpression.cron({
        minute: '0',
        hour: '7',
        weekDay: 'MON',
        timeZone: TimeZone.EUROPE_BERLIN,
      }),
      target: new LambdaInvoke(this.weeklyDigest, {
        role: schedulerRole,
        retryAttempts: 3,
        deadLetterQueue: digestFailures,
      }),
      enabled: props.digestRecipients.length > 0,
    });

    this.queueMetrics = new HandlerFunction(scope, 'QueueMetricsFn', {
      entry: handlerEntries.queueMetrics,
      description: 'Every 5 minutes: queue depth and oldest waiting complaint per queue (EMF metrics)',
      access: accessOf('queueMetrics'),
      environment: props.environment,
    });
    const metricsFn = Stack.of(this).getLogicalId(this.queueMetrics.node.defaultChild as CfnElement);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${metricsFn}.Arn>:*]`,
      reason: 'Invoking this one function and its versions/aliases (":*"), as the schedule target grants it.',
    });
    new Schedule(this, 'QueueMetricsSchedule', {
      description: 'Queue depth and oldest waiting complaint, every five minutes',
      schedule: ScheduleExpression.rate(Duration.minutes(5)),
      // A missed measurement is replaced by the next one five minutes later: no retries, no queue.
      target: new LambdaInvoke(this.queueMetrics, { role: schedulerRole, retryAttempts: 0 }),
    });
  }
}
