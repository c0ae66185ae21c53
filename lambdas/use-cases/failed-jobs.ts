/**
 * The operator's use case (`npm run ops`): FAILED jobs of every owner, dead-lettered or not, by
 * type and time, and their redrive: each FAILED job runs again on a new run as the retry route
 * does it (generation + 1, attempts reset, its message sent), without the owner check and without
 * the owner's quota, since the operator acts for every owner. No AWS imports here.
 */
import { ConcurrentUpdateError } from '../domain/errors.ts';
import { canTransition, type Job } from '../domain/job.ts';
import { systemClock, type Clock, type FailedQuery, type JobQueue, type JobStore, type Logger } from '../domain/ports.ts';
import { DEAD_LETTER_ERROR_PREFIX } from './fail-dead-letter.ts';
import { sendJob } from './owned-jobs.ts';

export interface FailedJobsDependencies {
  readonly store: JobStore;
  /** Needed to redrive (not to list). */
  readonly queue?: JobQueue;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** Which failed jobs: a window and type (FailedQuery), or these ids; only dead-lettered ones if asked. */
export type FailedSelection =
  | (FailedQuery & { readonly deadLettered?: boolean })
  | { readonly ids: readonly string[]; readonly deadLettered?: boolean };

/** A failed job as the operator sees it (never its input or result). */
export interface FailedJobView {
  readonly id: string;
  readonly type: string;
  readonly ownerId: string;
  readonly priority: string;
  readonly generation: number;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly createdAt: string;
  readonly failedAt: string | null;
  /** Its message went to the dead-letter queue (the DLQ consumer failed it). */
  readonly deadLettered: boolean;
  readonly error: string | null;
}

export interface RedriveResult {
  readonly id: string;
  readonly type: string | null;
  readonly outcome: 'redriven' | 'would-redrive' | 'skipped';
  readonly detail: string;
}

export class FailedJobs {
  private readonly clock: Clock;

  constructor(private readonly deps: FailedJobsDependencies) {
    this.clock = deps.clock ?? systemClock;
  }

  async list(selection: FailedSelection): Promise<{ readonly jobs: FailedJobView[]; readonly more: boolean }> {
    const { jobs, more, missing } = await this.select(selection);
    if (missing.length > 0) this.deps.logger.info('not FAILED (or not found)', { ids: missing });
    return { jobs: jobs.map(view), more };
  }

  /** Redrives the selected FAILED jobs one by one (or, with `dryRun`, says which it would) and says what became of each. */
  async redrive(selection: FailedSelection, options: { readonly dryRun: boolean }): Promise<{ readonly results: RedriveResult[]; readonly more: boolean }> {
    const { jobs, more, missing } = await this.select(selection);
    const results: RedriveResult[] = missing.map((id) => ({ id, type: null, outcome: 'skipped', detail: 'not found or not FAILED' }));
    for (const job of jobs) {
      results.push(options.dryRun ? { id: job.id, type: job.type, outcome: 'would-redrive', detail: `run ${job.generation + 1}` } : await this.redriveOne(job));
    }
    return { results, more };
  }

  private async redriveOne(job: Job): Promise<RedriveResult> {
    const { store, queue, logger } = this.deps;
    if (!queue) throw new Error('Redrive needs the jobs queues');
    try {
      // The retry route's transition, on the job as read (its owner, run and generation).
      const retried = await store.retry(job.id, { ownerId: job.ownerId, runId: job.runId, generation: job.generation }, this.clock());
      await sendJob({ store, queue, logger, clock: this.clock }, retried);
      logger.info('job redriven', { jobId: job.id, type: job.type, generation: retried.generation });
      return { id: job.id, type: job.type, outcome: 'redriven', detail: `PENDING on run ${retried.generation}, attempts reset` };
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      const now = await store.get(job.id);
      return { id: job.id, type: job.type, outcome: 'skipped', detail: `changed meanwhile: ${now ? now.status : 'gone'}` };
    }
  }

  private async select(selection: FailedSelection): Promise<{ jobs: Job[]; more: boolean; missing: string[] }> {
    const wanted = (job: Job) => job.status === 'FAILED' && canTransition(job.status, 'retry') && (!selection.deadLettered || isDeadLettered(job));
    if ('ids' in selection) {
      const found = await this.deps.store.getMany(selection.ids);
      const jobs = found.filter(wanted);
      const kept = new Set(jobs.map((job) => job.id));
      return { jobs, more: false, missing: selection.ids.filter((id) => !kept.has(id)) };
    }
    const page = await this.deps.store.findFailed(selection);
    return { jobs: page.jobs.filter(wanted), more: page.more, missing: [] };
  }
}

function isDeadLettered(job: Job): boolean {
  return job.error?.startsWith(DEAD_LETTER_ERROR_PREFIX) ?? false;
}

function view(job: Job): FailedJobView {
  return {
    id: job.id,
    type: job.type,
    ownerId: job.ownerId,
    priority: job.priority,
    generation: job.generation,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    createdAt: job.createdAt,
    failedAt: job.completedAt,
    deadLettered: isDeadLettered(job),
    error: job.error,
  };
}
