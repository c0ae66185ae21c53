/** Small fakes for domain unit tests. */
import type { JobQueue, JobRef } from '../../lambdas/domain/ports.ts';
import type { Logger } from '../../lambdas/domain/job-types.ts';
import type { LifecycleSettings } from '../../lambdas/domain/job.ts';

export class RecordingQueue implements JobQueue {
  readonly sent: { jobId: string; generation: number; delaySeconds: number }[] = [];
  readonly deferred: { receiptHandle: string; delaySeconds: number }[] = [];
  failSends = false;

  async enqueue(job: JobRef, delaySeconds = 0): Promise<void> {
    if (this.failSends) throw new Error('queue unavailable');
    this.sent.push({ jobId: job.id, generation: job.generation, delaySeconds });
  }

  async deferMessage(receiptHandle: string, delaySeconds: number): Promise<void> {
    this.deferred.push({ receiptHandle, delaySeconds });
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export const testLifecycle: LifecycleSettings = {
  stalePendingMs: 300_000,
  leaseGraceMs: 60_000,
  retentionMs: 30 * 86_400_000,
};

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(private now = new Date('2026-03-04T12:00:00.000Z')) {}
  readonly read = (): Date => new Date(this.now);
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}
