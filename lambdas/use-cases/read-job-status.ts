/**
 * The get-job-status function's use case: the caller's job as a poller needs it, from one read
 * of its record (and, for a workspace job, of the caller's membership) and nothing else (no
 * payloads). No AWS imports here.
 */
import type { Job } from '../domain/job.ts';
import type { JobReader } from '../domain/ports.ts';
import { findReadableJob, type ReadAccess } from './owned-jobs.ts';

export interface ReadJobStatusDependencies {
  readonly store: JobReader;
  /** Workspace jobs the caller may read (GET /api/jobs/{id}/status of a member); absent: their own jobs only. */
  readonly access?: ReadAccess;
}

export class ReadJobStatus {
  constructor(private readonly deps: ReadJobStatusDependencies) {}

  /** The job record the caller may read; JobNotFoundError when missing or not theirs to read. */
  status(ownerId: string, id: string): Promise<Job> {
    return findReadableJob(this.deps.store, ownerId, id, this.deps.access);
  }
}
