/** The cancel function's use case: PENDING or PROCESSING → CANCELLED, for the job's owner. No AWS imports here. */
import type { Job } from '../domain/job.ts';
import { systemClock, type Clock, type JobStore } from '../domain/ports.ts';
import { applyOwnerAction, type JobCheck } from './owned-jobs.ts';

export interface CancelJobDependencies {
  readonly store: JobStore;
  readonly clock?: Clock;
}

export class CancelJob {
  constructor(private readonly deps: CancelJobDependencies) {}

  /** The cancelled job; a running attempt sees it at its next progress report and stops. */
  cancel(ownerId: string, id: string, check?: JobCheck): Promise<Job> {
    const { store, clock = systemClock } = this.deps;
    return applyOwnerAction(store, ownerId, id, 'cancel', (_, expected) => store.cancel(id, expected, clock()), check);
  }
}
