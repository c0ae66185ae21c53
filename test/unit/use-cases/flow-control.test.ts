/**
 * Idempotent creates and retries, result reuse and the quota of unfinished jobs, through the
 * create and retry use cases on the in-memory store.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  TooManyJobsError,
  ValidationError,
} from '../../../lambdas/domain/errors.ts';
import { fingerprint, IDEMPOTENCY, idempotencyRecordId } from '../../../lambdas/domain/fingerprints.ts';
import { toView, type Job } from '../../../lambdas/domain/job.ts';
import { jsonBytes, loadResult } from '../../../lambdas/domain/payloads.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { CreateJob } from '../../../lambdas/use-cases/create-job.ts';
import { RetryJob } from '../../../lambdas/use-cases/retry-job.ts';
import { memoryFakes, silentLogger, testLifecycle } from '../../support/fakes.ts';

let { store, queue, payloads, clock } = memoryFakes();
let create: CreateJob;
let retry: RetryJob;
const QUOTA = 3;

beforeEach(() => {
  ({ store, queue, payloads, clock } = memoryFakes());
  const quota = { maxActiveJobsPerCaller: QUOTA };
  create = new CreateJob({ store, queue, payloads, types: jobTypeCatalog, settings: testLifecycle, quota, logger: silentLogger, clock: clock.read });
  retry = new RetryJob({ store, queue, quota, logger: silentLogger, clock: clock.read });
});

const preview = { type: 'AI_PREVIEW', input: { prompt: 'Summarise the risks' } };
const parse = (text = 'The harvest starts in late September.') => ({ type: 'PARSE_DOCUMENT', input: { text } });

/** Sets a job COMPLETED now with `result` (in the record, or stored as an object when `stored`). */
async function complete(job: Job, result: Record<string, string>, stored = false): Promise<void> {
  const at = clock.read().toISOString();
  const finished = { status: 'COMPLETED' as const, completedAt: at, updatedAt: at, dueAt: null, expiresAt: Math.floor(clock.read().getTime() / 1000) + 86_400 };
  if (!stored) return store.arrange(job.id, { ...finished, result });
  const resultRef = await payloads.put(`results/${job.id}/0.json`, jsonBytes(result), 'application/json');
  store.arrange(job.id, { ...finished, result: null, resultRef });
}

describe('idempotent creates', () => {
  it('answers a repeated request with the same key and body with the same job, as it is now, and one message', async () => {
    const first = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    store.arrange(first.job.id, { status: 'PROCESSING' });

    const again = await create.createWith('user-a', { input: { prompt: 'Summarise the risks' }, type: 'AI_PREVIEW' }, { idempotencyKey: 'k-1' });

    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, job: { id: first.job.id, status: 'PROCESSING' } });
    expect(store.jobs.size).toBe(1);
    expect(queue.sent).toHaveLength(1);
  });

  it('refuses the same key with a different body (IDEMPOTENCY_KEY_REUSED) and writes nothing', async () => {
    await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    const writes = store.writes;

    const error = await create.createWith('user-a', { ...preview, priority: 'high' }, { idempotencyKey: 'k-1' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(store.writes).toBe(writes);
    expect(queue.sent).toHaveLength(1);
  });

  it('scopes keys per caller', async () => {
    const a = await create.createWith('user-a', preview, { idempotencyKey: 'shared' });
    const b = await create.createWith('user-b', preview, { idempotencyKey: 'shared' });
    expect(b).toMatchObject({ replayed: false });
    expect(b.job.id).not.toBe(a.job.id);
    expect(b.job.ownerId).toBe('user-b');
  });

  it('frees a key 24 hours after its first use', async () => {
    const first = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    clock.advance(IDEMPOTENCY.ttlSeconds * 1000);
    const later = await create.createWith('user-a', parse(), { idempotencyKey: 'k-1' });
    expect(later.replayed).toBe(false);
    expect(later.job.id).not.toBe(first.job.id);
  });

  it('writes the job a crashed request chose when the key is held but the job is missing, and sends it once', async () => {
    const chosen = '00000000-0000-4000-8000-00000000cafe';
    await store.putIdempotencyRecord({
      id: idempotencyRecordId('user-a', 'k-1'),
      requestHash: fingerprint('create', preview),
      jobId: chosen,
      generation: 0,
      expiresAt: Math.floor(clock.read().getTime() / 1000) + 3600,
    });

    const outcome = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    const replay = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });

    expect(outcome).toMatchObject({ replayed: false, job: { id: chosen, status: 'PENDING' } });
    expect(replay).toMatchObject({ replayed: true, job: { id: chosen } });
    expect(queue.sent).toEqual([{ jobId: chosen, generation: 0, priority: 'normal', delaySeconds: 0 }]);
  });

  it('makes exactly one job and one message for ten concurrent requests with one key', async () => {
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => create.createWith('user-a', preview, { idempotencyKey: 'k-1' })));
    expect(new Set(outcomes.map((outcome) => outcome.job.id)).size).toBe(1);
    expect(outcomes.filter((outcome) => !outcome.replayed)).toHaveLength(1);
    expect(store.jobs.size).toBe(1);
    expect(queue.sent).toHaveLength(1);
  });

  it('replays a scheduled create after its runAt has passed (the time is not checked again), and sends nothing more', async () => {
    const body = { ...preview, runAt: new Date(clock.read().getTime() + 60_000).toISOString() };
    const first = await create.createWith('user-a', body, { idempotencyKey: 'k-1' });
    clock.advance(120_000);

    const again = await create.createWith('user-a', body, { idempotencyKey: 'k-1' });

    expect(again).toMatchObject({ replayed: true, job: { id: first.job.id, scheduledAt: body.runAt } });
    expect(queue.sent).toHaveLength(1);
  });

  it('answers a key first used for a create and then for a retry with IDEMPOTENCY_KEY_REUSED', async () => {
    const { job } = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    store.arrange(job.id, { status: 'FAILED', dueAt: null });
    await expect(retry.retryWith('user-a', job.id, { idempotencyKey: 'k-1' })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });
});

describe('idempotent retries', () => {
  async function failed(): Promise<Job> {
    const job = await create.create('user-a', preview);
    store.arrange(job.id, { status: 'FAILED', error: 'boom', attempts: 3, dueAt: null });
    queue.sent.length = 0;
    return job;
  }

  it('runs the job once for a repeated retry with one key and answers the repeat with the job as it is now', async () => {
    const job = await failed();
    const first = await retry.retryWith('user-a', job.id, { idempotencyKey: 'r-1' });
    store.arrange(job.id, { status: 'PROCESSING' });

    const again = await retry.retryWith('user-a', job.id, { idempotencyKey: 'r-1' });

    expect(first).toMatchObject({ replayed: false, job: { status: 'PENDING', generation: 1 } });
    expect(again).toMatchObject({ replayed: true, job: { status: 'PROCESSING', generation: 1 } });
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 1, priority: 'normal', delaySeconds: 0 }]);
  });

  it('makes one run and one message for ten concurrent retries with one key', async () => {
    const job = await failed();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => retry.retryWith('user-a', job.id, { idempotencyKey: 'r-1' })));
    expect(outcomes.filter((outcome) => !outcome.replayed)).toHaveLength(1);
    expect(outcomes.every((outcome) => outcome.job.generation === 1)).toBe(true);
    expect(queue.sent).toHaveLength(1);
  });

  it('holds no key when the job cannot be retried', async () => {
    const job = await create.create('user-a', preview);
    await expect(retry.retryWith('user-a', job.id, { idempotencyKey: 'r-1' })).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(store.idempotencyRecords.size).toBe(0);
  });
});

describe('result reuse', () => {
  it('creates the job COMPLETED with a fresh enough result of the same canonical input: fromCache, no message', async () => {
    const earlier = await create.create('user-a', parse());
    await complete(earlier, { title: 'Harvest' });
    clock.advance(30_000);
    queue.sent.length = 0;

    const { job } = await create.createWith('user-a', { reuse: { maxAgeSeconds: 60 }, input: { text: 'The harvest starts in late September.' }, type: 'PARSE_DOCUMENT' });

    expect(job).toMatchObject({ status: 'COMPLETED', fromCache: true, result: { title: 'Harvest' }, attempts: 0, dueAt: null, reuseKey: null });
    expect(job.id).not.toBe(earlier.id);
    expect(job.completedAt).toBe(clock.read().toISOString());
    expect(queue.sent).toEqual([]);
  });

  it('gives a reused result the record of a job finished at its creation: status changed then, timings of 0 ms, never scheduled', async () => {
    const earlier = await create.create('user-a', parse());
    await complete(earlier, { title: 'Harvest' });
    clock.advance(5_000);

    const { job } = await create.createWith('user-a', { ...parse(), reuse: { maxAgeSeconds: 60 } });

    const now = clock.read().toISOString();
    expect(job).toMatchObject({ createdAt: now, completedAt: now, statusChangedAt: now, updatedAt: now, startedAt: null, scheduledAt: null });
    expect(toView(job)).toMatchObject({ fromCache: true, scheduledAt: null, timings: { queuedMs: null, runMs: null, totalMs: 0 } });
  });

  it('refuses reuse together with runAt (a reused result is ready now, a scheduled job runs later) and writes nothing', async () => {
    const earlier = await create.create('user-a', parse());
    await complete(earlier, { title: 'Harvest' });
    const writes = store.writes;
    const runAt = new Date(clock.read().getTime() + 3_600_000).toISOString();

    const error = await create.createWith('user-a', { ...parse(), runAt, reuse: { maxAgeSeconds: 60 } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ path: 'reuse', message: expect.stringContaining('runAt') }]);
    expect(store.writes).toBe(writes);
  });

  it('runs the job when the only result is too old, failed, of another input or another caller', async () => {
    const old = await create.create('user-a', parse());
    await complete(old, { title: 'old' });
    clock.advance(61_000);
    const failedJob = await create.create('user-a', parse());
    store.arrange(failedJob.id, { status: 'FAILED', completedAt: clock.read().toISOString(), dueAt: null });
    const theirs = await create.create('user-b', parse());
    await complete(theirs, { title: 'theirs' });
    const other = await create.create('user-a', parse('Another text.'));
    await complete(other, { title: 'other' });
    queue.sent.length = 0;

    const { job } = await create.createWith('user-a', { ...parse(), reuse: { maxAgeSeconds: 60 } });

    expect(job).toMatchObject({ status: 'PENDING', fromCache: false });
    expect(queue.sent).toHaveLength(1);
  });

  it('copies a result stored as an object under the new job, readable after the source is gone', async () => {
    const earlier = await create.create('user-a', parse());
    await complete(earlier, { title: 'big' }, true);

    const { job } = await create.createWith('user-a', { ...parse(), reuse: { maxAgeSeconds: 60 } });
    payloads.objects.delete(`results/${earlier.id}/0.json`);

    expect(job.resultRef?.key).toBe(`results/${job.id}/from-${earlier.id}.json`);
    expect(await loadResult(payloads, job)).toEqual({ title: 'big' });
  });

  it('never reuses a reused result (its age would be the copy’s, not the result’s)', async () => {
    const earlier = await create.create('user-a', parse());
    await complete(earlier, { title: 'Harvest' });
    clock.advance(50_000);
    await create.createWith('user-a', { ...parse(), reuse: { maxAgeSeconds: 60 } });
    clock.advance(50_000);

    const { job } = await create.createWith('user-a', { ...parse(), reuse: { maxAgeSeconds: 60 } });

    expect(job).toMatchObject({ status: 'PENDING', fromCache: false });
  });

  it('refuses reuse for a type that opts out, and malformed reuse options', async () => {
    const refusals = [
      { ...preview, reuse: { maxAgeSeconds: 60 } },
      { ...parse(), reuse: { maxAgeSeconds: 0 } },
      { ...parse(), reuse: { maxAgeSeconds: 1.5 } },
      { ...parse(), reuse: { maxAgeSeconds: testLifecycle.retentionMs / 1000 + 1 } },
      { ...parse(), reuse: { maxAgeSeconds: 60, fresh: true } },
      { ...parse(), reuse: 60 },
    ];
    for (const body of refusals) {
      const error = await create.createWith('user-a', body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors[0]?.path).toMatch(/^reuse/);
    }
    expect(store.jobs.size).toBe(0);
  });
});

describe('the quota of unfinished jobs', () => {
  async function atQuota(owner = 'user-a'): Promise<Job[]> {
    const jobs: Job[] = [];
    for (let n = 0; n < QUOTA; n++) jobs.push(await create.create(owner, parse(`text ${n}`)));
    return jobs;
  }

  it('refuses a create beyond the quota with TooManyJobsError and writes nothing', async () => {
    await atQuota();
    const writes = store.writes;
    const objects = payloads.objects.size;
    queue.sent.length = 0;

    const error = await create.create('user-a', parse('x'.repeat(5000))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TooManyJobsError);
    expect(error).toMatchObject({ limit: QUOTA, retryAfterSeconds: expect.any(Number) });
    expect(store.writes).toBe(writes);
    expect(payloads.objects.size).toBe(objects);
    expect(queue.sent).toEqual([]);
  });

  it('counts only unfinished jobs, and only the caller’s', async () => {
    const [first] = await atQuota();
    await expect(create.create('user-b', preview)).resolves.toMatchObject({ status: 'PENDING' });
    store.arrange(first!.id, { status: 'CANCELLED', dueAt: null });
    await expect(create.create('user-a', preview)).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('does not count a reused result or an idempotent replay', async () => {
    const keyed = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    const earlier = await create.create('user-a', parse('done'));
    await complete(earlier, { title: 'done' });
    await create.create('user-a', parse('a'));
    await create.create('user-a', parse('b'));

    const replay = await create.createWith('user-a', preview, { idempotencyKey: 'k-1' });
    const reused = await create.createWith('user-a', { ...parse('done'), reuse: { maxAgeSeconds: 60 } });

    expect(replay).toMatchObject({ replayed: true, job: { id: keyed.job.id } });
    expect(reused.job).toMatchObject({ status: 'COMPLETED', fromCache: true });
    await expect(create.create('user-a', parse('c'))).rejects.toBeInstanceOf(TooManyJobsError);
  });

  it('counts scheduled jobs: they are PENDING until they run, near or far ahead', async () => {
    const at = (ms: number) => new Date(clock.read().getTime() + ms).toISOString();
    await create.create('user-a', { ...preview, runAt: at(60_000) });
    await create.create('user-a', { ...preview, runAt: at(30 * 86_400_000) });
    await create.create('user-a', preview);

    await expect(create.create('user-a', { ...preview, runAt: at(7 * 86_400_000) })).rejects.toBeInstanceOf(TooManyJobsError);
  });

  it("says whose quota was reached: the caller's for a personal job, the workspace's for a workspace job", async () => {
    await atQuota('user-a');
    await expect(create.create('user-a', preview)).rejects.toMatchObject({ scope: 'caller', jobType: undefined });
    const ownerKey = `ws#${crypto.randomUUID()}`;
    await atQuota(ownerKey);
    const error = await create.create(ownerKey, preview).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyJobsError);
    expect(error).toMatchObject({ scope: 'workspace', limit: QUOTA, message: expect.stringMatching(/^This workspace has 3 unfinished/) });
  });

  it('refuses a retry beyond the quota and leaves the job as it was', async () => {
    const jobs = await atQuota();
    store.arrange(jobs[0]!.id, { status: 'FAILED', dueAt: null });
    await create.create('user-a', parse('fills the quota again'));

    await expect(retry.retry('user-a', jobs[0]!.id)).rejects.toBeInstanceOf(TooManyJobsError);
    await expect(retry.retryWith('user-a', jobs[0]!.id, { idempotencyKey: 'r-1' })).rejects.toBeInstanceOf(TooManyJobsError);
    expect(store.jobs.get(jobs[0]!.id)).toMatchObject({ status: 'FAILED', generation: 0 });
    expect(store.idempotencyRecords.size).toBe(0);
  });
});
