import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface MonitoringProps {
  /** Metrics that must stay at zero: any datapoint >= 1 in five minutes raises the alarm. */
  zeroTolerance: Record<string, IMetric>;
  /** Rates that raise their alarm at or above a threshold (SES reputation). */
  rateAlarms?: Record<string, { metric: IMetric; threshold: number }>;
  /** Emailed on every alarm; without it alarms only publish to the topic. */
  alarmEmail?: string;
  /** Names of `zeroTolerance` alarms that also alert the managers. */
  managerAlarms: string[];
  /** The managers' addresses (the `manager` notification subscribers). */
  managerEmails: string[];
  /** Business figures graphed on the dashboard (a row of their own). */
  businessGraphs?: Record<string, IMetric>;
  /** Business thresholds worth waking a manager for: the alarm goes to both topics. */
  managerThresholds?: Record<string, { metric: IMetric; threshold: number; evaluationPeriods: number }>;
}

/**
 * Alarms for what devops must act on (failed handlers, failed executions, API 5xx, mail that intake
 * could not process), published to one SNS topic, plus a dashboard of the same metrics.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  /** Alarms that tell managers complaints are stuck or lost. */
  readonly managerTopic: Topic;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // CloudWatch alarms can publish to an encrypted topic only if the key policy lets CloudWatch use
    // the key, which the AWS-managed SNS key does not allow: a customer-managed key is required.
    const key = new Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Complaints alarm topic' });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    // The managers get their alarms on a topic of their own rather than on the team-notification topic:
    // alarm actions publish without message attributes, so the `role` filter policies of that topic
    // would drop them, and matching the alarm JSON with MessageBody-scoped filters would tie every
    // subscription to CloudWatch's message format.
    this.managerTopic = new Topic(this, 'ManagerAlarmTopic', { masterKey: key, enforceSSL: true });
    for (const email of props.managerEmails) this.managerTopic.addSubscription(new EmailSubscription(email));
    const unknown = props.managerAlarms.filter((name) => !(name in props.zeroTolerance));
    if (unknown.length > 0) throw new Error(`managerAlarms names no alarm: ${unknown.join(', ')}`);

    const action = new SnsAction(this.topic);
    const managerAction = new SnsAction(this.managerTopic);
    this.alarms = Object.entries(props.zeroTolerance).map(([name, metric]) => {
      const alarm = new Alarm(this, name, {
        alarmDescription: `${name}: at least one occurrence in 5 minutes`,
        metric,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      if (props.managerAlarms.includes(name)) alarm.addAlarmAction(managerAction);
      return alarm;
    });
    for (const [name, { metric, threshold }] of Object.entries(props.rateAlarms ?? {})) {
      const alarm = new Alarm(this, name, {
        alarmDescription: `${name}: at or above ${threshold}`,
        metric,
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No datapoint while nothing is sent: no rate to worry about.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    }

    for (const [name, { metric, threshold, evaluationPeriods }] of Object.entries(
      props.managerThresholds ?? {},
    )) {
      const alarm = new Alarm(this, name, {
        alarmDescription: `${name}: at or above ${threshold} for ${evaluationPeriods} periods`,
        metric,
        evaluationPeriods,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      alarm.addAlarmAction(managerAction);
      this.alarms.push(alarm);
    }

    new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
        Object.entries(props.zeroTolerance).map(
          ([name, metric]) => new GraphWidget({ title: name, left: [metric], width: 6, height: 5 }),
        ),
        Object.entries(props.businessGraphs ?? {}).map(
          ([name, metric]) => new GraphWidget({ title: name, left: [metric], width: 6, height: 5 }),
        ),
      ],
    });
  }
}
