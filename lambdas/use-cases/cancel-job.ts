/** The cancel function's use case: PENDING or PROCESSING → CANCELLED, for the job's owner. No AWS imports here. */
import type { Job } from '../domain/job.ts';
import { noMetrics, systemClock, type Clock, type JobMetrics, type JobStore } from '../domain/ports.ts';
import { applyOwnerAction, type JobCheck } from './owned-jobs.ts';

export interface CancelJobDependencies {
  readonly store: JobStore;
  /** @default noMetrics */
  readonly metrics?: JobMetrics;
  readonly clock?: Clock;
}

export class CancelJob {
  constructor(private readonly deps: CancelJobDependencies) {}

  /** The cancelled job; a running attempt sees it at its next progress report and stops. */
  async cancel(ownerId: string, id: string, check?: JobCheck): Promise<Job> {
    const { store, clock = systemClock, metrics = noMetrics } = this.deps;
    const job = await applyOwnerAction(store, ownerId, id, 'cancel', (_, expected) => store.cancel(id, expected, clock()), check);
    metrics.cancelled(job.type);
    return job;
  }
}
