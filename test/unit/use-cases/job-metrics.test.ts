/**
 * What the use cases tell the JobMetrics port, and that a job's log lines carry its create's
 * request id in every function: the API's create and retry, the worker, the DLQ consumer and the
 * reconciler (fakes throughout; the Powertools adapter is tested on its own).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import { JobTypeCatalog, defineJobType, type JobType, type Processor } from '../../../lambdas/domain/job-types.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { CancelJob } from '../../../lambdas/use-cases/cancel-job.ts';
import { CreateJob } from '../../../lambdas/use-cases/create-job.ts';
import { FailDeadLetter } from '../../../lambdas/use-cases/fail-dead-letter.ts';
import { ReconcileJobs } from '../../../lambdas/use-cases/reconcile-jobs.ts';
import { RetryJob } from '../../../lambdas/use-cases/retry-job.ts';
import { RunAttempt } from '../../../lambdas/use-cases/run-attempt.ts';
import { ManualClock, MemoryPayloadStore, RecordingLogger, RecordingMetrics, RecordingQueue, testAttemptSettings, testLifecycle } from '../../support/fakes.ts';
import { MemoryJobStore } from '../../support/memory-job-store.ts';

const REQUEST_ID = 'c0ffee00-0000-4000-8000-000000000001';
const definition = defineJobType({ name: 'AI_PREVIEW', description: 'test', input: z.object({ prompt: z.string() }), timeoutSeconds: 5 });

let store: MemoryJobStore;
let queue: RecordingQueue;
let clock: ManualClock;
let metrics: RecordingMetrics;
let logger: RecordingLogger;
let processor: Processor<{ prompt: string }>;
let create: CreateJob;
let attempts: RunAttempt;

beforeEach(() => {
  queue = new RecordingQueue();
  clock = new ManualClock();
  store = new MemoryJobStore(testLifecycle, clock.read);
  metrics = new RecordingMetrics();
  logger = new RecordingLogger();
  processor = async () => ({ text: 'ok' });
  const payloads = new MemoryPayloadStore();
  let ids = 0;
  create = new CreateJob({
    store, queue, payloads, types: jobTypeCatalog, settings: testLifecycle, logger, metrics, clock: clock.read,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
  const type: JobType<{ prompt: string }> = { ...definition, process: (input, context) => processor(input, context) };
  attempts = new RunAttempt({ store, payloads, types: new JobTypeCatalog([type]), logger, metrics, clock: clock.read, random: () => 1, settings: testAttemptSettings });
});

const deadline = () => clock.read().getTime() + 60_000;

async function created(request: unknown = { type: 'AI_PREVIEW', input: { prompt: 'Summarise' } }) {
  return (await create.createWith('user-a', request, { requestId: REQUEST_ID })).job;
}

describe('metrics of the API use cases', () => {
  it('counts a created job by its type, and keeps the request id on the record', async () => {
    const job = await created();
    expect(metrics.events).toEqual([['created', 'AI_PREVIEW']]);
    expect(store.jobs.get(job.id)!.requestId).toBe(REQUEST_ID);
  });

  it('counts a create answered with an earlier result as reused, not created', async () => {
    const request = { type: 'PARSE_DOCUMENT', input: { text: 'The harvest starts in late September.' } };
    const first = await created(request);
    store.arrange(first.id, { status: 'COMPLETED', result: { text: 'earlier' }, completedAt: clock.read().toISOString(), dueAt: null });
    metrics.events.length = 0;
    await created({ ...request, reuse: { maxAgeSeconds: 3600 } });
    expect(metrics.events).toEqual([['reused', 'PARSE_DOCUMENT']]);
  });

  it('counts nothing for a refused create', async () => {
    await expect(created({ type: 'AI_PREVIEW', input: {} })).rejects.toThrow();
    expect(metrics.events).toEqual([]);
  });

  it('counts a cancel and a retry; the retried run keeps the create\'s request id', async () => {
    const job = await created();
    await new CancelJob({ store, metrics, clock: clock.read }).cancel('user-a', job.id);
    const retried = await new RetryJob({ store, queue, logger, metrics, clock: clock.read }).retry('user-a', job.id);
    expect(metrics.of('cancelled')).toEqual([['AI_PREVIEW']]);
    expect(metrics.of('retried')).toEqual([['AI_PREVIEW']]);
    expect(retried.requestId).toBe(REQUEST_ID);
    expect(logger.lines.find((line) => line.message === 'job retried')?.fields).toMatchObject({ jobId: job.id, requestId: REQUEST_ID });
  });
});

describe('metrics of an attempt', () => {
  it('records the queue delay from the create, the attempt duration and a completion', async () => {
    const job = await created();
    clock.advance(4_000);
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(metrics.of('queueDelay')).toEqual([['AI_PREVIEW', 4_000]]);
    expect(metrics.of('completed')).toEqual([['AI_PREVIEW']]);
    expect(metrics.of('attemptDuration')).toEqual([['AI_PREVIEW', expect.any(Number)]]);
  });

  it('measures a requeued attempt\'s queue delay from when its next attempt was due', async () => {
    const job = await created();
    processor = async () => {
      throw new RetryableError('throttled');
    };
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(metrics.of('requeued')).toEqual([['AI_PREVIEW']]);
    // The backoff is 10 s (random() = 1): the next attempt is due 10 s later; it is claimed 3 s after that.
    clock.advance(13_000);
    processor = async () => ({ text: 'ok' });
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(metrics.of('queueDelay')).toEqual([['AI_PREVIEW', 0], ['AI_PREVIEW', 3_000]]);
  });

  it('classes failures: NonRetryable, AttemptsExhausted and InvalidInput', async () => {
    const refused = await created();
    processor = async () => {
      throw new NonRetryableError('bad prompt');
    };
    await attempts.run({ id: refused.id, generation: 0 }, deadline());

    const exhausted = await created();
    store.arrange(exhausted.id, { attempts: 2 });
    processor = async () => {
      throw new RetryableError('throttled');
    };
    await attempts.run({ id: exhausted.id, generation: 0 }, deadline());

    const invalid = await created();
    store.arrange(invalid.id, { input: { prompt: 42 } });
    await attempts.run({ id: invalid.id, generation: 0 }, deadline());

    expect(metrics.of('failed')).toEqual([
      ['AI_PREVIEW', 'NonRetryable'],
      ['AI_PREVIEW', 'AttemptsExhausted'],
      ['AI_PREVIEW', 'InvalidInput'],
    ]);
    expect(metrics.of('completed')).toEqual([]);
  });

  it('counts nothing for a message whose job cannot be claimed', async () => {
    const job = await created();
    await new CancelJob({ store, clock: clock.read }).cancel('user-a', job.id);
    metrics.events.length = 0;
    await attempts.run({ id: job.id, generation: 0, requestId: REQUEST_ID }, deadline());
    expect(metrics.events).toEqual([]);
    expect(logger.lines.at(-1)).toMatchObject({ message: 'message acknowledged without running', fields: { jobId: job.id, requestId: REQUEST_ID } });
  });

  it('logs every line of the attempt with the create\'s request id', async () => {
    const job = await created();
    logger.lines.length = 0;
    processor = async (_, context) => {
      context.logger.info('processor says hello');
      return { text: 'ok' };
    };
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(logger.lines.map((line) => line.message)).toEqual(['attempt started', 'processor says hello', 'attempt completed']);
    for (const line of logger.lines) expect(line.fields).toMatchObject({ jobId: job.id, requestId: REQUEST_ID });
  });

  it('takes the request id from the message for a record written before it was kept', async () => {
    const job = await created();
    store.arrange(job.id, { requestId: null, queuedAt: null });
    logger.lines.length = 0;
    metrics.events.length = 0;
    await attempts.run({ id: job.id, generation: 0, requestId: REQUEST_ID }, deadline());
    expect(logger.lines[0]!.fields).toMatchObject({ jobId: job.id, requestId: REQUEST_ID });
    // No queuedAt: no queue delay to tell, the rest as usual.
    expect(metrics.of('queueDelay')).toEqual([]);
    expect(metrics.of('completed')).toEqual([['AI_PREVIEW']]);
  });
});

describe('metrics of the DLQ consumer and the reconciler', () => {
  it('counts a dead-lettered message and the job it failed', async () => {
    const job = await created();
    await new FailDeadLetter({ store, logger, metrics, clock: clock.read }).fail({ id: job.id, generation: 0 });
    expect(metrics.of('deadLettered')).toEqual([['AI_PREVIEW']]);
    expect(metrics.of('failed')).toEqual([['AI_PREVIEW', 'DeadLettered']]);
  });

  it('counts a dead-lettered message of a finished job, without a failure', async () => {
    const job = await created();
    store.arrange(job.id, { status: 'COMPLETED', dueAt: null });
    await new FailDeadLetter({ store, logger, metrics, clock: clock.read }).fail({ id: job.id, generation: 0 });
    expect(metrics.of('deadLettered')).toEqual([['AI_PREVIEW']]);
    expect(metrics.of('failed')).toEqual([]);
  });

  it('counts each repair by kind, a lost last attempt as failed Lost, and logs it with the request id', async () => {
    const reconciler = new ReconcileJobs({ store, queue, lifecycle: testLifecycle, logger, metrics, clock: clock.read });
    const unsent = await created();
    const lost = await created();
    const lastLost = await created();
    const lease = { status: 'PROCESSING' as const, runId: 'run-x', leaseExpiresAt: clock.read().toISOString(), dueAt: clock.read().toISOString() };
    store.arrange(lost.id, { ...lease, attempts: 1 });
    store.arrange(lastLost.id, { ...lease, attempts: 3 });
    clock.advance(testLifecycle.stalePendingMs + testLifecycle.leaseGraceMs + 1_000);
    metrics.events.length = 0;
    logger.lines.length = 0;

    await reconciler.reconcile();

    expect(metrics.of('reconcilerRepair').sort()).toEqual([['Failed'], ['Requeued'], ['Resent']]);
    expect(metrics.of('failed')).toEqual([['AI_PREVIEW', 'Lost']]);
    const repaired = logger.lines.filter((line) => line.message === 'reconciler repaired a job');
    expect(repaired.map((line) => line.fields.jobId).sort()).toEqual([unsent.id, lost.id, lastLost.id].sort());
    for (const line of repaired) expect(line.fields.requestId).toBe(REQUEST_ID);
  });

  it('does not count sending a job scheduled beyond the queue\'s delay as a repair', async () => {
    const reconciler = new ReconcileJobs({ store, queue, lifecycle: testLifecycle, logger, metrics, clock: clock.read });
    const runAt = new Date(clock.read().getTime() + 3_600_000).toISOString();
    await created({ type: 'AI_PREVIEW', input: { prompt: 'later' }, runAt });
    clock.advance(3_600_000 - 600_000);
    metrics.events.length = 0;
    expect((await reconciler.reconcile()).resent).toBe(1);
    expect(metrics.of('reconcilerRepair')).toEqual([]);
  });
});
