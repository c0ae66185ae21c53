/**
 * The Powertools metrics adapter's output: EMF lines on stdout as CloudWatch parses them, checked
 * against the metric catalogue (names, units, dimension sets), written once per flush.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsJobMetrics } from '../../../lambdas/adapters/powertools-metrics.ts';
import { METRICS, METRICS_NAMESPACE } from '../../../lambdas/shared/metric-catalog.ts';

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

let written: string[];

beforeEach(() => {
  // test/setup.ts turns EMF output off for every other test; the adapter reads the switch when built.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.unstubAllEnvs());

/** The EMF lines written so far. */
function emf(): EmfLine[] {
  return written.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as EmfLine).filter((line) => '_aws' in line);
}

const byName = Object.fromEntries(Object.values(METRICS).map((metric) => [metric.name, metric]));

describe('PowertoolsJobMetrics', () => {
  it('writes nothing until flushed, then one EMF line per set of dimension values', () => {
    const metrics = new PowertoolsJobMetrics({ serviceName: 'JobsStackTest' });
    metrics.created('AI_PREVIEW');
    metrics.completed('AI_PREVIEW');
    metrics.created('PARSE_DOCUMENT');
    expect(emf()).toEqual([]);

    metrics.flush();

    const lines = emf();
    expect(lines).toHaveLength(2);
    const preview = lines.find((line) => line.JobType === 'AI_PREVIEW')!;
    expect(preview).toMatchObject({ service: 'JobsStackTest', JobType: 'AI_PREVIEW', JobsCreated: 1, JobsCompleted: 1 });
    expect(preview._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [['service'], ['service', 'JobType']],
        Metrics: [
          { Name: 'JobsCreated', Unit: 'Count' },
          { Name: 'JobsCompleted', Unit: 'Count' },
        ],
      },
    ]);
    expect(lines.find((line) => line.JobType === 'PARSE_DOCUMENT')).toMatchObject({ JobsCreated: 1 });
    expect(lines.find((line) => line.JobType === 'PARSE_DOCUMENT')).not.toHaveProperty('JobsCompleted');
  });

  it('sums counts and keeps every duration of one line', () => {
    const metrics = new PowertoolsJobMetrics();
    metrics.requeued('AI_PREVIEW');
    metrics.requeued('AI_PREVIEW');
    metrics.attemptDuration('AI_PREVIEW', 120);
    metrics.attemptDuration('AI_PREVIEW', 80);
    metrics.queueDelay('AI_PREVIEW', 15);
    metrics.flush();
    expect(emf()).toEqual([expect.objectContaining({ AttemptsRequeued: 2, AttemptDuration: [120, 80], QueueDelay: 15 })]);
  });

  it('breaks JobsFailed down by type and failure class, and the model metrics by model', () => {
    const metrics = new PowertoolsJobMetrics();
    metrics.failed('AI_PREVIEW', 'AttemptsExhausted');
    metrics.modelCall('amazon.nova-lite-v1:0', 850, { input: 120, output: 40 });
    metrics.modelCall('amazon.nova-lite-v1:0', 650, { input: 100, output: 60 });
    metrics.modelThrottled('amazon.nova-lite-v1:0');
    metrics.reconcilerRepair('Resent');
    metrics.deadLettered('AI_PREVIEW');
    metrics.flush();
    const lines = emf();
    const dimensionsOf = (metric: string) => lines.find((line) => metric in line)!._aws.CloudWatchMetrics[0]!.Dimensions;
    expect(lines.find((line) => 'JobsFailed' in line)).toMatchObject({ JobType: 'AI_PREVIEW', FailureClass: 'AttemptsExhausted', JobsFailed: 1 });
    expect(dimensionsOf('JobsFailed')).toEqual([['service'], ['service', 'JobType', 'FailureClass']]);
    expect(lines.find((line) => 'ModelLatency' in line)).toMatchObject({
      ModelId: 'amazon.nova-lite-v1:0',
      ModelLatency: [850, 650],
      ModelInputTokens: 220,
      ModelOutputTokens: 100,
      ModelThrottles: 1,
    });
    expect(dimensionsOf('ModelLatency')).toEqual([['service'], ['service', 'ModelId']]);
    expect(dimensionsOf('ReconcilerRepairs')).toEqual([['service'], ['service', 'Repair']]);
    expect(lines.find((line) => 'JobsDeadLettered' in line)).toMatchObject({ JobType: 'AI_PREVIEW', JobsDeadLettered: 1 });
  });

  it('emits only catalogue names, each with its unit and its catalogue breakdown', () => {
    const metrics = new PowertoolsJobMetrics();
    metrics.created('T');
    metrics.reused('T');
    metrics.completed('T');
    metrics.failed('T', 'Lost');
    metrics.retried('T');
    metrics.cancelled('T');
    metrics.requeued('T');
    metrics.attemptDuration('T', 1);
    metrics.queueDelay('T', 1);
    metrics.modelCall('m', 1, { input: 1, output: 1 });
    metrics.modelThrottled('m');
    metrics.deadLettered('T');
    metrics.reconcilerRepair('Failed');
    metrics.flush();
    const seen = new Set<string>();
    for (const line of emf()) {
      const [directive] = line._aws.CloudWatchMetrics;
      for (const { Name, Unit } of directive!.Metrics) {
        seen.add(Name);
        expect(byName[Name], Name).toBeDefined();
        expect(Unit).toBe(byName[Name]!.unit);
        expect(directive!.Dimensions).toEqual([['service'], ['service', ...byName[Name]!.by]]);
      }
    }
    // Every metric of the catalogue has an event that emits it.
    expect([...seen].sort()).toEqual(Object.values(METRICS).map((metric) => metric.name).sort());
  });

  it('forgets what it wrote: a second flush writes only what came since', () => {
    const metrics = new PowertoolsJobMetrics();
    metrics.cancelled('AI_PREVIEW');
    metrics.flush();
    metrics.flush();
    expect(emf()).toHaveLength(1);
    metrics.retried('AI_PREVIEW');
    metrics.flush();
    expect(emf().at(-1)).toMatchObject({ JobsRetried: 1 });
    expect(emf().at(-1)).not.toHaveProperty('JobsCancelled');
  });

  it('splits more than 99 values of one metric over several lines (EMF takes at most 100), each with both dimension sets', () => {
    const metrics = new PowertoolsJobMetrics();
    for (let ms = 0; ms < 150; ms++) metrics.attemptDuration('AI_PREVIEW', ms);
    metrics.flush();
    const lines = emf();
    expect(lines.map((line) => (line.AttemptDuration as number[]).length)).toEqual([99, 51]);
    for (const line of lines) expect(line._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service'], ['service', 'JobType']]);
  });
});
