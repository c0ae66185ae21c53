import { describe, expect, it } from 'vitest';
import {
  canTransition,
  cancelPatch,
  completePatch,
  createJob,
  retryDelaySeconds,
  requeuePatch,
  toView,
  type Job,
} from '../../../lambdas/domain/job.ts';
import { testLifecycle } from '../../support/fakes.ts';

const now = new Date('2026-03-04T12:00:00.000Z');

function newJob(): Job {
  return createJob(
    { id: '550e8400-e29b-41d4-a716-446655440000', ownerId: 'user-a', type: 'AI_PREVIEW', input: { prompt: 'hi' }, priority: 'normal', maxAttempts: 3 },
    now,
    testLifecycle,
  );
}

describe('job record', () => {
  it('starts PENDING with no attempts and is due for reconciliation after the stale-pending window', () => {
    const job = newJob();
    expect(job).toMatchObject({ status: 'PENDING', attempts: 0, result: null, error: null, startedAt: null, completedAt: null });
    expect(job.dueAt).toBe('2026-03-04T12:05:00.000Z');
    expect(job.createdAt).toBe(job.updatedAt);
  });

  it('shows clients exactly the seed-001 fields plus maxAttempts, progress, priority, fromCache, scheduledAt, timings, workspaceId and createdBy', () => {
    expect(Object.keys(toView(newJob())).sort()).toEqual(
      ['attempts', 'completedAt', 'createdAt', 'createdBy', 'error', 'fromCache', 'id', 'maxAttempts', 'priority', 'progress', 'result', 'scheduledAt', 'startedAt', 'status', 'timings', 'type', 'updatedAt', 'workspaceId'].sort(),
    );
  });

  it('hides progress once the job is no longer processing', () => {
    const job = { ...newJob(), status: 'COMPLETED' as const, progress: { percent: 50, message: 'half' } };
    expect(toView(job).progress).toBeNull();
    expect(toView({ ...job, status: 'PROCESSING' }).progress).toEqual({ percent: 50, message: 'half' });
  });

  it.each([
    ['PENDING', 'cancel', true],
    ['PROCESSING', 'cancel', true],
    ['COMPLETED', 'cancel', false],
    ['FAILED', 'cancel', false],
    ['FAILED', 'retry', true],
    ['CANCELLED', 'retry', true],
    ['COMPLETED', 'retry', false],
    ['PENDING', 'retry', false],
    ['PROCESSING', 'retry', false],
  ] as const)('%s → %s allowed: %s', (status, action, allowed) => {
    expect(canTransition(status, action)).toBe(allowed);
  });

  it('clears the due time and sets a TTL when a job finishes', () => {
    const patch = completePatch({ result: { output: 'x' } }, now, testLifecycle);
    expect(patch).toMatchObject({ status: 'COMPLETED', dueAt: null, leaseExpiresAt: null, error: null });
    expect(patch.expiresAt).toBe(Math.floor(now.getTime() / 1000) + 30 * 86_400);
    expect(cancelPatch(now, testLifecycle)).toMatchObject({ status: 'CANCELLED', completedAt: now.toISOString(), dueAt: null });
  });

  it('puts a retryable failure back to PENDING, due only after its delay has passed', () => {
    const patch = requeuePatch('Bedrock API error: ThrottlingException - Rate exceeded', new Date(now.getTime() + 20_000), now, testLifecycle);
    expect(patch).toMatchObject({ status: 'PENDING', error: 'Bedrock API error: ThrottlingException - Rate exceeded' });
    expect(patch.dueAt).toBe('2026-03-04T12:05:20.000Z');
  });
});

describe('retry delay', () => {
  it('grows with each attempt and stays within [ceiling/2, ceiling]', () => {
    expect(retryDelaySeconds(1, 10, 300, () => 0)).toBe(5);
    expect(retryDelaySeconds(1, 10, 300, () => 1)).toBe(10);
    expect(retryDelaySeconds(2, 10, 300, () => 1)).toBe(20);
    expect(retryDelaySeconds(3, 10, 300, () => 0.5)).toBe(30);
  });

  it('is capped at the maximum', () => {
    expect(retryDelaySeconds(10, 10, 60, () => 1)).toBe(60);
  });

  it('is zero when the base delay is zero', () => {
    expect(retryDelaySeconds(3, 0, 60, () => 1)).toBe(0);
  });
});
