/**
 * The worker's use cases: run one attempt of a job, fail jobs whose messages exhausted
 * delivery, and reconcile jobs that are stuck. At-least-once delivery is assumed throughout:
 * attempts are claimed with a conditional write and finished with a write fenced on the
 * attempt's runId, so duplicates, late attempts and cancellations cannot overwrite newer state.
 * No AWS imports here.
 */
import {
  AttemptAbandonedError,
  AttemptTimeoutError,
  ConcurrentUpdateError,
  DomainError,
  NonRetryableError,
  PayloadMissingError,
  RecordTooLargeError,
} from './errors.ts';
import { jsonBytes, loadInput, loadResult, MAX_RESULT_BYTES, payloadKeys, storeResult, UPLOADS } from './payloads.ts';
import { retryDelaySeconds, type Job, type JobProgress, type LifecycleSettings } from './job.ts';
import type { JobType, JobTypeCatalog, Logger, ProcessorContext, SourceJob } from './job-types.ts';
import { isJsonObject, type JsonObject } from './json.ts';
import type { AttemptRef, Clock, DuePosition, IdGenerator, JobQueue, JobRef, JobStore, PayloadStore } from './ports.ts';

const MAX_ERROR_LENGTH = 1000;
const MAX_PROGRESS_MESSAGE_LENGTH = 200;

export interface RunnerSettings {
  readonly lifecycle: LifecycleSettings;
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  /** Time kept back from the invocation deadline to record the outcome. */
  readonly finishMarginMs: number;
}

export interface RunnerDependencies {
  readonly store: JobStore;
  readonly queue: JobQueue;
  /** Inputs and results too large for the record. */
  readonly payloads: PayloadStore;
  readonly types: JobTypeCatalog<JobType<any>>;
  readonly settings: RunnerSettings;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly newRunId?: IdGenerator;
  readonly random?: () => number;
}

/** What the event source should do with the message. */
export type RunOutcome =
  | { readonly kind: 'done'; readonly detail: string }
  | { readonly kind: 'retry-later'; readonly delaySeconds: number };

export interface ReconcileOptions {
  /** Due jobs read per page (default 100). */
  readonly pageSize?: number;
  /** Stop starting new pages after this long (default 40 s, within the reconciler's 60 s timeout). */
  readonly budgetMs?: number;
  /** Jobs settled at once (default 10). */
  readonly concurrency?: number;
}

/** Later than any dueAt. */
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';

export interface ReconcileReport {
  readonly resent: number;
  readonly requeued: number;
  readonly failed: number;
  readonly skipped: number;
}

export class JobRunner {
  private readonly clock: Clock;
  private readonly newRunId: IdGenerator;
  private readonly random: () => number;

  constructor(private readonly deps: RunnerDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.newRunId = deps.newRunId ?? (() => crypto.randomUUID());
    this.random = deps.random ?? Math.random;
  }

  /**
   * Runs one attempt of the job, if it can be claimed.
   * @param deadline epoch ms by which the invocation must have recorded the outcome.
   */
  async run(message: JobRef, deadline: number): Promise<RunOutcome> {
    const jobId = message.id;
    const { store, settings } = this.deps;
    const now = this.clock();
    const leaseExpiresAt = new Date(Math.max(deadline, now.getTime()) + 5_000);
    const runId = this.newRunId();
    const job = await store.claim(jobId, {
      runId,
      generation: message.generation,
      now: now.toISOString(),
      leaseExpiresAt: leaseExpiresAt.toISOString(),
    });
    if (!job) return this.notClaimed(jobId);

    const logger = childLogger(this.deps.logger, { jobId, type: job.type, attempt: job.attempts, runId });
    const fence: AttemptRef = { runId };
    const type = this.deps.types.get(job.type);
    if (!type) return this.fail(job, fence, `Unknown job type ${job.type}: no processor is registered`, logger);
    let storedInput: unknown;
    try {
      storedInput = await loadInput(this.deps.payloads, job);
    } catch (error) {
      // Unavailable storage throws on: the message comes back and the lease runs out.
      if (!(error instanceof PayloadMissingError)) throw error;
      logger.warn('input payload missing', { error });
      return this.fail(job, fence, "The job's input is no longer stored (inputs are kept as long as finished jobs)", logger);
    }
    const input = type.input.safeParse(storedInput);
    if (!input.success) {
      return this.fail(job, fence, `The stored input is not valid for job type ${job.type}`, logger);
    }

    const budgetMs = Math.min(type.timeoutSeconds * 1000, deadline - settings.finishMarginMs - now.getTime());
    logger.info('attempt started', { maxAttempts: job.maxAttempts, budgetMs });
    const started = Date.now();
    let result: JsonObject;
    try {
      result = await this.attempt(job, type, input.data, fence, budgetMs, logger);
    } catch (error) {
      logger.warn('attempt failed', { durationMs: Date.now() - started, error });
      return this.afterFailure(job, fence, error, logger);
    }
    // Outside the try: a failure to record a good result is not a failed attempt. A throttled
    // write throws (the message comes back, the lease runs out, the reconciler settles it).
    try {
      const stored = await storeResult(this.deps.payloads, job.id, job.generation, result);
      const outcome = await this.finish(() => store.complete(job.id, fence, stored, this.clock()), logger);
      logger.info('attempt completed', { durationMs: Date.now() - started });
      return outcome;
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      return this.fail(job, fence, 'The result is too large to store with the job', logger);
    }
  }

  /**
   * Marks a job FAILED because its message exhausted delivery (the worker crashed or timed
   * out every time). A job that already finished is left alone, and so is a job retried since
   * the message was sent: the message belongs to an earlier run.
   */
  async failExhausted(message: JobRef): Promise<RunOutcome> {
    const job = await this.deps.store.get(message.id);
    if (!job) return { kind: 'done', detail: 'job not found' };
    if (job.generation !== message.generation) {
      return { kind: 'done', detail: `message of run ${message.generation}; the job is on run ${job.generation}` };
    }
    if (job.status !== 'PENDING' && job.status !== 'PROCESSING') {
      return { kind: 'done', detail: `already ${job.status}` };
    }
    const error =
      'The job could not be processed: its message was delivered repeatedly without an outcome being ' +
      `recorded (the worker crashed or timed out; ${job.attempts} attempt(s) started)`;
    const expected = { runId: job.runId, generation: job.generation };
    return this.finish(() => this.deps.store.failUndeliverable(job.id, expected, error, this.clock()), this.deps.logger);
  }

  /**
   * Looks at unfinished jobs whose dueAt has passed, reading each record (the due index holds
   * only keys): re-sends PENDING jobs whose message was lost (a failed send after create or
   * retry, or a message that waited too long), and treats PROCESSING jobs whose lease is long
   * gone as a lost attempt (requeued if attempts remain, FAILED otherwise); a job still running
   * is looked at again when its lease would be long gone. Walks the due jobs once, page after
   * page, until none is left or the time budget is spent: every job it settles gets a later
   * dueAt, so it is not seen again in this run.
   */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const now = this.clock();
    const started = Date.now();
    const report = { resent: 0, requeued: 0, failed: 0, skipped: 0 };
    let after: DuePosition | undefined;
    do {
      const page = await this.deps.store.findDue(now.toISOString(), options.pageSize ?? 100, after);
      const jobs = await this.deps.store.getMany(page.jobs.map((job) => job.id));
      report.skipped += page.jobs.length - jobs.length;
      await this.settle(jobs, now, 'due', options.concurrency ?? 10, report);
      after = page.next ?? undefined;
    } while (after && Date.now() - started < (options.budgetMs ?? 40_000));
    if (report.resent + report.requeued + report.failed + report.skipped > 0) this.deps.logger.info('reconciled', { ...report });
    return report;
  }

  /**
   * Every unfinished job, due or not, as it is now: what a process that stopped left behind.
   * Take it before any worker of the new process starts, then settle it with `recover`.
   */
  async unfinished(pageSize = 1000): Promise<readonly Job[]> {
    const jobs: Job[] = [];
    let after: DuePosition | undefined;
    do {
      const page = await this.deps.store.findDue(FAR_FUTURE, pageSize, after);
      const records = await this.deps.store.getMany(page.jobs.map((job) => job.id));
      jobs.push(...records.filter((job) => job.status === 'PENDING' || job.status === 'PROCESSING'));
      after = page.next ?? undefined;
    } while (after);
    return jobs;
  }

  /**
   * Settles jobs that no worker can still be running (the local runtime after a restart: its
   * workers died with the old process), each exactly once: a PENDING job's message is sent again
   * (after what is left of its retry backoff), and a PROCESSING job counts as a lost attempt.
   * Every write is guarded on the job as it was read, so a job that moved on since (a new
   * worker claimed it, its owner cancelled it) is skipped.
   */
  async recover(
    jobs: readonly Job[],
    options: { readonly concurrency?: number; readonly signal?: AbortSignal } = {},
  ): Promise<ReconcileReport> {
    const report = { resent: 0, requeued: 0, failed: 0, skipped: 0 };
    await this.settle(jobs, this.clock(), 'recover', options.concurrency ?? 16, report, options.signal);
    if (jobs.length > 0) this.deps.logger.info('recovered unfinished jobs', { ...report });
    return report;
  }

  private async settle(
    jobs: readonly Job[],
    now: Date,
    mode: 'due' | 'recover',
    concurrency: number,
    report: { resent: number; requeued: number; failed: number; skipped: number },
    signal?: AbortSignal,
  ): Promise<void> {
    let next = 0;
    const lane = async () => {
      for (let index = next++; index < jobs.length && !signal?.aborted; index = next++) {
        const job = jobs[index]!;
        try {
          report[await this.reconcileOne(job, now, mode)]++;
        } catch (error) {
          report.skipped++;
          if (!(error instanceof ConcurrentUpdateError)) {
            this.deps.logger.warn('reconcile failed for a job', { jobId: job.id, error });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, lane));
  }

  private async reconcileOne(job: Job, now: Date, mode: 'due' | 'recover'): Promise<'resent' | 'requeued' | 'failed' | 'skipped'> {
    const { store, queue, settings } = this.deps;
    const { stalePendingMs, leaseGraceMs } = settings.lifecycle;
    if (job.status === 'PENDING' && job.dueAt !== null) {
      // A job waiting out a retry backoff (dueAt = next attempt + stalePendingMs) is sent with
      // what is left of it after a restart; an overdue one at once.
      const delaySeconds =
        mode === 'recover' ? Math.max(0, Math.ceil((Date.parse(job.dueAt) - stalePendingMs - now.getTime()) / 1000)) : 0;
      await store.resend(job.id, { dueAt: job.dueAt }, new Date(now.getTime() + delaySeconds * 1000 + stalePendingMs));
      await queue.enqueue(job, delaySeconds);
      return 'resent';
    }
    if (job.status !== 'PROCESSING' || job.runId === null) return 'skipped';
    const attempt = { runId: job.runId };
    const lostAfter = Date.parse(job.leaseExpiresAt ?? '') + leaseGraceMs;
    // After a restart no attempt can be alive; in AWS one may be, until its lease is long gone.
    if (mode === 'due' && Number.isFinite(lostAfter) && lostAfter > now.getTime()) {
      await store.postpone(job.id, attempt, new Date(lostAfter));
      return 'skipped';
    }
    const error = `Attempt ${job.attempts} was lost: the worker stopped without recording an outcome`;
    if (job.attempts >= job.maxAttempts) {
      await store.recoverAttempt(job.id, attempt, error, now, 'fail');
      return 'failed';
    }
    await store.recoverAttempt(job.id, attempt, error, now, 'requeue');
    await queue.enqueue(job);
    return 'requeued';
  }

  private async attempt(
    job: Job,
    type: JobType<any>,
    input: unknown,
    fence: AttemptRef,
    budgetMs: number,
    logger: Logger,
  ): Promise<JsonObject> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeoutError(`Attempt ${job.attempts} timed out after ${Math.round(budgetMs / 1000)} s`)),
      Math.max(0, budgetMs),
    );
    const context: ProcessorContext = {
      jobId: job.id,
      ownerId: job.ownerId,
      attempt: job.attempts,
      maxAttempts: job.maxAttempts,
      signal: controller.signal,
      logger,
      reportProgress: (progress) => this.reportProgress(job.id, fence, progress, controller, logger),
      loadSources: (ids) => this.loadSources(job.ownerId, ids),
      loadDocument: () => this.loadDocument(job.id),
    };
    try {
      // Processors should honour the signal; the race makes sure a stuck one cannot hold us.
      const result = await Promise.race([type.process(input, context), rejectOnAbort(controller.signal)]);
      if (!isJsonObject(result)) throw new NonRetryableError(`Job type ${type.name} returned a result that is not an object`);
      // GET answers the result whole, within Lambda's 6 MB response.
      const bytes = jsonBytes(result).byteLength;
      if (bytes > MAX_RESULT_BYTES) {
        throw new NonRetryableError(`The result is too large to store (${bytes} bytes; the limit is ${MAX_RESULT_BYTES})`);
      }
      return result;
    } finally {
      clearTimeout(timer);
      if (!controller.signal.aborted) controller.abort(new AttemptAbandonedError('attempt finished'));
    }
  }

  private async loadSources(ownerId: string, ids: readonly string[]): Promise<readonly SourceJob[]> {
    const jobs = await Promise.all(ids.map((id) => this.deps.store.get(id)));
    return Promise.all(
      jobs.map(async (source, index) => {
        const id = ids[index]!;
        if (!source || source.ownerId !== ownerId) throw new NonRetryableError(`Source job ${id} no longer exists`);
        if (source.status !== 'COMPLETED') throw new NonRetryableError(`Source job ${id} is ${source.status}, no longer COMPLETED`);
        let result;
        try {
          result = await loadResult(this.deps.payloads, source);
        } catch (error) {
          if (!(error instanceof PayloadMissingError)) throw error;
          throw new NonRetryableError(`Source job ${id} no longer has its result stored`);
        }
        if (!result) throw new NonRetryableError(`Source job ${id} has no result`);
        return { id: source.id, type: source.type, result };
      }),
    );
  }

  private async loadDocument(jobId: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.deps.payloads.read(payloadKeys.document(jobId));
    } catch (error) {
      if (!(error instanceof PayloadMissingError)) throw error;
      throw new NonRetryableError('The uploaded document is no longer stored (documents are kept as long as finished jobs)');
    }
    if (bytes.byteLength > UPLOADS.maxBytes) {
      throw new NonRetryableError(`The uploaded document is ${bytes.byteLength} bytes; the limit is ${UPLOADS.maxBytes}`);
    }
    return bytes;
  }

  private async reportProgress(
    jobId: string,
    fence: AttemptRef,
    progress: JobProgress,
    controller: AbortController,
    logger: Logger,
  ): Promise<void> {
    if (controller.signal.aborted) return;
    const clean: JobProgress = {
      percent: Math.min(100, Math.max(0, Math.round(Number(progress.percent) || 0))),
      message: progress.message ? String(progress.message).slice(0, MAX_PROGRESS_MESSAGE_LENGTH) : null,
    };
    try {
      await this.deps.store.reportProgress(jobId, fence, clean, this.clock());
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) {
        // Cancelled, or the lease was taken over: stop working on it.
        controller.abort(new AttemptAbandonedError('The job was cancelled or taken over during the attempt'));
        return;
      }
      logger.warn('progress not recorded', { error });
    }
  }

  private async afterFailure(job: Job, fence: AttemptRef, error: unknown, logger: Logger): Promise<RunOutcome> {
    if (error instanceof AttemptAbandonedError) return { kind: 'done', detail: 'attempt abandoned (cancelled)' };
    const message = errorMessage(error);
    const { settings } = this.deps;
    if (error instanceof NonRetryableError) return this.fail(job, fence, message, logger);
    if (job.attempts >= job.maxAttempts) return this.fail(job, fence, message, logger);
    const delaySeconds = retryDelaySeconds(
      job.attempts,
      settings.retryBaseDelaySeconds,
      settings.retryMaxDelaySeconds,
      this.random,
    );
    const outcome = await this.finish(() => {
      const now = this.clock();
      return this.deps.store.requeue(job.id, fence, message, new Date(now.getTime() + delaySeconds * 1000), now);
    }, logger);
    if (outcome.kind === 'done' && outcome.detail !== 'recorded') return outcome;
    logger.info('attempt will be retried', { delaySeconds });
    return { kind: 'retry-later', delaySeconds };
  }

  private fail(job: Job, fence: AttemptRef, message: string, logger: Logger): Promise<RunOutcome> {
    logger.warn('job failed', { error: message });
    return this.finish(() => this.deps.store.fail(job.id, fence, message, this.clock()), logger);
  }

  /** Writes the outcome if the attempt still owns the job; a lost fence means someone else won. */
  private async finish(write: () => Promise<void>, logger: Logger): Promise<RunOutcome> {
    try {
      await write();
      return { kind: 'done', detail: 'recorded' };
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      logger.info('outcome not recorded: the job changed during the attempt (cancelled or taken over)');
      return { kind: 'done', detail: 'superseded' };
    }
  }

  private async notClaimed(jobId: string): Promise<RunOutcome> {
    const current = await this.deps.store.get(jobId);
    const detail = current ? `not claimable (${current.status}, attempts ${current.attempts})` : 'job not found';
    this.deps.logger.info('message acknowledged without running', { jobId, detail });
    return { kind: 'done', detail };
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * The error a client sees. Domain errors (RetryableError, NonRetryableError, the adapters'
 * translated errors) carry messages written for clients; anything else may hold internals, so
 * only its name is shown (the full error is in the worker's log).
 */
function errorMessage(error: unknown): string {
  const message =
    error instanceof DomainError
      ? error.message || error.name
      : `Unexpected error in the job processor (${error instanceof Error ? error.name : typeof error}); see the worker logs`;
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message;
}

function childLogger(logger: Logger, fields: Record<string, unknown>): Logger {
  const child = (logger as { child?: (f: Record<string, unknown>) => Logger }).child;
  return child ? child.call(logger, fields) : logger;
}
