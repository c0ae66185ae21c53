/**
 * JobMetrics on Powertools for AWS Lambda's Metrics: CloudWatch embedded metric format (EMF) lines
 * on stdout, which CloudWatch turns into metrics in METRICS_NAMESPACE. Every metric is written with
 * the dimension set [service] (the alarms read it) and, where the catalogue's `by` names more,
 * [service, ...by] as well (the dashboard's breakdown): one EMF line per distinct set of dimension
 * values, with two dimension sets each. Events are buffered and written by `flush`, once at the end
 * of each invocation; counts of the same line are summed, durations kept as value lists.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { JobMetrics } from '../domain/ports.ts';
import { METRICS, METRICS_NAMESPACE, type FailureClass, type MetricKey, type Repair } from '../shared/metric-catalog.ts';

type Dimensions = Readonly<Record<string, string>>;

/**
 * EMF keeps at most 100 values of one metric in one line; Powertools writes the line by itself
 * when a metric reaches 100, so a line here stops one short and is written by `flush` alone.
 */
const MAX_VALUES_PER_LINE = 99;

interface Line {
  readonly dimensions: Dimensions;
  readonly values: Map<MetricKey, number[]>;
}

export interface PowertoolsJobMetricsOptions {
  /** @default env POWERTOOLS_SERVICE_NAME (the stack's name) */
  readonly serviceName?: string;
}

export class PowertoolsJobMetrics implements JobMetrics {
  private readonly metrics: Metrics;
  private lines = new Map<string, Line>();

  constructor(options: PowertoolsJobMetricsOptions = {}) {
    this.metrics = new Metrics({ namespace: METRICS_NAMESPACE, ...(options.serviceName ? { serviceName: options.serviceName } : {}) });
  }

  created(type: string): void {
    this.add('jobsCreated', 1, { JobType: type });
  }
  reused(type: string): void {
    this.add('jobsReused', 1, { JobType: type });
  }
  completed(type: string): void {
    this.add('jobsCompleted', 1, { JobType: type });
  }
  failed(type: string, failureClass: FailureClass): void {
    this.add('jobsFailed', 1, { JobType: type, FailureClass: failureClass });
  }
  retried(type: string): void {
    this.add('jobsRetried', 1, { JobType: type });
  }
  cancelled(type: string): void {
    this.add('jobsCancelled', 1, { JobType: type });
  }
  requeued(type: string): void {
    this.add('attemptsRequeued', 1, { JobType: type });
  }
  attemptDuration(type: string, ms: number): void {
    this.add('attemptDuration', ms, { JobType: type });
  }
  queueDelay(type: string, ms: number): void {
    this.add('queueDelay', ms, { JobType: type });
  }
  modelCall(modelId: string, latencyMs: number, tokens: { readonly input: number; readonly output: number }): void {
    this.add('modelLatency', latencyMs, { ModelId: modelId });
    this.add('modelInputTokens', tokens.input, { ModelId: modelId });
    this.add('modelOutputTokens', tokens.output, { ModelId: modelId });
  }
  modelThrottled(modelId: string): void {
    this.add('modelThrottles', 1, { ModelId: modelId });
  }
  deadLettered(type: string): void {
    this.add('jobsDeadLettered', 1, { JobType: type });
  }
  reconcilerRepair(repair: Repair): void {
    this.add('reconcilerRepairs', 1, { Repair: repair });
  }

  /** Writes what was recorded since the last flush (one EMF line per set of dimension values) and forgets it. */
  flush(): void {
    const lines = [...this.lines.values()];
    this.lines = new Map();
    for (const line of lines) {
      const longest = Math.max(...[...line.values.values()].map((values) => values.length));
      for (let from = 0; from < longest; from += MAX_VALUES_PER_LINE) {
        // [service] alone, then [service, ...by] (none when the metric has no breakdown).
        this.metrics.addDimensions({});
        if (Object.keys(line.dimensions).length > 0) this.metrics.addDimensions(line.dimensions);
        for (const [key, values] of line.values) {
          const { name, unit } = METRICS[key];
          for (const value of values.slice(from, from + MAX_VALUES_PER_LINE)) this.metrics.addMetric(name, unit, value);
        }
        this.metrics.publishStoredMetrics();
      }
    }
  }

  private add(key: MetricKey, value: number, dimensions: Dimensions): void {
    const metric = METRICS[key];
    // Exactly the catalogue's breakdown, in its order: the line's identity.
    const ordered: Record<string, string> = {};
    for (const dimension of metric.by) ordered[dimension] = dimensions[dimension] || 'unknown';
    const id = JSON.stringify(ordered);
    let line = this.lines.get(id);
    if (!line) this.lines.set(id, (line = { dimensions: ordered, values: new Map() }));
    const values = line.values.get(key);
    if (!values) line.values.set(key, [value]);
    else if (metric.unit === 'Count') values[0]! += value;
    else values.push(value);
  }
}
