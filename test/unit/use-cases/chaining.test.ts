import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NonRetryableError, SourceNotReadyError, ValidationError } from '../../../lambdas/domain/errors.ts';
import { JobTypeCatalog, defineJobType, type JobType, type SourceJob } from '../../../lambdas/domain/job-types.ts';
import type { JobStatus } from '../../../lambdas/domain/job.ts';
import { ManualClock, MemoryPayloadStore, RecordingQueue, silentLogger, testLifecycle } from '../../support/fakes.ts';
import { MemoryJobStore } from '../../support/memory-job-store.ts';
import { CreateJob } from '../../../lambdas/use-cases/create-job.ts';
import { RunAttempt } from '../../../lambdas/use-cases/run-attempt.ts';

const source = defineJobType({ name: 'SOURCE', description: 'a source', input: z.object({}).strict(), timeoutSeconds: 5 });
const chained = defineJobType({
  name: 'CHAINED',
  description: 'reads sources',
  input: z.object({ sourceJobIds: z.array(z.string()).min(1) }).strict(),
  timeoutSeconds: 5,
  sourceJobIds: (input) => input.sourceJobIds,
});

let store: MemoryJobStore;
let creates: CreateJob;
let attempts: RunAttempt;
let loaded: readonly SourceJob[] | undefined;
let ids = 0;

beforeEach(() => {
  const clock = new ManualClock();
  store = new MemoryJobStore(testLifecycle, clock.read);
  const queue = new RecordingQueue();
  const payloads = new MemoryPayloadStore();
  loaded = undefined;
  const types: JobType<any>[] = [
    { ...source, process: async () => ({ text: 'source result' }) },
    {
      ...chained,
      process: async (input: { sourceJobIds: string[] }, context) => {
        loaded = await context.loadSources(input.sourceJobIds);
        return { combined: loaded.length };
      },
    },
  ];
  creates = new CreateJob({
    store,
    queue,
    payloads,
    types: new JobTypeCatalog([source, chained]),
    settings: testLifecycle,
    logger: silentLogger,
    clock: clock.read,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  });
  attempts = new RunAttempt({
    store,
    payloads,
    types: new JobTypeCatalog(types),
    logger: silentLogger,
    clock: clock.read,
    settings: { retryBaseDelaySeconds: 0, retryMaxDelaySeconds: 0, finishMarginMs: 100 },
  });
});

async function sourceJob(owner: string, status: JobStatus = 'COMPLETED') {
  const job = await creates.create(owner, { type: 'SOURCE', input: {} });
  if (status === 'COMPLETED') await attempts.run({ id: job.id, generation: 0 }, Date.now() + 10_000);
  else store.arrange(job.id, { status });
  return job.id;
}

describe('chained jobs', () => {
  it("accept the caller's own COMPLETED jobs and read their results when run", async () => {
    const a = await sourceJob('alice');
    const b = await sourceJob('alice');
    const job = await creates.create('alice', { type: 'CHAINED', input: { sourceJobIds: [a, b] } });
    await attempts.run({ id: job.id, generation: 0 }, Date.now() + 10_000);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'COMPLETED', result: { combined: 2 } });
    expect(loaded?.map((s) => [s.id, s.type, s.result])).toEqual([
      [a, 'SOURCE', { text: 'source result' }],
      [b, 'SOURCE', { text: 'source result' }],
    ]);
  });

  it("refuse another user's job exactly like a missing one (422)", async () => {
    const foreign = await sourceJob('bob');
    const missing = '00000000-0000-4000-8000-999999999999';
    const error = (await creates.create('alice', { type: 'CHAINED', input: { sourceJobIds: [foreign, missing] } }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors).toEqual([
      { path: 'input.sourceJobIds.0', message: `no job with id ${foreign}` },
      { path: 'input.sourceJobIds.1', message: `no job with id ${missing}` },
    ]);
  });

  it('refuse a FAILED or CANCELLED source (422) and an unfinished one (409)', async () => {
    const failed = await sourceJob('alice', 'FAILED');
    await expect(creates.create('alice', { type: 'CHAINED', input: { sourceJobIds: [failed] } })).rejects.toBeInstanceOf(ValidationError);
    const running = await sourceJob('alice', 'PROCESSING');
    const error = (await creates.create('alice', { type: 'CHAINED', input: { sourceJobIds: [running] } }).catch((e: unknown) => e)) as SourceNotReadyError;
    expect(error).toBeInstanceOf(SourceNotReadyError);
    expect(error.sources).toEqual([{ id: running, status: 'PROCESSING' }]);
  });

  it('fail without retrying when a source is no longer COMPLETED at run time', async () => {
    const a = await sourceJob('alice');
    const job = await creates.create('alice', { type: 'CHAINED', input: { sourceJobIds: [a] } });
    store.arrange(a, { status: 'PENDING' }); // the source was retried meanwhile
    await attempts.run({ id: job.id, generation: 0 }, Date.now() + 10_000);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 1, error: `Source job ${a} is PENDING, no longer COMPLETED` });
  });

  it('never hand a processor a result of another user, even if the store were tampered with', async () => {
    const a = await sourceJob('alice');
    const job = await creates.create('alice', { type: 'CHAINED', input: { sourceJobIds: [a] } });
    store.arrange(a, { ownerId: 'bob' });
    await attempts.run({ id: job.id, generation: 0 }, Date.now() + 10_000);
    expect(loaded).toBeUndefined();
    expect(store.jobs.get(job.id)?.error).toBe(new NonRetryableError(`Source job ${a} no longer exists`).message);
  });
});
