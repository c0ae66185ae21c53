import { describe, expect, it } from 'vitest';
import { createJob, pollAfterSeconds, retryPatch, timingsOf, toStatusView, toView, type Job } from '../../../lambdas/domain/job.ts';
import { testLifecycle } from '../../support/fakes.ts';

const now = new Date('2026-03-04T12:00:00.000Z');
const later = (ms: number) => new Date(now.getTime() + ms).toISOString();

function newJob(fields: Partial<Job> = {}): Job {
  const job = createJob(
    { id: '550e8400-e29b-41d4-a716-446655440000', ownerId: 'user-a', type: 'AI_PREVIEW', input: { prompt: 'hi' }, priority: 'normal', maxAttempts: 3 },
    now,
    testLifecycle,
  );
  return { ...job, ...fields };
}

describe('timings', () => {
  it('are all null while nothing is known', () => {
    expect(timingsOf(newJob())).toEqual({ queuedMs: null, runMs: null, totalMs: null });
  });

  it('count the queue time from creation to the first start of the run, once started', () => {
    expect(timingsOf(newJob({ status: 'PROCESSING', startedAt: later(1500) }))).toEqual({ queuedMs: 1500, runMs: null, totalMs: null });
  });

  it('count run and total times once finished', () => {
    const job = newJob({ status: 'COMPLETED', startedAt: later(1500), completedAt: later(6000) });
    expect(toView(job).timings).toEqual({ queuedMs: 1500, runMs: 4500, totalMs: 6000 });
  });

  it('start the clock at the scheduled time for a scheduled job', () => {
    const job = newJob({ scheduledAt: later(60_000), status: 'COMPLETED', startedAt: later(61_000), completedAt: later(64_000) });
    expect(timingsOf(job)).toEqual({ queuedMs: 1000, runMs: 3000, totalMs: 4000 });
  });

  it('give a job cancelled before its scheduled time a total of 0 and no queue or run time', () => {
    const job = newJob({ scheduledAt: later(60_000), status: 'CANCELLED', completedAt: later(10_000) });
    expect(timingsOf(job)).toEqual({ queuedMs: null, runMs: null, totalMs: 0 });
  });

  it('a retry drops the scheduled time: the new run starts at once', () => {
    const patch = retryPatch({ generation: 0 }, new Date(later(5000)), testLifecycle);
    expect(patch).toMatchObject({ scheduledAt: null, startedAt: null, completedAt: null });
  });
});

describe('Retry-After of a poll', () => {
  it('is 3 s for a pending or processing job, none once finished', () => {
    expect(pollAfterSeconds(newJob(), now)).toBe(3);
    expect(pollAfterSeconds(newJob({ status: 'PROCESSING' }), now)).toBe(3);
    for (const status of ['COMPLETED', 'FAILED', 'CANCELLED'] as const) expect(pollAfterSeconds(newJob({ status }), now)).toBeNull();
  });

  it('is the seconds until a scheduled job starts, at most 300, then 3 again', () => {
    expect(pollAfterSeconds(newJob({ scheduledAt: later(42_300) }), now)).toBe(43);
    expect(pollAfterSeconds(newJob({ scheduledAt: later(1_000) }), now)).toBe(1);
    expect(pollAfterSeconds(newJob({ scheduledAt: later(86_400_000) }), now)).toBe(300);
    expect(pollAfterSeconds(newJob({ scheduledAt: later(-5_000) }), now)).toBe(3);
  });
});

describe('status view', () => {
  it('is exactly id, status, progress and updatedAt', () => {
    const job = newJob({ status: 'PROCESSING', progress: { percent: 40, message: 'reading' }, updatedAt: later(2000) });
    expect(toStatusView(job)).toEqual({ id: job.id, status: 'PROCESSING', progress: { percent: 40, message: 'reading' }, updatedAt: later(2000) });
  });

  it('hides progress once the job is no longer processing, as the full view does', () => {
    expect(toStatusView(newJob({ status: 'COMPLETED', progress: { percent: 100, message: null } })).progress).toBeNull();
  });
});
