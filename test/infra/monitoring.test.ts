import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { JOB_PRIORITIES } from '../../lambdas/domain/job.ts';
import { METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION, type MetricDefinition } from '../../lambdas/shared/metric-catalog.ts';
import { JOBS_TABLE_INDEX_NAMES, WORKSPACES_TABLE } from '../../lambdas/shared/resources.ts';
import type { JobsStack } from '../../lib/jobs-stack.ts';
import { logicalId, render, synthDefaultStack, synthStack } from './support/synth.ts';

type Properties = Record<string, unknown>;
interface MetricStat {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions?: { Name: string; Value: unknown }[];
}
interface AlarmQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: { Metric: MetricStat; Stat: string; Period: number };
}

const CATALOGUE_NAMES: ReadonlySet<string> = new Set(Object.values(METRICS).map((metric) => metric.name));

function alarmsOf(template: Template): Properties[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties as Properties);
}

function alarmNamed(template: Template, stack: JobsStack, suffix: string): Properties {
  const name = `${stack.stackName}-${suffix}-Critical`;
  const found = alarmsOf(template).filter((alarm) => alarm.AlarmName === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
}

/** The metrics an alarm reads: its single metric, or those of its metric-math expression. */
function alarmMetrics(alarm: Properties): { namespace: string; name: string; dimensions: Record<string, string>; stat: string; period: number }[] {
  const dims = (list: { Name: string; Value: unknown }[] = []) => Object.fromEntries(list.map((d) => [d.Name, render(d.Value)]));
  if (alarm.MetricName) {
    return [{ namespace: String(alarm.Namespace), name: String(alarm.MetricName), dimensions: dims(alarm.Dimensions as never), stat: String(alarm.Statistic ?? alarm.ExtendedStatistic), period: Number(alarm.Period) }];
  }
  return (alarm.Metrics as AlarmQuery[])
    .filter((query) => query.MetricStat)
    .map(({ MetricStat: stat }) => ({ namespace: stat!.Metric.Namespace, name: stat!.Metric.MetricName, dimensions: dims(stat!.Metric.Dimensions), stat: stat!.Stat, period: stat!.Period }));
}

/** The dashboard's body as JSON, with references rendered as `${LogicalId}` text. */
function dashboardBody(template: Template): { widgets: { type: string; properties: { title?: string; markdown?: string; metrics?: unknown[][] } }[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return JSON.parse(render(dashboards[0]!.Properties.DashboardBody)) as never;
}

/** Every metric line of every graph: plain metrics `[namespace, name, dim, value, …, options]` and expressions. */
function dashboardLines(template: Template): { namespace?: string; name?: string; dimensions: Record<string, string>; expression?: string }[] {
  return dashboardBody(template).widgets.flatMap((widget) =>
    (widget.properties.metrics ?? []).map((line) => {
      const options = line.at(-1) as { expression?: string };
      if (typeof line[0] !== 'string') return { dimensions: {}, ...(options.expression ? { expression: options.expression } : {}) };
      const parts = line.filter((part) => typeof part === 'string') as string[];
      const dimensions: Record<string, string> = {};
      for (let index = 2; index + 1 < parts.length; index += 2) dimensions[parts[index]!] = parts[index + 1]!;
      return { namespace: parts[0], name: parts[1], dimensions };
    }),
  );
}

/** Every alarm the stack has, by name after the stack name (and before `-Critical`). */
const ALARM_SUFFIXES = [
  'Jobs-DeadLettered',
  'DeadLetterQueue-Queue-Message-Count-Max',
  ...JOB_PRIORITIES.map((band) => `JobsQueue-${band}-Queue-Message-Age-Max`),
  'Worker-Fault-Count',
  'Worker-Throttled-Count',
  'DlqConsumer-Fault-Count',
  'Reconciler-Fault-Count',
  'Api-Fault-Rate',
  'Api-Latency-P99',
  ...['JobsTable', 'WorkspacesTable'].flatMap((table) => [`DynamoDB-${table}-ReadThrottles`, `DynamoDB-${table}-WriteThrottles`]),
  'Jobs-ReconcilerRepairs',
  'Jobs-ModelThrottles',
];

const SEARCH = /^SEARCH\('\{([^}]*)\} MetricName="([^"]+)" (\w+)="([^"]+)"', '(\w+)', (\d+)\)$/;

describe('alarm topic', () => {
  const { stack, template } = synthDefaultStack();
  const topicId = logicalId(stack.monitoring.topic as never);
  const keyId = logicalId(stack.monitoring.topicKey!);

  it('is encrypted with its own rotating key, which CloudWatch of this account may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const key = template.findResources('AWS::KMS::Key')[keyId]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statements = key.Properties.KeyPolicy.Statement as { Principal: { Service?: string }; Action: string[]; Condition?: unknown }[];
    const cloudWatch = statements.filter((statement) => statement.Principal.Service === 'cloudwatch.amazonaws.com');
    expect(cloudWatch).toHaveLength(1);
    expect(cloudWatch[0]!.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cloudWatch[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it('refuses publishing without TLS and lets only this account\'s alarms publish as CloudWatch', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((policy) =>
      (policy.Properties.Topics as { Ref: string }[]).some((topic) => topic.Ref === topicId),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as Properties[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const allow = statements.find((statement) => statement.Effect === 'Allow')!;
    expect(allow).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' });
    expect(render((allow.Condition as { ArnLike: Record<string, unknown> }).ArnLike['aws:SourceArn'])).toBe(
      'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*',
    );
  });

  it('has no subscription unless alarmEmail is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('is the action of every alarm, and nothing else is', () => {
    const alarms = alarmsOf(template);
    expect(alarms.map((alarm) => alarm.AlarmName).sort()).toEqual(ALARM_SUFFIXES.map((suffix) => `${stack.stackName}-${suffix}-Critical`).sort());
    for (const alarm of alarms) {
      expect(alarm.ActionsEnabled, String(alarm.AlarmName)).toBe(true);
      expect(alarm.AlarmActions, String(alarm.AlarmName)).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions ?? [], String(alarm.AlarmName)).toEqual([]);
    }
  });

  it('makes every alarm read 5-minute periods and count missing data as fine', () => {
    for (const alarm of alarmsOf(template)) {
      expect(alarm.TreatMissingData, String(alarm.AlarmName)).toBe('notBreaching');
      for (const metric of alarmMetrics(alarm)) expect(metric.period, String(alarm.AlarmName)).toBe(300);
    }
  });

  it('is published as the AlarmTopicArn output', () => {
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });
});

describe('alarm topic with alarmEmail', () => {
  const { stack, template } = synthStack({ alarmEmail: 'ops@example.com' });

  it('subscribes the address to the created topic by e-mail', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: logicalId(stack.monitoring.topic as never) } },
    ]);
  });
});

describe('alarm topic with alarmTopicArn', () => {
  const arn = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';
  const { stack, template } = synthStack({ alarmTopicArn: arn });

  it('creates no topic, key or subscription', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('notifies the given topic from every alarm', () => {
    const alarms = alarmsOf(template);
    expect(alarms).toHaveLength(ALARM_SUFFIXES.length);
    for (const alarm of alarms) expect(alarm.AlarmActions, String(alarm.AlarmName)).toEqual([arn]);
    expect(alarmNamed(template, stack, 'Jobs-DeadLettered').AlarmActions).toEqual([arn]);
  });
});

describe('alarms (default thresholds)', () => {
  const { stack, template } = synthDefaultStack();
  const service = stack.stackName;
  const ref = (construct: unknown) => `\${${logicalId(construct as never)}}`;

  const custom = (suffix: string, metricName: string) => {
    const alarm = alarmNamed(template, stack, suffix);
    expect(alarmMetrics(alarm)).toEqual([
      { namespace: METRICS_NAMESPACE, name: metricName, dimensions: { [SERVICE_DIMENSION]: service }, stat: 'Sum', period: 300 },
    ]);
    return alarm;
  };

  it('fires on any dead-lettered job (JobsDeadLettered above 0 in one 5-minute period)', () => {
    expect(custom('Jobs-DeadLettered', METRICS.jobsDeadLettered.name)).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('fires when messages wait in the dead-letter queue for 3 periods running (its consumer is not draining it)', () => {
    const alarm = alarmNamed(template, stack, 'DeadLetterQueue-Queue-Message-Count-Max');
    expect(alarmMetrics(alarm)).toEqual([
      { namespace: 'AWS/SQS', name: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: `\${${logicalId(stack.queues.deadLetterQueue)}.QueueName}` }, stat: 'Maximum', period: 300 },
    ]);
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it.each(JOB_PRIORITIES)('fires when the oldest message of the %s band queue is older than 1800 s', (band) => {
    const alarm = alarmNamed(template, stack, `JobsQueue-${band}-Queue-Message-Age-Max`);
    expect(alarmMetrics(alarm)).toEqual([
      { namespace: 'AWS/SQS', name: 'ApproximateAgeOfOldestMessage', dimensions: { QueueName: `\${${logicalId(stack.queues.bandQueues[band])}.QueueName}` }, stat: 'Maximum', period: 300 },
    ]);
    expect(alarm).toMatchObject({ Threshold: 1800, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, DatapointsToAlarm: 1 });
  });

  it.each([
    ['Worker-Fault-Count', 'worker', 'Errors'],
    ['Worker-Throttled-Count', 'worker', 'Throttles'],
    ['DlqConsumer-Fault-Count', 'dlqConsumer', 'Errors'],
    ['Reconciler-Fault-Count', 'reconciler', 'Errors'],
  ] as const)('%s: fires on any %s invocation %s in a 5-minute period', (suffix, fn, metricName) => {
    const alarm = alarmNamed(template, stack, suffix);
    expect(alarmMetrics(alarm)).toEqual([
      { namespace: 'AWS/Lambda', name: metricName, dimensions: { FunctionName: ref(stack.background[fn].function) }, stat: 'Sum', period: 300 },
    ]);
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
  });

  it("fires when over 1 % of the API's requests are answered 5xx in 3 periods running", () => {
    const alarm = alarmNamed(template, stack, 'Api-Fault-Rate');
    expect(alarmMetrics(alarm)).toEqual([
      { namespace: 'AWS/ApiGateway', name: '5XXError', dimensions: { ApiName: service, Stage: 'prod' }, stat: 'Average', period: 300 },
    ]);
    expect(alarm).toMatchObject({ Threshold: 0.01, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it("fires when the API's p99 latency is over 3000 ms in 3 periods running", () => {
    const alarm = alarmNamed(template, stack, 'Api-Latency-P99');
    expect(alarmMetrics(alarm)).toEqual([{ namespace: 'AWS/ApiGateway', name: 'Latency', dimensions: { ApiName: service, Stage: 'prod' }, stat: 'p99', period: 300 }]);
    expect(alarm).toMatchObject({ Threshold: 3000, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
  });

  it('reads the API metrics of the stack\'s own API (named after the stack)', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: service });
  });

  it.each([
    ['JobsTable', () => stack.jobsTable.table, JOBS_TABLE_INDEX_NAMES],
    ['WorkspacesTable', () => stack.workspacesTable.table, [WORKSPACES_TABLE.principalIndex.name]],
  ] as const)('fires on any throttled read or write of the %s or any of its indexes', (name, table, indexes) => {
    for (const kind of ['Read', 'Write']) {
      const alarm = alarmNamed(template, stack, `DynamoDB-${name}-${kind}Throttles`);
      const tableName = ref(table());
      expect(alarmMetrics(alarm).map((metric) => ({ ...metric }))).toEqual(
        [{}, ...indexes.map((index) => ({ GlobalSecondaryIndexName: index }))].map((extra) => ({
          namespace: 'AWS/DynamoDB',
          name: `${kind}ThrottleEvents`,
          dimensions: { TableName: tableName, ...extra },
          stat: 'Sum',
          period: 300,
        })),
      );
      // The expression adds them all up, missing data as 0.
      const expression = (alarm.Metrics as AlarmQuery[]).find((query) => query.Expression)!;
      const ids = (alarm.Metrics as AlarmQuery[]).filter((query) => query.MetricStat).map((query) => query.Id);
      expect(expression.Expression).toBe(ids.map((id) => `FILL(${id},0)`).join('+'));
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    }
  });

  it('fires on any reconciler repair (a message or an attempt was lost)', () => {
    expect(custom('Jobs-ReconcilerRepairs', METRICS.reconcilerRepairs.name)).toMatchObject({ Threshold: 0, EvaluationPeriods: 1 });
  });

  it('fires on sustained Bedrock throttling: ModelThrottles in 3 periods running', () => {
    const alarm = custom('Jobs-ModelThrottles', METRICS.modelThrottles.name);
    expect([alarm.Threshold, alarm.ComparisonOperator, alarm.EvaluationPeriods, alarm.DatapointsToAlarm]).toEqual([0, 'GreaterThanThreshold', 3, 3]);
  });
});

describe('alarms (thresholds from context)', () => {
  const { stack, template } = synthStack({
    alarmQueueAgeSeconds: '600',
    alarmWorkerErrors: 3,
    alarmWorkerThrottles: 4,
    alarmApi5xxPercent: '2.5',
    alarmApiLatencyP99Ms: 1500,
    alarmDynamoThrottles: 5,
    alarmReconcilerRepairs: 2,
    alarmModelThrottles: 10,
    alarmModelThrottlePeriods: '6',
  });
  const threshold = (suffix: string) => alarmNamed(template, stack, suffix);

  it('applies every threshold to its alarms', () => {
    for (const band of JOB_PRIORITIES) expect(threshold(`JobsQueue-${band}-Queue-Message-Age-Max`).Threshold).toBe(600);
    for (const suffix of ['Worker-Fault-Count', 'DlqConsumer-Fault-Count', 'Reconciler-Fault-Count']) expect(threshold(suffix).Threshold).toBe(3);
    expect(threshold('Worker-Throttled-Count').Threshold).toBe(4);
    expect(threshold('Api-Fault-Rate').Threshold).toBe(0.025);
    expect(threshold('Api-Latency-P99').Threshold).toBe(1500);
    for (const table of ['JobsTable', 'WorkspacesTable']) {
      for (const kind of ['Read', 'Write']) expect(threshold(`DynamoDB-${table}-${kind}Throttles`).Threshold).toBe(5);
    }
    expect(threshold('Jobs-ReconcilerRepairs').Threshold).toBe(2);
    expect(threshold('Jobs-ModelThrottles')).toMatchObject({ Threshold: 10, EvaluationPeriods: 6, DatapointsToAlarm: 6 });
  });

  it('keeps "any dead-lettered job" at any', () => {
    expect(threshold('Jobs-DeadLettered').Threshold).toBe(0);
    expect(threshold('DeadLetterQueue-Queue-Message-Count-Max').Threshold).toBe(0);
  });
});

describe('dashboard', () => {
  const { stack, template } = synthDefaultStack();
  const lines = dashboardLines(template);
  const titles = dashboardBody(template).widgets.map((widget) => widget.properties.title ?? widget.properties.markdown ?? '');

  it('is named after the stack and published as the DashboardName output', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: stack.stackName });
    template.hasOutput('DashboardName', { Value: { Ref: logicalId(stack.monitoring.dashboard) } });
  });

  it('has the overview rows: requests and errors by route, jobs by outcome and type, backlog and age, durations, model, DLQ arrivals', () => {
    for (const title of [
      'Requests by route',
      '4XX answers by route',
      '5XX answers by route',
      'Jobs by outcome',
      'Messages waiting, by priority',
      'Oldest message age (s), by priority',
      'Attempt duration p50 / p99',
      'Model latency (ms) p50 / p99, by model',
      'Model tokens, by model',
      'Dead-letter queue arrivals',
    ]) {
      expect(titles).toContain(title);
    }
  });

  it.each(['Count', '4XXError', '5XXError'])('draws API Gateway %s for every route of the route table', (metricName) => {
    const drawn = lines.filter((line) => line.namespace === 'AWS/ApiGateway' && line.name === metricName && line.dimensions.Resource);
    const routes = ROUTES.map((route) => ({ ApiName: stack.stackName, Stage: 'prod', Method: route.method, Resource: route.path }));
    expect(drawn.map((line) => line.dimensions)).toEqual(expect.arrayContaining(routes));
    expect(drawn).toHaveLength(ROUTES.length);
  });

  it.each(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'])('draws %s of every priority band queue', (metricName) => {
    for (const band of JOB_PRIORITIES) {
      const queueName = `\${${logicalId(stack.queues.bandQueues[band])}.QueueName}`;
      expect(lines.some((line) => line.namespace === 'AWS/SQS' && line.name === metricName && line.dimensions.QueueName === queueName), band).toBe(true);
    }
  });

  it('draws p50 and p99 of the attempt and queue durations and the model latency', () => {
    const body = render(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const name of [METRICS.attemptDuration.name, METRICS.queueDelay.name, METRICS.modelLatency.name]) {
      for (const stat of ['p50', 'p99']) expect(body).toContain(`"${METRICS_NAMESPACE}","${name}","${SERVICE_DIMENSION}","${stack.stackName}",{"label":"${name} ${stat}","stat":"${stat}"}`);
    }
  });

  it('draws the messages the DLQ consumer receives (SQS does not count redriven messages as sent)', () => {
    const dlq = `\${${logicalId(stack.queues.deadLetterQueue)}.QueueName}`;
    expect(lines.some((line) => line.name === 'NumberOfMessagesReceived' && line.dimensions.QueueName === dlq)).toBe(true);
  });
});

describe('metric names the alarms and the dashboard read', () => {
  const { stack, template } = synthDefaultStack();
  const lines = dashboardLines(template);
  const searches = lines.flatMap((line) => (line.expression?.startsWith('SEARCH(') ? [line.expression] : []));
  const plainCustom = lines.filter((line) => line.namespace === METRICS_NAMESPACE);
  const alarmCustom = alarmsOf(template).flatMap(alarmMetrics).filter((metric) => metric.namespace === METRICS_NAMESPACE);

  it('every custom metric an alarm reads is in the catalogue, with the service dimension alone', () => {
    expect(alarmCustom.length).toBe(3);
    for (const metric of alarmCustom) {
      expect(CATALOGUE_NAMES.has(metric.name), metric.name).toBe(true);
      expect(metric.dimensions).toEqual({ [SERVICE_DIMENSION]: stack.stackName });
    }
  });

  it('every custom metric the dashboard draws is in the catalogue, with the service dimension alone', () => {
    expect(plainCustom.length).toBeGreaterThan(0);
    for (const line of plainCustom) {
      expect(CATALOGUE_NAMES.has(line.name!), line.name).toBe(true);
      expect(line.dimensions).toEqual({ [SERVICE_DIMENSION]: stack.stackName });
    }
  });

  it("every breakdown the dashboard searches is a catalogue metric with the catalogue's breakdown dimensions", () => {
    expect(searches.length).toBeGreaterThan(0);
    const byName = new Map<string, MetricDefinition>(Object.values(METRICS).map((metric) => [metric.name, metric]));
    for (const expression of searches) {
      const match = SEARCH.exec(expression);
      expect(match, expression).not.toBeNull();
      const [, schema, name, dimension, value] = match!;
      const definition = byName.get(name!);
      expect(definition, name).toBeDefined();
      expect(schema).toBe([METRICS_NAMESPACE, SERVICE_DIMENSION, ...definition!.by].join(','));
      expect([dimension, value]).toEqual([SERVICE_DIMENSION, stack.stackName]);
    }
  });

  it('every catalogue metric appears on the dashboard, as a total and broken down', () => {
    const totals = new Set(plainCustom.map((line) => line.name));
    const breakdowns = new Set(searches.map((expression) => SEARCH.exec(expression)?.[2]));
    for (const name of CATALOGUE_NAMES) {
      expect(totals.has(name), `${name} total`).toBe(true);
      expect(breakdowns.has(name), `${name} breakdown`).toBe(true);
    }
  });
});
