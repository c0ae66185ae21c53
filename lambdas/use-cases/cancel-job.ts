/** The cancel function's use case: PENDING or PROCESSING → CANCELLED, for the job's owner. No AWS imports here. */
import type { Job } from '../domain/job.ts';
import type { Clock, JobStore } from '../domain/ports.ts';
import { applyOwnerAction } from './owned-jobs.ts';

export interface CancelJobDependencies {
  readonly store: JobStore;
  readonly clock?: Clock;
}

export class CancelJob {
  private readonly clock: Clock;

  constructor(private readonly deps: CancelJobDependencies) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** The cancelled job; a running attempt sees it at its next progress report and stops. */
  cancel(ownerId: string, id: string): Promise<Job> {
    return applyOwnerAction(this.deps.store, ownerId, id, 'cancel', (_, expected) => this.deps.store.cancel(id, expected, this.clock()));
  }
}
