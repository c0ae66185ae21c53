/**
 * End to end, through `npm run dev` at LOG_LEVEL=info: the functions' metrics appear in its log as
 * CloudWatch embedded-metric-format lines (so the metric code runs locally as in AWS), with the
 * catalogue's dimension sets, and the create's request id finds every log line of a job across the
 * API and the worker.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lambdas/shared/metric-catalog.ts';
import { LOCAL_SERVICE_NAME } from '../../lib/local/runtime.ts';
import { nonce, pollUntil, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

const ALICE = `alice-${nonce()}`;
const dev = useDevServer({ users: [ALICE], label: 'jobs-e2e-obs-', env: { LOG_LEVEL: 'info', RETRY_BASE_DELAY_SECONDS: '0' } });
let alice: Client;
beforeAll(() => {
  alice = dev.client(ALICE);
});

/** Every JSON line the dev server printed (stdout and stderr). */
function jsonLines(): Record<string, unknown>[] {
  return `${dev.server.stdout()}\n${dev.server.stderr()}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

const emfLines = () => jsonLines().filter((line): line is EmfLine => typeof line._aws === 'object');

/** The EMF lines of one job type that carry `metric`. */
function emfWith(metric: string, dimension: Record<string, string>): EmfLine[] {
  return emfLines().filter((line) => metric in line && Object.entries(dimension).every(([key, value]) => line[key] === value));
}

describe('npm run dev at LOG_LEVEL=info', () => {
  let jobId: string;
  let requestId: string;

  beforeAll(async () => {
    // One throttled model call first: the attempt is requeued, then completes.
    const created = await alice.create({ prompt: `Observe me ${nonce()} [[fail:ThrottlingException:1]]` });
    expect(created.status).toBe(202);
    jobId = created.json.id;
    requestId = created.headers.get('x-request-id')!;
    expect((await alice.waitForFinish(jobId)).status).toBe('COMPLETED');
    // The worker writes its metrics when its invocation ends, just after the record.
    await pollUntil(async () => emfWith('JobsCompleted', { JobType: 'AI_PREVIEW' }).length, (count) => count > 0, { what: 'the JobsCompleted EMF line' });
  });

  it('prints JobsCreated, JobsCompleted, AttemptDuration and QueueDelay as EMF with [service] and [service, JobType]', () => {
    for (const metric of ['JobsCreated', 'JobsCompleted', 'AttemptDuration', 'QueueDelay', 'AttemptsRequeued']) {
      const [line] = emfWith(metric, { JobType: 'AI_PREVIEW' });
      expect(line, metric).toBeDefined();
      expect(line!.service).toBe(LOCAL_SERVICE_NAME);
      const [directive] = line!._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
      expect(directive!.Dimensions).toEqual([['service'], ['service', 'JobType']]);
      expect(directive!.Metrics).toContainEqual({ Name: metric, Unit: metric.endsWith('Duration') || metric === 'QueueDelay' ? 'Milliseconds' : 'Count' });
    }
  });

  it('prints the model metrics by model: latency and tokens of the call that answered, the throttled one', () => {
    const [call] = emfWith('ModelLatency', { ModelId: 'amazon.nova-lite-v1:0' });
    expect(call).toMatchObject({ ModelInputTokens: expect.any(Number), ModelOutputTokens: expect.any(Number) });
    expect(call!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service'], ['service', 'ModelId']]);
    expect(emfWith('ModelThrottles', { ModelId: 'amazon.nova-lite-v1:0' }).length).toBeGreaterThan(0);
  });

  it("finds the job's log lines in the API and in every attempt of the worker by its create's request id", () => {
    const lines = jsonLines().filter((line) => line.requestId === requestId && !('_aws' in line));
    const messages = lines.map((line) => line.message);
    // The API's create and its access line, then the worker's two attempts.
    expect(messages).toEqual(expect.arrayContaining(['job created', 'request', 'attempt started', 'attempt will be retried', 'attempt completed']));
    for (const line of lines.filter((line) => line.message !== 'request')) expect(line.jobId).toBe(jobId);
    expect(lines.filter((line) => line.message === 'attempt started').map((line) => line.attempt)).toEqual([1, 2]);
  });
});
