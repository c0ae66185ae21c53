/**
 * Alarms a team would keep, the topic they notify, and the jobs dashboard.
 *
 * Built on cdk-monitoring-constructs (its MonitoringFacade): it makes the alarms on AWS metrics
 * (SQS, Lambda, API Gateway) with consistent names and descriptions, renders each monitored
 * resource's graphs with its alarm thresholds on the dashboard, and sends every alarm to the topic.
 * The overview rows on top (lib/constructs/jobs-dashboard.ts) and the DynamoDB and custom-metric
 * alarms use its custom monitoring with metrics built here, because they read what the library
 * does not know: API Gateway's per-route metrics, the throttles of every index, and the catalogue's
 * custom metrics (lambdas/shared/metric-catalog.ts).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { type AlarmBase, ComparisonOperator, type Dashboard, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DashboardRenderingPreference, DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { JOB_PRIORITIES } from '../../lambdas/domain/job.ts';
import type { AlarmConfig } from '../alarm-config.ts';
import { catalogueMetric, DASHBOARD_PERIOD, overviewWidgets, type WatchedApiAndQueues } from './jobs-dashboard.ts';

/** A DynamoDB table and the names of its global secondary indexes. */
export interface MonitoredTable {
  readonly table: ITable;
  readonly indexNames: readonly string[];
}

export interface JobsMonitoringProps extends WatchedApiAndQueues {
  readonly alarms: AlarmConfig;
  /**
   * The `service` dimension of the custom metrics, the alarm name prefix and the dashboard name.
   * @default - the stack name
   */
  readonly service?: string;
  readonly worker: IFunction;
  readonly dlqConsumer: IFunction;
  readonly reconciler: IFunction;
  /** Each table's throttles are alarmed, its indexes' included. */
  readonly tables: Readonly<Record<'JobsTable' | 'WorkspacesTable', MonitoredTable>>;
}

/** Every alarm's only severity: each one notifies the topic. */
const SEVERITY = 'Critical';
const ALL_PERIODS_BREACHING = (periods: number) => ({ evaluationPeriods: periods, datapointsToAlarm: periods });
const NOT_BREACHING = { treatMissingDataOverride: TreatMissingData.NOT_BREACHING };

export class JobsMonitoring extends Construct {
  /** Where every alarm sends ALARM notifications: created (encrypted, TLS only) or the given one. */
  readonly topic: ITopic;
  /** The key of a created topic: CloudWatch may use it to publish. */
  readonly topicKey?: Key;
  readonly facade: MonitoringFacade;
  readonly dashboard: Dashboard;
  readonly alarms: readonly AlarmBase[];

  constructor(scope: Construct, id: string, props: JobsMonitoringProps) {
    super(scope, id);
    const service = props.service ?? Stack.of(this).stackName;
    const { thresholds } = props.alarms;
    if (props.alarms.topicArn) {
      this.topic = Topic.fromTopicArn(this, 'AlarmTopic', props.alarms.topicArn);
    } else {
      this.topicKey = this.createTopicKey();
      this.topic = this.createTopic(this.topicKey, props.alarms.email);
    }

    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: service,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      renderingPreference: DashboardRenderingPreference.INTERACTIVE_ONLY,
    });
    this.facade = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        alarmNamePrefix: service,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.topic }),
        ...ALL_PERIODS_BREACHING(1),
      },
      metricFactoryDefaults: { period: DASHBOARD_PERIOD },
      dashboardFactory: dashboards,
    });
    const facade = this.facade;

    for (const widget of overviewWidgets({ ...props, service, queueAgeThresholdSeconds: thresholds.queueAgeSeconds })) facade.addWidget(widget);

    facade.addLargeHeader('Alarms and the resources they watch');
    const customAlarm = (threshold: number, periods = 1) => ({
      [SEVERITY]: { threshold, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, ...ALL_PERIODS_BREACHING(periods), ...NOT_BREACHING },
    });
    facade.monitorCustom({
      alarmFriendlyName: 'Jobs',
      humanReadableName: 'Jobs: dead letters, lost messages, Bedrock throttling',
      metricGroups: [
        {
          title: 'Dead-lettered jobs (any)',
          metrics: [{ alarmFriendlyName: 'DeadLettered', metric: catalogueMetric('jobsDeadLettered', service, 'Sum'), addAlarm: customAlarm(0) }],
        },
        {
          title: 'Reconciler repairs (a message or attempt was lost)',
          metrics: [{ alarmFriendlyName: 'ReconcilerRepairs', metric: catalogueMetric('reconcilerRepairs', service, 'Sum'), addAlarm: customAlarm(thresholds.reconcilerRepairs) }],
        },
        {
          title: `Bedrock throttling (sustained: ${thresholds.modelThrottlePeriods} periods)`,
          metrics: [
            {
              alarmFriendlyName: 'ModelThrottles',
              metric: catalogueMetric('modelThrottles', service, 'Sum'),
              addAlarm: customAlarm(thresholds.modelThrottles, thresholds.modelThrottlePeriods),
            },
          ],
        },
      ],
    });

    for (const band of JOB_PRIORITIES) {
      facade.monitorSqsQueue({
        queue: props.bandQueues[band],
        alarmFriendlyName: `JobsQueue-${band}`,
        humanReadableName: `Jobs queue (${band})`,
        addQueueMaxMessageAgeAlarm: { [SEVERITY]: { maxAgeInSeconds: thresholds.queueAgeSeconds, ...NOT_BREACHING } },
      });
    }
    // The DLQ consumer marks each job FAILED and deletes its message within seconds: messages that
    // stay for 3 periods mean it cannot keep up or fails (each arrival is the alarm above).
    facade.monitorSqsQueue({
      queue: props.deadLetterQueue,
      alarmFriendlyName: 'DeadLetterQueue',
      humanReadableName: 'Dead-letter queue',
      addQueueMaxSizeAlarm: { [SEVERITY]: { maxMessageCount: 0, ...ALL_PERIODS_BREACHING(3), ...NOT_BREACHING } },
    });

    facade.monitorLambdaFunction({
      lambdaFunction: props.worker,
      alarmFriendlyName: 'Worker',
      humanReadableName: 'Worker',
      addFaultCountAlarm: { [SEVERITY]: { maxErrorCount: thresholds.workerErrors } },
      addThrottlesCountAlarm: { [SEVERITY]: { maxErrorCount: thresholds.workerThrottles } },
    });
    for (const [name, fn] of [['DlqConsumer', props.dlqConsumer], ['Reconciler', props.reconciler]] as const) {
      facade.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName: name,
        humanReadableName: name === 'DlqConsumer' ? 'DLQ consumer' : 'Reconciler',
        addFaultCountAlarm: { [SEVERITY]: { maxErrorCount: thresholds.workerErrors } },
      });
    }

    facade.monitorApiGateway({
      api: props.restApi,
      apiStage: props.apiStage,
      alarmFriendlyName: 'Api',
      humanReadableName: 'API (all routes)',
      add5XXFaultRateAlarm: { [SEVERITY]: { maxErrorRate: thresholds.api5xxPercent / 100, ...ALL_PERIODS_BREACHING(3) } },
      addLatencyP99Alarm: { [SEVERITY]: { maxLatency: Duration.millis(thresholds.apiLatencyP99Ms), ...ALL_PERIODS_BREACHING(3) } },
    });

    facade.monitorCustom({
      alarmFriendlyName: 'DynamoDB',
      humanReadableName: 'DynamoDB throttled events (tables and their indexes)',
      metricGroups: Object.entries(props.tables).map(([name, monitored]) => ({
        title: `${name} throttled events`,
        metrics: (['Read', 'Write'] as const).map((kind) => ({
          alarmFriendlyName: `${name}-${kind}Throttles`,
          metric: throttleEvents(monitored, kind, `${kind}${name}`.toLowerCase()),
          addAlarm: customAlarm(thresholds.dynamoThrottles),
        })),
      })),
    });

    const dashboard = dashboards.getDashboard('Detail');
    if (!dashboard) throw new Error('The monitoring facade made no detail dashboard');
    this.dashboard = dashboard;
    this.alarms = facade.createdAlarms().map((created) => created.alarm);
  }

  /** CloudWatch encrypts what it publishes with the topic's key: the AWS-managed SNS key does not allow it. */
  private createTopicKey(): Key {
    const { account } = Stack.of(this);
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic; CloudWatch alarms of this account may publish with it',
      enableKeyRotation: true,
      // Only messages in flight are encrypted with it: nothing at rest needs it once the topic is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    return key;
  }

  private createTopic(key: Key, email: string | undefined): Topic {
    const { account, partition, region } = Stack.of(this);
    const topic = new Topic(this, 'AlarmTopic', { displayName: 'Async jobs alarms', masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (email) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }
}

/**
 * Throttled read or write events of a table and each of its indexes, summed (a metric-math alarm
 * reads at most 10 metrics: the table and up to 9 indexes). `idPrefix` names its metrics.
 */
function throttleEvents({ table, indexNames }: MonitoredTable, kind: 'Read' | 'Write', idPrefix: string): MathExpression {
  if (indexNames.length > 9) throw new Error('A throttle alarm reads the table and at most 9 indexes');
  const metric = (indexName?: string) =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName: `${kind}ThrottleEvents`,
      dimensionsMap: { TableName: table.tableName, ...(indexName ? { GlobalSecondaryIndexName: indexName } : {}) },
      statistic: 'Sum',
      period: DASHBOARD_PERIOD,
    });
  // Metric ids are unique within a graph, and the dashboard draws every table's in one.
  const usingMetrics = Object.fromEntries([[`${idPrefix}_table`, metric()], ...indexNames.map((name, index) => [`${idPrefix}_index${index}`, metric(name)])]);
  return new MathExpression({
    expression: Object.keys(usingMetrics).map((metricId) => `FILL(${metricId},0)`).join('+'),
    usingMetrics,
    label: `${kind} throttled events`,
    period: DASHBOARD_PERIOD,
  });
}
