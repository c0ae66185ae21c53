/** The retry function's use case: FAILED or CANCELLED → PENDING on a new run, and its message sent. No AWS imports here. */
import type { Job } from '../domain/job.ts';
import { systemClock, type Clock, type JobQueue, type JobStore, type Logger } from '../domain/ports.ts';
import { applyOwnerAction, sendJob } from './owned-jobs.ts';

export interface RetryJobDependencies {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export class RetryJob {
  constructor(private readonly deps: RetryJobDependencies) {}

  /** The job on its new run, attempts reset. */
  async retry(ownerId: string, id: string): Promise<Job> {
    const { store, clock = systemClock } = this.deps;
    const job = await applyOwnerAction(store, ownerId, id, 'retry', (_, expected) => store.retry(id, expected, clock()));
    await sendJob({ ...this.deps, clock }, job);
    return job;
  }
}
