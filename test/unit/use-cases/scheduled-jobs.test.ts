import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../lambdas/domain/errors.ts';
import { JobTypeCatalog, defineJobType, type JobType } from '../../../lambdas/domain/job-types.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { CancelJob } from '../../../lambdas/use-cases/cancel-job.ts';
import { CreateJob } from '../../../lambdas/use-cases/create-job.ts';
import { ReconcileJobs } from '../../../lambdas/use-cases/reconcile-jobs.ts';
import { RetryJob } from '../../../lambdas/use-cases/retry-job.ts';
import { RunAttempt } from '../../../lambdas/use-cases/run-attempt.ts';
import { ManualClock, MemoryPayloadStore, RecordingQueue, silentLogger, testAttemptSettings, testLifecycle } from '../../support/fakes.ts';
import { MemoryJobStore } from '../../support/memory-job-store.ts';

let store: MemoryJobStore;
let queue: RecordingQueue;
let clock: ManualClock;
let create: CreateJob;
let cancel: CancelJob;
let retry: RetryJob;
let worker: RunAttempt;
let reconciler: ReconcileJobs;
let ids: number;

const MINUTE = 60_000;
const stale = testLifecycle.stalePendingMs;

beforeEach(() => {
  queue = new RecordingQueue();
  clock = new ManualClock();
  store = new MemoryJobStore(testLifecycle, clock.read);
  ids = 0;
  const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
  const payloads = new MemoryPayloadStore();
  create = new CreateJob({ store, queue, payloads, types: jobTypeCatalog, settings: testLifecycle, logger: silentLogger, clock: clock.read, newId });
  cancel = new CancelJob({ store, clock: clock.read });
  retry = new RetryJob({ store, queue, logger: silentLogger, clock: clock.read });
  const definition = defineJobType({ name: 'AI_PREVIEW', description: 'test', input: z.object({ prompt: z.string() }), timeoutSeconds: 5 });
  const type: JobType<{ prompt: string }> = { ...definition, process: async () => ({ output: 'done' }) };
  worker = new RunAttempt({ store, payloads, types: new JobTypeCatalog([type]), logger: silentLogger, clock: clock.read, settings: testAttemptSettings });
  reconciler = new ReconcileJobs({ store, queue, lifecycle: testLifecycle, logger: silentLogger, clock: clock.read });
});

const at = (ms: number) => new Date(clock.read().getTime() + ms).toISOString();
const scheduled = (runAt: unknown) => create.create('user-a', { type: 'AI_PREVIEW', input: { prompt: 'later' }, runAt });
const run = (job: { id: string; generation: number }) => worker.run({ id: job.id, generation: job.generation }, clock.read().getTime() + MINUTE);

describe('CreateJob with runAt', () => {
  it.each([
    ['a date without a time', '2026-03-05'],
    ['a time without a zone', '2026-03-04T12:30:00'],
    ['not a date', 'tomorrow'],
    ['a number', 1_772_628_000_000],
    ['an impossible date', '2026-02-30T12:00:00Z'],
  ])('refuses %s: 422 at runAt', async (_, runAt) => {
    const error = (await scheduled(runAt).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors).toEqual([{ path: 'runAt', message: expect.stringContaining('ISO 8601') }]);
    expect(store.jobs.size).toBe(0);
  });

  it('refuses a time in the past, now included, and one more than a year ahead', async () => {
    for (const runAt of [at(-1000), at(0), at(366 * 86_400_000)]) {
      const error = (await scheduled(runAt).catch((e: unknown) => e)) as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.errors[0]!.path).toBe('runAt');
    }
    expect(store.jobs.size).toBe(0);
    expect(queue.sent).toEqual([]);
  });

  it('accepts a zone offset and stores the time in UTC', async () => {
    const job = await scheduled('2026-03-04T14:30:00+02:00');
    expect(job.scheduledAt).toBe('2026-03-04T12:30:00.000Z');
  });

  it('within 15 minutes: sends the message delayed until then; the reconciler looks stalePendingMs after it', async () => {
    const job = await scheduled(at(10 * MINUTE + 400));
    expect(job).toMatchObject({ status: 'PENDING', scheduledAt: at(10 * MINUTE + 400) });
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 0, delaySeconds: 601, priority: 'normal' }]);
    expect(job.dueAt).toBe(at(10 * MINUTE + 400 + stale));
  });

  it('beyond 15 minutes: sends nothing yet and is due for the reconciler 15 minutes before its time', async () => {
    const job = await scheduled(at(3 * 86_400_000));
    expect(queue.sent).toEqual([]);
    expect(job.dueAt).toBe(at(3 * 86_400_000 - 15 * MINUTE));
  });
});

describe('a scheduled job and its messages', () => {
  it('does not start on a message that arrives early: the message comes back when the job may start', async () => {
    const job = await scheduled(at(5 * MINUTE));
    clock.advance(MINUTE);
    expect(await run(job)).toEqual({ kind: 'retry-later', delaySeconds: 240 });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 0, startedAt: null });
    clock.advance(4 * MINUTE);
    expect(await run(job)).toEqual({ kind: 'done', detail: 'recorded' });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'COMPLETED', startedAt: job.scheduledAt, attempts: 1 });
  });

  it('acknowledges a message that arrives more than 15 minutes early: the reconciler sends the job later', async () => {
    const job = await scheduled(at(2 * 3_600_000));
    expect(await run(job)).toMatchObject({ kind: 'done' });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 0 });
  });

  it('cancelled before it starts: the message that arrives later finds it CANCELLED and runs nothing', async () => {
    const job = await scheduled(at(2 * MINUTE));
    await cancel.cancel('user-a', job.id);
    clock.advance(2 * MINUTE);
    expect(await run(job)).toMatchObject({ kind: 'done' });
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null });
  });

  it('retried after a cancel: runs now, no longer scheduled', async () => {
    const job = await scheduled(at(30 * MINUTE));
    await cancel.cancel('user-a', job.id);
    const again = await retry.retry('user-a', job.id);
    expect(again).toMatchObject({ status: 'PENDING', scheduledAt: null, generation: 1 });
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 1, delaySeconds: 0, priority: 'normal' }]);
    expect(await run(again)).toEqual({ kind: 'done', detail: 'recorded' });
  });
});

describe('ReconcileJobs with scheduled jobs', () => {
  it('does not treat a scheduled job as a stale PENDING one before its time', async () => {
    await scheduled(at(14 * MINUTE));
    clock.advance(14 * MINUTE - 1000);
    expect(await reconciler.reconcile()).toMatchObject({ resent: 0, scheduled: 0 });
    expect(queue.sent).toHaveLength(1);
  });

  it('sends a job scheduled beyond 15 minutes once its time is that close, delayed by what is left', async () => {
    const job = await scheduled(at(2 * 86_400_000));
    clock.advance(2 * 86_400_000 - 20 * MINUTE);
    expect(await reconciler.reconcile()).toMatchObject({ resent: 0 });
    clock.advance(7 * MINUTE);
    expect(await reconciler.reconcile()).toMatchObject({ resent: 1 });
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 0, delaySeconds: 13 * 60, priority: 'normal' }]);
    expect(store.jobs.get(job.id)!.dueAt).toBe(new Date(Date.parse(job.scheduledAt!) + stale).toISOString());
    expect(await reconciler.reconcile()).toMatchObject({ resent: 0 });
  });

  it('keeps a far job whose send failed scheduled: it moves its due time back instead of sending it', async () => {
    queue.failSends = true;
    const job = await scheduled(at(10 * MINUTE));
    queue.failSends = false;
    store.arrange(job.id, { scheduledAt: at(3_600_000) });
    expect(await reconciler.reconcile()).toMatchObject({ resent: 0, scheduled: 1 });
    expect(queue.sent).toEqual([]);
    expect(store.jobs.get(job.id)!.dueAt).toBe(at(3_600_000 - 15 * MINUTE));
  });

  it('after a restart: re-sends a near job with what is left until its time, leaves a far one scheduled', async () => {
    const near = await scheduled(at(5 * MINUTE));
    const far = await scheduled(at(5 * 3_600_000));
    clock.advance(MINUTE);
    const backlog = await reconciler.unfinished();
    expect(await reconciler.recover(backlog)).toEqual({ resent: 1, scheduled: 1, requeued: 0, failed: 0, skipped: 0 });
    expect(queue.sent.slice(1)).toEqual([{ jobId: near.id, generation: 0, delaySeconds: 240, priority: 'normal' }]);
    expect(store.jobs.get(far.id)!.dueAt).toBe(far.dueAt);
  });
});
