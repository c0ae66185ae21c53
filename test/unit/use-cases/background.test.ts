import { beforeEach, describe, expect, it } from 'vitest';
import { NonRetryableError, RecordTooLargeError, RetryableError, ServiceUnavailableError } from '../../../lambdas/domain/errors.ts';
import { INLINE_LIMITS, MAX_RESULT_BYTES } from '../../../lambdas/domain/payloads.ts';
import { createJob, type Job } from '../../../lambdas/domain/job.ts';
import { JobTypeCatalog, defineJobType, type JobType, type Processor } from '../../../lambdas/domain/job-types.ts';
import { z } from 'zod';
import { ManualClock, MemoryPayloadStore, RecordingQueue, silentLogger, testAttemptSettings, testLifecycle } from '../../support/fakes.ts';
import { MemoryJobStore } from '../../support/memory-job-store.ts';
import { FailDeadLetter } from '../../../lambdas/use-cases/fail-dead-letter.ts';
import { ReconcileJobs } from '../../../lambdas/use-cases/reconcile-jobs.ts';
import { RunAttempt } from '../../../lambdas/use-cases/run-attempt.ts';

let store: MemoryJobStore;
let queue: RecordingQueue;
let payloads: MemoryPayloadStore;
let clock: ManualClock;
let processor: Processor<{ n: number }>;
let attempts: RunAttempt;
let deadLetters: FailDeadLetter;
let reconciler: ReconcileJobs;
let runIds: number;

const definition = defineJobType({ name: 'TEST', description: 'test', input: z.object({ n: z.number() }), timeoutSeconds: 5 });

beforeEach(() => {
  queue = new RecordingQueue();
  payloads = new MemoryPayloadStore();
  clock = new ManualClock();
  store = new MemoryJobStore(testLifecycle, clock.read);
  runIds = 0;
  processor = async (input) => ({ doubled: input.n * 2 });
  const type: JobType<{ n: number }> = { ...definition, process: (input, context) => processor(input, context) };
  attempts = new RunAttempt({
    store,
    payloads,
    types: new JobTypeCatalog([type]),
    logger: silentLogger,
    clock: clock.read,
    newRunId: () => `run-${++runIds}`,
    random: () => 1,
    settings: testAttemptSettings,
  });
  deadLetters = new FailDeadLetter({ store, logger: silentLogger, clock: clock.read });
  reconciler = new ReconcileJobs({ store, queue, lifecycle: testLifecycle, logger: silentLogger, clock: clock.read });
});

async function seed(overrides: Partial<Job> = {}): Promise<Job> {
  const job = { ...createJob({ id: `job-${store.jobs.size + 1}`, ownerId: 'user-a', type: 'TEST', input: { n: 21 }, priority: 'normal', maxAttempts: 3 }, clock.read(), testLifecycle), ...overrides };
  await store.create(job);
  return job;
}

const deadline = () => clock.read().getTime() + 60_000;

describe('RunAttempt.run', () => {
  it('claims, processes and completes a pending job', async () => {
    const job = await seed();
    const outcome = await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(outcome.kind).toBe('done');
    expect(store.jobs.get(job.id)).toMatchObject({
      status: 'COMPLETED',
      result: { doubled: 42 },
      attempts: 1,
      startedAt: clock.read().toISOString(),
      completedAt: clock.read().toISOString(),
      dueAt: null,
    });
  });

  it('puts a retryable failure back to PENDING with the error and a growing delay', async () => {
    processor = async () => {
      throw new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded');
    };
    const job = await seed();
    expect(await attempts.run({ id: job.id, generation: 0 }, deadline())).toEqual({ kind: 'retry-later', delaySeconds: 10 });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 1, error: 'Bedrock API error: ThrottlingException - Rate exceeded' });
    expect(await attempts.run({ id: job.id, generation: 0 }, deadline())).toEqual({ kind: 'retry-later', delaySeconds: 20 });
  });

  it('fails the job on the last attempt with the last error', async () => {
    processor = async () => {
      throw new RetryableError('Bedrock API error: ServiceUnavailableException - try later');
    };
    const job = await seed();
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind);
    expect(outcomes).toEqual(['retry-later', 'retry-later', 'done']);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 3, error: 'Bedrock API error: ServiceUnavailableException - try later' });
  });

  it('retries an unexpected error but shows clients only its name, not its message', async () => {
    processor = async () => {
      throw new TypeError('cannot read arn:aws:iam::123456789012:role/secret-role');
    };
    const job = await seed();
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('retry-later');
    expect(store.jobs.get(job.id)?.error).toBe('Unexpected error in the job processor (TypeError); see the worker logs');
  });

  it('does not start an attempt for a message of an earlier run', async () => {
    const job = await seed({ generation: 1 });
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('done');
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 0 });
    await attempts.run({ id: job.id, generation: 1 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it('fails without retrying a result over the 5 MB a GET can return', async () => {
    const job = await seed();
    processor = async () => ({ text: 'y'.repeat(MAX_RESULT_BYTES) });
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 1, error: expect.stringContaining('too large to store') });
    expect(payloads.puts).toBe(0);
  });

  it('keeps a small result in the record and stores a large one as an object, referenced from the record', async () => {
    const small = await seed();
    await attempts.run({ id: small.id, generation: 0 }, deadline());
    expect(store.jobs.get(small.id)).toMatchObject({ status: 'COMPLETED', result: { doubled: 42 }, resultRef: null });
    expect(payloads.puts).toBe(0);

    const large = await seed();
    const result = { text: 'z'.repeat(INLINE_LIMITS.resultBytes) };
    processor = async () => result;
    await attempts.run({ id: large.id, generation: 0 }, deadline());
    const record = store.jobs.get(large.id)!;
    const key = `results/${large.id}/0.json`;
    expect(record).toMatchObject({ status: 'COMPLETED', result: null, resultRef: { key, bytes: JSON.stringify(result).length } });
    expect(JSON.parse(new TextDecoder().decode(payloads.objects.get(key)!.body))).toEqual(result);
  });

  it('reads an input stored as an object', async () => {
    const input = { n: 4, note: 'x'.repeat(2 * INLINE_LIMITS.inputBytes) };
    const ref = await payloads.put(`inputs/job-1/input.json`, new TextEncoder().encode(JSON.stringify(input)), 'application/json');
    let seen: unknown;
    processor = async (value) => {
      seen = value;
      return { ok: true };
    };
    const job = await seed({ input: null, inputRef: ref });
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(seen).toEqual({ n: 4 }); // parsed by the type's schema (unknown keys stripped)
    expect(store.jobs.get(job.id)?.status).toBe('COMPLETED');
  });

  it('fails without retrying a job whose stored input is gone', async () => {
    const job = await seed({ input: null, inputRef: { key: 'inputs/gone/input.json', bytes: 10, sha256: '00' } });
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 1, error: expect.stringContaining('no longer stored') });
  });

  it("gives the processor the job's uploaded document, and fails without retrying once it is gone", async () => {
    const bytes = new TextEncoder().encode('%PDF-1.4 body');
    let seen: Uint8Array | undefined;
    processor = async (_input, context) => {
      seen = await context.loadDocument();
      return { ok: true };
    };
    const withDocument = await seed();
    await payloads.put(`inputs/${withDocument.id}/document`, bytes, 'application/pdf');
    await attempts.run({ id: withDocument.id, generation: 0 }, deadline());
    expect(seen).toEqual(bytes);
    expect(store.jobs.get(withDocument.id)?.status).toBe('COMPLETED');

    const without = await seed();
    await attempts.run({ id: without.id, generation: 0 }, deadline());
    expect(store.jobs.get(without.id)).toMatchObject({ status: 'FAILED', attempts: 1, error: expect.stringContaining('no longer stored') });
  });

  it('does not count a failed store of a good result as a failed attempt', async () => {
    const job = await seed();
    processor = async () => ({ text: 'z'.repeat(2 * INLINE_LIMITS.resultBytes) });
    payloads.put = async () => {
      throw new ServiceUnavailableError('S3 is down');
    };
    await expect(attempts.run({ id: job.id, generation: 0 }, deadline())).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PROCESSING', attempts: 1, error: null });
  });

  it('fails the job when the store refuses the result as too large', async () => {
    const job = await seed();
    store.complete = async () => {
      throw new RecordTooLargeError('item size');
    };
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 1, error: 'The result is too large to store with the job' });
  });

  it('does not count a failed write of a good result as a failed attempt', async () => {
    const job = await seed();
    store.complete = async () => {
      throw new ServiceUnavailableError('throttled');
    };
    await expect(attempts.run({ id: job.id, generation: 0 }, deadline())).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PROCESSING', attempts: 1, error: null });
  });

  it('fails at once on a NonRetryableError', async () => {
    processor = async () => {
      throw new NonRetryableError('Bedrock API error: ValidationException - bad model');
    };
    const job = await seed();
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('done');
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('does not run a finished job again on a duplicate delivery', async () => {
    const job = await seed();
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    let calls = 0;
    processor = async () => {
      calls++;
      return {};
    };
    const before = store.jobs.get(job.id);
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('done');
    expect(calls).toBe(0);
    expect(store.jobs.get(job.id)).toEqual(before);
  });

  it('does not run a job another worker holds a live lease on', async () => {
    const job = await seed({ status: 'PROCESSING', attempts: 1, runId: 'other', leaseExpiresAt: '2026-03-04T12:10:00.000Z' });
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('done');
    expect(store.jobs.get(job.id)).toMatchObject({ runId: 'other', attempts: 1 });
  });

  it('takes over a PROCESSING job whose lease expired, as a new attempt', async () => {
    const job = await seed({ status: 'PROCESSING', attempts: 1, runId: 'dead', leaseExpiresAt: '2026-03-04T11:00:00.000Z' });
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 2, runId: 'run-1' });
  });

  it('leaves a job cancelled during the attempt CANCELLED', async () => {
    const job = await seed();
    processor = async () => {
      store.arrange(job.id, { status: 'CANCELLED' });
      return { late: true };
    };
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('done');
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'CANCELLED', result: null });
  });

  it('aborts the processor when a progress write finds the job cancelled', async () => {
    const job = await seed();
    let aborted = false;
    processor = async (_input, context) => {
      await context.reportProgress({ percent: 10, message: 'step 1' });
      expect(store.jobs.get(job.id)?.progress).toEqual({ percent: 10, message: 'step 1' });
      store.arrange(job.id, { status: 'CANCELLED' });
      await context.reportProgress({ percent: 20, message: 'step 2' });
      aborted = context.signal.aborted;
      return {};
    };
    expect((await attempts.run({ id: job.id, generation: 0 }, deadline())).kind).toBe('done');
    expect(aborted).toBe(true);
    expect(store.jobs.get(job.id)?.status).toBe('CANCELLED');
  });

  it('does not let a late attempt overwrite a retried job', async () => {
    const job = await seed();
    processor = async () => {
      // Meanwhile the job is cancelled and retried by the user: the fence (runId) is gone.
      store.arrange(job.id, { status: 'PENDING', attempts: 0, runId: null });
      return { stale: true };
    };
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', result: null });
  });

  it('times out an attempt that overruns its budget, as a retryable failure', async () => {
    const job = await seed();
    processor = () => new Promise(() => {});
    const outcome = await attempts.run({ id: job.id, generation: 0 }, clock.read().getTime() + 1_050);
    expect(outcome.kind).toBe('retry-later');
    expect(store.jobs.get(job.id)?.error).toMatch(/timed out/);
  });

  it('fails a job of an unregistered type without retrying', async () => {
    const job = await seed({ type: 'GONE' });
    await attempts.run({ id: job.id, generation: 0 }, deadline());
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', error: expect.stringContaining('Unknown job type GONE') });
  });
});

describe('FailDeadLetter.fail', () => {
  it('fails an unfinished job whose message was dead-lettered', async () => {
    const job = await seed({ status: 'PROCESSING', attempts: 2, runId: 'r' });
    await deadLetters.fail(job);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', error: expect.stringContaining('crashed or timed out') });
  });

  it('ignores a message of an earlier run of a job retried since', async () => {
    const job = await seed({ status: 'PENDING', generation: 1 });
    expect((await deadLetters.fail({ id: job.id, generation: 0 })).kind).toBe('done');
    expect(store.jobs.get(job.id)?.status).toBe('PENDING');
  });

  it('leaves a finished job alone', async () => {
    const job = await seed({ status: 'COMPLETED', result: { ok: true }, dueAt: null });
    await deadLetters.fail(job);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'COMPLETED', result: { ok: true } });
  });
});

describe('ReconcileJobs.reconcile', () => {
  it('re-sends a PENDING job whose message was lost, once it is due', async () => {
    const job = await seed();
    expect((await reconciler.reconcile()).resent).toBe(0);
    clock.advance(testLifecycle.stalePendingMs);
    expect(await reconciler.reconcile()).toMatchObject({ resent: 1 });
    expect(queue.sent.map((m) => m.jobId)).toEqual([job.id]);
    expect((await reconciler.reconcile()).resent).toBe(0);
  });

  it('requeues a PROCESSING job whose lease is long gone, counting the lost attempt', async () => {
    const job = await seed();
    await store.claim(job.id, { generation: 0, runId: 'dead', now: clock.read().toISOString(), leaseExpiresAt: '2026-03-04T12:01:00.000Z' });
    clock.advance(testLifecycle.stalePendingMs + 1_000);
    expect(await reconciler.reconcile()).toMatchObject({ requeued: 1 });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 1, error: expect.stringContaining('lost') });
    expect(queue.sent.map((m) => m.jobId)).toEqual([job.id]);
  });

  it('looks again later at a due job whose attempt is still running, and settles it once its lease is long gone', async () => {
    const job = await seed();
    // Claimed just before its dueAt, with a lease that outlives it.
    clock.advance(testLifecycle.stalePendingMs - 1_000);
    const lease = new Date(clock.read().getTime() + 120_000).toISOString();
    await store.claim(job.id, { generation: 0, runId: 'live', now: clock.read().toISOString(), leaseExpiresAt: lease });
    clock.advance(2_000);
    expect(await reconciler.reconcile()).toMatchObject({ requeued: 0, failed: 0, skipped: 1 });
    const lostAfter = new Date(Date.parse(lease) + testLifecycle.leaseGraceMs).toISOString();
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PROCESSING', runId: 'live', dueAt: lostAfter });
    expect(queue.sent).toEqual([]);
    clock.advance(Date.parse(lostAfter) - clock.read().getTime());
    expect(await reconciler.reconcile()).toMatchObject({ requeued: 1 });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 1, runId: 'live' });
  });

  it('walks every due job in one run, page after page, sending each once', async () => {
    const jobs = [];
    for (let n = 0; n < 25; n++) jobs.push(await seed());
    clock.advance(testLifecycle.stalePendingMs);
    expect(await reconciler.reconcile({ pageSize: 4 })).toEqual({ resent: 25, scheduled: 0, requeued: 0, failed: 0, skipped: 0 });
    expect(queue.sent.map((m) => m.jobId).sort()).toEqual(jobs.map((job) => job.id).sort());
    expect(await reconciler.reconcile({ pageSize: 4 })).toEqual({ resent: 0, scheduled: 0, requeued: 0, failed: 0, skipped: 0 });
  });

  it('stops starting pages once its time budget is spent', async () => {
    for (let n = 0; n < 10; n++) await seed();
    clock.advance(testLifecycle.stalePendingMs);
    expect(await reconciler.reconcile({ pageSize: 3, budgetMs: 0 })).toMatchObject({ resent: 3 });
    expect(await reconciler.reconcile({ pageSize: 100 })).toMatchObject({ resent: 7 });
  });

  it('fails a PROCESSING job whose lost attempt was its last', async () => {
    const job = await seed({ status: 'PROCESSING', attempts: 3, runId: 'dead', leaseExpiresAt: '2026-03-04T11:00:00.000Z', dueAt: '2026-03-04T11:01:00.000Z' });
    expect(await reconciler.reconcile()).toMatchObject({ failed: 1 });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 3 });
  });
});

describe('ReconcileJobs.unfinished and recover (a restart)', () => {
  it('settles every unfinished job, due or not: PENDING re-sent, PROCESSING counted as a lost attempt', async () => {
    const pending = await seed();
    const running = await seed();
    await store.claim(running.id, { generation: 0, runId: 'gone', now: clock.read().toISOString(), leaseExpiresAt: '2026-03-04T12:10:00.000Z' });
    const done = await seed({ status: 'COMPLETED', dueAt: null });
    expect(await reconciler.reconcile()).toMatchObject({ resent: 0, scheduled: 0, requeued: 0 });
    const backlog = await reconciler.unfinished();
    expect(backlog.map((job) => job.id).sort()).toEqual([pending.id, running.id].sort());
    expect(await reconciler.recover(backlog)).toEqual({ resent: 1, scheduled: 0, requeued: 1, failed: 0, skipped: 0 });
    expect(queue.sent.map((m) => m.jobId).sort()).toEqual([pending.id, running.id].sort());
    expect(store.jobs.get(running.id)).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(store.jobs.get(done.id)?.status).toBe('COMPLETED');
  });

  it('sends each of 600 unfinished jobs exactly once, reading them in pages', async () => {
    const ids = [];
    for (let n = 0; n < 600; n++) ids.push((await seed()).id);
    const backlog = await reconciler.unfinished(50);
    expect(backlog).toHaveLength(600);
    expect(await reconciler.recover(backlog)).toEqual({ resent: 600, scheduled: 0, requeued: 0, failed: 0, skipped: 0 });
    expect(queue.sent.map((m) => m.jobId).sort()).toEqual(ids.sort());
    // Nothing is left for the scheduled reconciler to send again before the jobs' new dueAt.
    expect(await reconciler.reconcile()).toMatchObject({ resent: 0 });
  });

  it('re-sends each job to its own priority band', async () => {
    const low = await seed({ priority: 'low' });
    const high = await seed({ priority: 'high' });
    await reconciler.recover(await reconciler.unfinished());
    expect(queue.sent.map(({ jobId, priority }) => ({ jobId, priority })).sort((a, b) => a.jobId.localeCompare(b.jobId))).toEqual([
      { jobId: low.id, priority: 'low' },
      { jobId: high.id, priority: 'high' },
    ]);
  });

  it('sends a job waiting out a retry backoff with what is left of it', async () => {
    const job = await seed({ error: 'throttled', attempts: 1, dueAt: new Date(clock.read().getTime() + 40_000 + testLifecycle.stalePendingMs).toISOString() });
    await reconciler.recover(await reconciler.unfinished());
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 0, delaySeconds: 40, priority: 'normal' }]);
    expect(store.jobs.get(job.id)?.dueAt).toBe(new Date(clock.read().getTime() + 40_000 + testLifecycle.stalePendingMs).toISOString());
  });

  it('skips jobs that moved on after the snapshot: claimed by a new worker, cancelled, finished', async () => {
    const claimed = await seed();
    const cancelled = await seed();
    const running = await seed();
    await store.claim(running.id, { generation: 0, runId: 'old', now: clock.read().toISOString(), leaseExpiresAt: '2026-03-04T12:10:00.000Z' });
    const backlog = await reconciler.unfinished();
    await attempts.run({ id: claimed.id, generation: 0 }, deadline());
    store.arrange(cancelled.id, { status: 'CANCELLED', dueAt: null });
    store.arrange(running.id, { status: 'COMPLETED', dueAt: null });
    expect(await reconciler.recover(backlog)).toEqual({ resent: 0, scheduled: 0, requeued: 0, failed: 0, skipped: 3 });
    expect(queue.sent).toEqual([]);
    expect(store.jobs.get(claimed.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(store.jobs.get(running.id)?.status).toBe('COMPLETED');
  });

});
