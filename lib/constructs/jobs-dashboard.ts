/**
 * The overview widgets of the jobs dashboard: requests and errors by route, jobs by outcome and
 * type, backlog and age, attempt and queue durations, the model, dead letters and repairs. Custom
 * metrics are read from the metric catalogue only (lambdas/shared/metric-catalog.ts): totals from
 * the `service` dimension alone, breakdowns with SEARCH over the catalogue's breakdown set, so a new
 * job type, model or failure class appears without a deploy.
 */
import { Duration } from 'aws-cdk-lib';
import type { IRestApi } from 'aws-cdk-lib/aws-apigateway';
import { GraphWidget, Metric, SearchExpression, type IMetric, type IWidget, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { RouteDefinition } from '../../lambdas/api/routes.ts';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION, type MetricDefinition, type MetricKey } from '../../lambdas/shared/metric-catalog.ts';
import { ALARM_PERIOD_MINUTES } from '../alarm-config.ts';

export const DASHBOARD_PERIOD = Duration.minutes(ALARM_PERIOD_MINUTES);

/** A catalogue metric with the `service` dimension alone: what alarms read, and the dashboard's totals. */
export function catalogueMetric(key: MetricKey, service: string, statistic: string, label?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: METRICS[key].name,
    dimensionsMap: { [SERVICE_DIMENSION]: service },
    statistic,
    period: DASHBOARD_PERIOD,
    label: label ?? METRICS[key].name,
  });
}

/** One line per value of the catalogue's breakdown dimensions (e.g. per job type), found by SEARCH. */
export function catalogueBreakdown(key: MetricKey, service: string, statistic: string, label?: string): SearchExpression {
  const definition: MetricDefinition = METRICS[key];
  if (definition.by.length === 0) throw new Error(`${definition.name} has no breakdown dimensions`);
  const schema = [METRICS_NAMESPACE, SERVICE_DIMENSION, ...definition.by].join(',');
  return new SearchExpression({
    expression: `SEARCH('{${schema}} MetricName="${definition.name}" ${SERVICE_DIMENSION}="${service}"', '${statistic}', ${DASHBOARD_PERIOD.toSeconds()})`,
    period: DASHBOARD_PERIOD,
    ...(label ? { label } : {}),
  });
}

/** The API and the queues, which both the overview and the alarms watch. */
export interface WatchedApiAndQueues {
  readonly restApi: IRestApi;
  readonly apiStage: string;
  /** Drawn per route on the dashboard. */
  readonly routes: readonly RouteDefinition[];
  readonly bandQueues: Readonly<Record<JobPriority, IQueue>>;
  readonly deadLetterQueue: IQueue;
}

export interface OverviewProps extends WatchedApiAndQueues {
  /** The `service` dimension of the custom metrics: the stack name. */
  readonly service: string;
  /** Drawn on the oldest-message graph. */
  readonly queueAgeThresholdSeconds: number;
}

const OUTCOMES: readonly MetricKey[] = ['jobsCreated', 'jobsReused', 'jobsCompleted', 'jobsFailed', 'jobsCancelled', 'jobsRetried', 'attemptsRequeued'];

const graph = (title: string, left: IMetric[], width = 12, extra: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {}): GraphWidget =>
  new GraphWidget({ title, left, width, height: 6, period: DASHBOARD_PERIOD, ...extra });

const header = (markdown: string): TextWidget => new TextWidget({ markdown, width: 24, height: 1 });

/** The overview rows, top of the dashboard. */
export function overviewWidgets(props: OverviewProps): IWidget[] {
  const { service } = props;
  const sum = (key: MetricKey) => catalogueMetric(key, service, 'Sum');
  const byDimension = (key: MetricKey, statistic: string) => catalogueBreakdown(key, service, statistic);
  return [
    header('## Requests and errors by route'),
    ...(['Count', '4XXError', '5XXError'] as const).map((name) =>
      graph(name === 'Count' ? 'Requests by route' : `${name.slice(0, 3)} answers by route`, routeMetrics(props, name), 8),
    ),
    header('## Jobs by outcome and type'),
    graph('Jobs by outcome', OUTCOMES.map(sum)),
    graph('Jobs by type (failed: by type and failure class)', OUTCOMES.map((key) => byDimension(key, 'Sum'))),
    header('## Backlog and age'),
    graph('Messages waiting, by priority', bandMetrics(props, 'ApproximateNumberOfMessagesVisible', 'Maximum'), 8),
    graph('Messages in flight, by priority', bandMetrics(props, 'ApproximateNumberOfMessagesNotVisible', 'Maximum'), 8),
    graph('Oldest message age (s), by priority', bandMetrics(props, 'ApproximateAgeOfOldestMessage', 'Maximum'), 8, {
      leftAnnotations: [{ value: props.queueAgeThresholdSeconds, label: 'alarm' }],
    }),
    header('## Attempt and queue durations (ms)'),
    graph('Attempt duration p50 / p99', [
      catalogueMetric('attemptDuration', service, 'p50', 'AttemptDuration p50'),
      catalogueMetric('attemptDuration', service, 'p99', 'AttemptDuration p99'),
      byDimension('attemptDuration', 'p99'),
    ]),
    graph('Queue delay (created or requeued to claimed) p50 / p99', [
      catalogueMetric('queueDelay', service, 'p50', 'QueueDelay p50'),
      catalogueMetric('queueDelay', service, 'p99', 'QueueDelay p99'),
      byDimension('queueDelay', 'p99'),
    ]),
    header('## Model'),
    graph('Model latency (ms) p50 / p99, by model', [
      catalogueMetric('modelLatency', service, 'p50', 'ModelLatency p50'),
      catalogueMetric('modelLatency', service, 'p99', 'ModelLatency p99'),
      byDimension('modelLatency', 'p99'),
    ], 8),
    graph('Model tokens, by model', [sum('modelInputTokens'), sum('modelOutputTokens'), byDimension('modelInputTokens', 'Sum'), byDimension('modelOutputTokens', 'Sum')], 8),
    graph('Model throttles, by model', [sum('modelThrottles'), byDimension('modelThrottles', 'Sum')], 8),
    header('## Dead letters and repairs'),
    graph('Dead-letter queue arrivals', [
      sum('jobsDeadLettered'),
      byDimension('jobsDeadLettered', 'Sum'),
      // Messages SQS moves to a dead-letter queue are not counted in its NumberOfMessagesSent; the DLQ consumer receives each.
      props.deadLetterQueue.metric('NumberOfMessagesReceived', { statistic: 'Sum', period: DASHBOARD_PERIOD, label: 'DLQ messages received' }),
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: DASHBOARD_PERIOD, label: 'DLQ messages waiting' }),
    ]),
    graph('Reconciler repairs, by repair', [sum('reconcilerRepairs'), byDimension('reconcilerRepairs', 'Sum')]),
  ];
}

/** API Gateway's per-method metrics (the stage has detailed metrics on), one line per route. */
function routeMetrics({ restApi, apiStage, routes }: OverviewProps, metricName: string): Metric[] {
  return routes.map(
    (route) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiName: restApi.restApiName, Stage: apiStage, Method: route.method, Resource: route.path },
        statistic: 'Sum',
        period: DASHBOARD_PERIOD,
        label: `${route.method} ${route.path}`,
      }),
  );
}

function bandMetrics({ bandQueues }: OverviewProps, metricName: string, statistic: string): Metric[] {
  return JOB_PRIORITIES.map((band) => bandQueues[band].metric(metricName, { statistic, period: DASHBOARD_PERIOD, label: band }));
}
