/**
 * The get-job and get-job-result functions' use case: the caller's job, with its result. A
 * result stored outside the record is read only once the job is COMPLETED, so a poll of a running
 * job reads the record and nothing else. No AWS imports here.
 */
import { JobNotCompletedError } from '../domain/errors.ts';
import type { Job, JobStatus } from '../domain/job.ts';
import type { JsonObject } from '../domain/json.ts';
import { loadResult } from '../domain/payloads.ts';
import type { JobReader, PayloadStore } from '../domain/ports.ts';
import { findReadableJob, type ReadAccess } from './owned-jobs.ts';

export interface ReadJobDependencies {
  readonly store: JobReader;
  /** Results too large for the record. */
  readonly payloads: PayloadStore;
  /** Workspace jobs the caller may read (GET /api/jobs/{id} and /result for a member); absent: their own jobs only. */
  readonly access?: ReadAccess;
}

export interface JobResult {
  readonly id: string;
  readonly status: JobStatus;
  readonly result: JsonObject | null;
}

export class ReadJob {
  constructor(private readonly deps: ReadJobDependencies) {}

  /**
   * The job with its result: the caller's own, or (with `access`) one of a workspace they belong
   * to; JobNotFoundError otherwise, as for a missing one.
   */
  async get(ownerId: string, id: string): Promise<Job> {
    return this.withResult(await findReadableJob(this.deps.store, ownerId, id, this.deps.access));
  }

  private async withResult(job: Job): Promise<Job> {
    if (job.status !== 'COMPLETED' || !job.resultRef) return job;
    return { ...job, result: await loadResult(this.deps.payloads, job) };
  }

  /** A COMPLETED job's result, of a job the caller may read; JobNotCompletedError before that. */
  async result(ownerId: string, id: string): Promise<JobResult> {
    const job = await findReadableJob(this.deps.store, ownerId, id, this.deps.access);
    if (job.status !== 'COMPLETED') throw new JobNotCompletedError(id, job.status);
    return { id: job.id, status: job.status, result: await loadResult(this.deps.payloads, job) };
  }
}
