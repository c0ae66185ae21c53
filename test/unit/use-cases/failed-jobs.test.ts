import { beforeEach, describe, expect, it } from 'vitest';
import { ConcurrentUpdateError } from '../../../lambdas/domain/errors.ts';
import { createJob, type Job } from '../../../lambdas/domain/job.ts';
import { FailDeadLetter } from '../../../lambdas/use-cases/fail-dead-letter.ts';
import { FailedJobs } from '../../../lambdas/use-cases/failed-jobs.ts';
import { memoryFakes, silentLogger, testLifecycle, type ManualClock, type RecordingQueue } from '../../support/fakes.ts';
import type { MemoryJobStore } from '../../support/memory-job-store.ts';

let store: MemoryJobStore;
let queue: RecordingQueue;
let clock: ManualClock;
let failedJobs: FailedJobs;

beforeEach(() => {
  ({ store, queue, clock } = memoryFakes());
  failedJobs = new FailedJobs({ store, queue, logger: silentLogger, clock: clock.read });
});

async function newJob(ownerId: string, type = 'AI_PREVIEW'): Promise<Job> {
  const job = createJob({ id: crypto.randomUUID(), ownerId, type, input: { prompt: 'p' }, priority: 'high', maxAttempts: 3, reuseKey: null }, clock.read(), testLifecycle);
  await store.create(job);
  return job;
}

/** A job that failed on its first attempt with a non-retryable error. */
async function failedJob(ownerId: string, type = 'AI_PREVIEW'): Promise<Job> {
  const job = await newJob(ownerId, type);
  await store.claim(job.id, { runId: 'r', generation: 0, now: clock.read().toISOString(), leaseExpiresAt: '9999-01-01T00:00:00.000Z' });
  clock.advance(1000);
  await store.fail(job.id, { runId: 'r' }, 'Bedrock API error: ValidationException - bad', clock.read());
  return job;
}

/** A job whose message went to the DLQ: failed by the DLQ consumer's use case. */
async function deadLetteredJob(ownerId: string): Promise<Job> {
  const job = await newJob(ownerId);
  clock.advance(1000);
  await new FailDeadLetter({ store, logger: silentLogger, clock: clock.read }).fail({ id: job.id, generation: 0 });
  return job;
}

const everything = () => ({ since: '2000-01-01T00:00:00.000Z', until: '9999-01-01T00:00:00.000Z', limit: 100 });

describe('FailedJobs (the operator command)', () => {
  it('lists FAILED jobs of every owner, the latest first, marking the dead-lettered ones', async () => {
    const alice = await failedJob('alice');
    const bob = await deadLetteredJob('bob');
    await newJob('carol'); // PENDING: not listed
    const { jobs, more } = await failedJobs.list(everything());
    expect(jobs.map((job) => [job.id, job.ownerId, job.deadLettered])).toEqual([
      [bob.id, 'bob', true],
      [alice.id, 'alice', false],
    ]);
    expect(more).toBe(false);
  });

  it('lists only dead-lettered jobs when asked, and only the type asked', async () => {
    await failedJob('alice');
    const bob = await deadLetteredJob('bob');
    const parse = await failedJob('alice', 'PARSE_DOCUMENT');
    expect((await failedJobs.list({ ...everything(), deadLettered: true })).jobs.map((job) => job.id)).toEqual([bob.id]);
    expect((await failedJobs.list({ ...everything(), type: 'PARSE_DOCUMENT' })).jobs.map((job) => job.id)).toEqual([parse.id]);
  });

  it('dry run: says which jobs it would redrive and writes and sends nothing', async () => {
    const job = await failedJob('alice');
    const writes = store.writes;
    const { results } = await failedJobs.redrive(everything(), { dryRun: true });
    expect(results).toEqual([{ id: job.id, type: 'AI_PREVIEW', outcome: 'would-redrive', detail: 'run 1' }]);
    expect(store.writes).toBe(writes);
    expect(queue.sent).toEqual([]);
    expect(await store.get(job.id)).toMatchObject({ status: 'FAILED', generation: 0 });
  });

  it("redrives every owner's FAILED jobs as retry does: a new run, attempts reset, its message sent to its band", async () => {
    const alice = await failedJob('alice');
    const bob = await deadLetteredJob('bob');
    const { results } = await failedJobs.redrive(everything(), { dryRun: false });
    expect(results.map((result) => [result.id, result.outcome])).toEqual([
      [bob.id, 'redriven'],
      [alice.id, 'redriven'],
    ]);
    for (const job of [alice, bob]) {
      expect(await store.get(job.id)).toMatchObject({ status: 'PENDING', generation: 1, attempts: 0, error: null, completedAt: null, ownerId: job.ownerId });
    }
    expect(queue.sent.map((sent) => [sent.jobId, sent.generation, sent.priority])).toEqual([
      [bob.id, 1, 'high'],
      [alice.id, 1, 'high'],
    ]);
    expect((await failedJobs.list(everything())).jobs).toEqual([]);
  });

  it('redrives jobs by id, skipping those that are not FAILED or do not exist', async () => {
    const failed = await failedJob('alice');
    const pending = await newJob('alice');
    const missing = crypto.randomUUID();
    const { results } = await failedJobs.redrive({ ids: [failed.id, pending.id, missing] }, { dryRun: false });
    expect(results).toEqual([
      { id: pending.id, type: null, outcome: 'skipped', detail: 'not found or not FAILED' },
      { id: missing, type: null, outcome: 'skipped', detail: 'not found or not FAILED' },
      expect.objectContaining({ id: failed.id, outcome: 'redriven' }),
    ]);
  });

  it('skips a job that changed between the read and the redrive, saying how', async () => {
    const job = await failedJob('alice');
    const retry = store.retry.bind(store);
    store.retry = async (id, expected, at) => {
      await retry(id, expected, at); // the owner retried it meanwhile
      throw new ConcurrentUpdateError(id);
    };
    const { results } = await failedJobs.redrive(everything(), { dryRun: false });
    expect(results).toEqual([{ id: job.id, type: 'AI_PREVIEW', outcome: 'skipped', detail: 'changed meanwhile: PENDING' }]);
    expect(queue.sent).toEqual([]);
  });

  it('refuses to redrive without the queues (a list-only target)', async () => {
    await failedJob('alice');
    const listOnly = new FailedJobs({ store, logger: silentLogger });
    await expect(listOnly.redrive(everything(), { dryRun: false })).rejects.toThrow('Redrive needs the jobs queues');
  });
});
