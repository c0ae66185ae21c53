/**
 * The retry function's use case: FAILED or CANCELLED → PENDING on a new run, and its message sent;
 * refused (nothing written) when the caller is at their quota of unfinished jobs. With an
 * idempotency key, a repeated request gets the job as it is now instead of a second run.
 * No AWS imports here.
 */
import { ConcurrentUpdateError, InvalidTransitionError } from '../domain/errors.ts';
import { fingerprint, type IdempotencyRecord } from '../domain/fingerprints.ts';
import { canTransition, jobLogFields, type Job } from '../domain/job.ts';
import { noMetrics, systemClock, type Clock, type JobMetrics, type JobQueue, type JobStore, type Logger } from '../domain/ports.ts';
import { checkQuota, DEFAULT_QUOTA, IdempotencyKeys, type FlowOptions, type JobOutcome, type QuotaSettings } from './flow-control.ts';
import { applyOwnerAction, findOwnJob, sendJob, type JobCheck } from './owned-jobs.ts';

export interface RetryJobDependencies {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** @default noMetrics */
  readonly metrics?: JobMetrics;
  /** Unfinished jobs a caller may have; default DEFAULT_QUOTA. */
  readonly quota?: QuotaSettings;
  readonly clock?: Clock;
}

export class RetryJob {
  private readonly clock: Clock;
  private readonly keys: IdempotencyKeys;

  constructor(private readonly deps: RetryJobDependencies) {
    this.clock = deps.clock ?? systemClock;
    this.keys = new IdempotencyKeys(deps.store, this.clock);
  }

  /** The job on its new run, attempts reset. */
  async retry(ownerId: string, id: string): Promise<Job> {
    return (await this.retryWith(ownerId, id)).job;
  }

  /** The job on its new run; with an idempotency key, a repeated request gets the job as it is now (replayed). */
  async retryWith(ownerId: string, id: string, options: FlowOptions & { readonly check?: JobCheck } = {}): Promise<JobOutcome> {
    const { check } = options;
    const { store } = this.deps;
    const quota = this.deps.quota ?? DEFAULT_QUOTA;
    if (!options.idempotencyKey) {
      const job = await applyOwnerAction(store, ownerId, id, 'retry', async (current, expected) => {
        await checkQuota(store, ownerId, quota, current.type);
        return store.retry(id, expected, this.clock());
      }, check);
      await this.retried(job);
      return { job, replayed: false };
    }
    const keyed = { ownerId, key: options.idempotencyKey, requestHash: fingerprint('retry', id) };
    let record = await this.keys.find(keyed);
    let known: Job | undefined;
    if (!record) {
      // What can refuse the retry (not the caller's, not retryable, the quota) runs before the key is held.
      known = await findOwnJob(store, ownerId, id, check);
      if (!canTransition(known.status, 'retry')) throw new InvalidTransitionError(id, known.status, 'retry');
      await checkQuota(store, ownerId, quota, known.type);
      record = await this.keys.claim(keyed, id, known.generation);
    }
    return this.retryOnce(ownerId, record, check, known);
  }

  /**
   * The run the key's record started from, retried once: a job already on a later run is the
   * replay; otherwise the retry is applied on that run (a concurrent one with the same key loses
   * the condition, reads again and answers the replay). `known`: the job as this request just read
   * it, used for the first round instead of reading it again (a stale copy loses the condition too).
   */
  private async retryOnce(ownerId: string, record: IdempotencyRecord, check?: JobCheck, known?: Job): Promise<JobOutcome> {
    const { store } = this.deps;
    for (let round = 0; ; round++) {
      const job = round === 0 && known?.generation === record.generation ? known : await findOwnJob(store, ownerId, record.jobId, check);
      if (job.generation > record.generation) return { job, replayed: true };
      if (!canTransition(job.status, 'retry')) throw new InvalidTransitionError(job.id, job.status, 'retry');
      try {
        const retried = await store.retry(job.id, { ownerId, runId: job.runId, generation: record.generation }, this.clock());
        await this.retried(retried);
        return { job: retried, replayed: false };
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || round >= 2) throw error;
      }
    }
  }

  /**
   * A job on its new run: counted, logged and sent. It keeps its create's request id (the record's
   * and the message's), so one id finds every run of the job.
   */
  private async retried(job: Job): Promise<void> {
    (this.deps.metrics ?? noMetrics).retried(job.type);
    this.deps.logger.info('job retried', { ...jobLogFields(job), type: job.type, generation: job.generation });
    await sendJob({ ...this.deps, clock: this.clock }, job);
  }
}
