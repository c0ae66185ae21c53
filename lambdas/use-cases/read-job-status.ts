/**
 * The get-job-status function's use case: the caller's job as a poller needs it, from one read
 * of its record and nothing else (no payloads). No AWS imports here.
 */
import type { Job } from '../domain/job.ts';
import type { JobStore } from '../domain/ports.ts';
import { findOwnJob } from './owned-jobs.ts';

export interface ReadJobStatusDependencies {
  readonly store: JobStore;
}

export class ReadJobStatus {
  constructor(private readonly deps: ReadJobStatusDependencies) {}

  /** The caller's job record; JobNotFoundError when missing or someone else's. */
  status(ownerId: string, id: string): Promise<Job> {
    return findOwnJob(this.deps.store, ownerId, id);
  }
}
