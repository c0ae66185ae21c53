/**
 * The worker's use case: run one attempt of a job, if it can be claimed. At-least-once delivery
 * is assumed throughout: the attempt is claimed with a conditional write and its progress and
 * outcome are written fenced on the attempt's runId, so duplicates, late attempts and
 * cancellations cannot overwrite newer state. No AWS imports here.
 */
import {
  AttemptAbandonedError,
  AttemptTimeoutError,
  ConcurrentUpdateError,
  DomainError,
  NonRetryableError,
  PayloadMissingError,
  RecordTooLargeError,
} from '../domain/errors.ts';
import { QUEUE_MAX_DELAY_SECONDS, queueDelayMs, retryDelaySeconds, type Job, type JobProgress } from '../domain/job.ts';
import type { JobType, JobTypeCatalog, ProcessorContext, SourceJob } from '../domain/job-types.ts';
import { isJsonObject, type JsonObject } from '../domain/json.ts';
import { jsonBytes, loadInput, loadResult, MAX_RESULT_BYTES, payloadKeys, storeResult, UPLOADS } from '../domain/payloads.ts';
import { noMetrics, systemClock, type AttemptRef, type Clock, type IdGenerator, type JobMetrics, type JobRef, type AttemptStore, type Logger, type PayloadStore } from '../domain/ports.ts';
import type { FailureClass } from '../shared/metric-catalog.ts';
import { recordOutcome, type RunOutcome } from './outcome.ts';

const MAX_ERROR_LENGTH = 1000;
const MAX_PROGRESS_MESSAGE_LENGTH = 200;

export interface AttemptSettings {
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  /** Time kept back from the invocation deadline to record the outcome. */
  readonly finishMarginMs: number;
}

export interface RunAttemptDependencies {
  readonly store: AttemptStore;
  /** Inputs and results too large for the record, and uploaded documents. */
  readonly payloads: PayloadStore;
  readonly types: JobTypeCatalog<JobType<any>>;
  readonly settings: AttemptSettings;
  readonly logger: Logger;
  /** @default noMetrics */
  readonly metrics?: JobMetrics;
  readonly clock?: Clock;
  readonly newRunId?: IdGenerator;
  readonly random?: () => number;
}

export class RunAttempt {
  private readonly clock: Clock;
  private readonly newRunId: IdGenerator;
  private readonly random: () => number;
  private readonly metrics: JobMetrics;

  constructor(private readonly deps: RunAttemptDependencies) {
    this.clock = deps.clock ?? systemClock;
    this.metrics = deps.metrics ?? noMetrics;
    this.newRunId = deps.newRunId ?? (() => crypto.randomUUID());
    this.random = deps.random ?? Math.random;
  }

  /**
   * The most time an attempt of any registered type may take, its outcome recorded included (the
   * longest type timeout plus the finish margin): a message started with less left before the
   * invocation's deadline could get a shortened budget.
   */
  longestAttemptMs(): number {
    const longest = Math.max(0, ...this.deps.types.all().map((type) => type.timeoutSeconds));
    return longest * 1000 + this.deps.settings.finishMarginMs;
  }

  /**
   * Runs one attempt of the job, if it can be claimed.
   * @param deadline epoch ms by which the invocation must have recorded the outcome.
   */
  async run(message: JobRef, deadline: number): Promise<RunOutcome> {
    const jobId = message.id;
    const { store } = this.deps;
    const now = this.clock();
    const leaseExpiresAt = new Date(Math.max(deadline, now.getTime()) + 5_000);
    const runId = this.newRunId();
    const job = await store.claim(jobId, {
      runId,
      generation: message.generation,
      now: now.toISOString(),
      leaseExpiresAt: leaseExpiresAt.toISOString(),
    });
    if (!job) return this.notClaimed(message, now);
    const claimedAt = Date.now();
    const delay = queueDelayMs(job, now);
    if (delay !== null) this.metrics.queueDelay(job.type, delay);
    // The record's request id; a message may carry it for a record written before it was kept.
    const requestId = job.requestId ?? message.requestId ?? null;
    const logger = this.deps.logger.child({ jobId, ...(requestId ? { requestId } : {}), type: job.type, attempt: job.attempts, runId });
    const outcome = await this.runClaimed(job, { runId }, deadline, now, logger);
    this.metrics.attemptDuration(job.type, Date.now() - claimedAt);
    return outcome;
  }

  /** The claimed attempt: its input loaded and checked, the processor run, the outcome recorded. */
  private async runClaimed(job: Job, fence: AttemptRef, deadline: number, now: Date, logger: Logger): Promise<RunOutcome> {
    const { store, settings } = this.deps;
    const type = this.deps.types.get(job.type);
    if (!type) return this.fail(job, fence, `Unknown job type ${job.type}: no processor is registered`, logger, 'InvalidInput');
    let storedInput: unknown;
    try {
      storedInput = await loadInput(this.deps.payloads, job);
    } catch (error) {
      // Unavailable storage throws on: the message comes back and the lease runs out.
      if (!(error instanceof PayloadMissingError)) throw error;
      logger.warn('input payload missing', { error });
      return this.fail(job, fence, "The job's input is no longer stored (inputs are kept as long as finished jobs)", logger, 'InvalidInput');
    }
    const input = type.input.safeParse(storedInput);
    if (!input.success) {
      return this.fail(job, fence, `The stored input is not valid for job type ${job.type}`, logger, 'InvalidInput');
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
      const outcome = await recordOutcome(() => store.complete(job.id, fence, stored, this.clock()), logger);
      if (recorded(outcome)) this.metrics.completed(job.type);
      logger.info('attempt completed', { durationMs: Date.now() - started });
      return outcome;
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      return this.fail(job, fence, 'The result is too large to store with the job', logger, 'NonRetryable');
    }
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
    if (error instanceof NonRetryableError) return this.fail(job, fence, message, logger, 'NonRetryable');
    if (job.attempts >= job.maxAttempts) return this.fail(job, fence, message, logger, 'AttemptsExhausted');
    const delaySeconds = retryDelaySeconds(
      job.attempts,
      settings.retryBaseDelaySeconds,
      settings.retryMaxDelaySeconds,
      this.random,
    );
    const outcome = await recordOutcome(() => {
      const now = this.clock();
      return this.deps.store.requeue(job.id, fence, message, new Date(now.getTime() + delaySeconds * 1000), now);
    }, logger);
    if (!recorded(outcome)) return outcome;
    this.metrics.requeued(job.type);
    logger.info('attempt will be retried', { delaySeconds });
    return { kind: 'retry-later', delaySeconds };
  }

  private async fail(job: Job, fence: AttemptRef, message: string, logger: Logger, failureClass: FailureClass): Promise<RunOutcome> {
    logger.warn('job failed', { error: message, failureClass });
    const outcome = await recordOutcome(() => this.deps.store.fail(job.id, fence, message, this.clock()), logger);
    if (recorded(outcome)) this.metrics.failed(job.type, failureClass);
    return outcome;
  }

  /**
   * A message that could not start an attempt is acknowledged, except one that came before its
   * scheduled job's time (a re-send): it comes back when the job may start. One that early by more
   * than the queue's longest delay is dropped: the reconciler sends the job when its time is near.
   */
  private async notClaimed(message: JobRef, now: Date): Promise<RunOutcome> {
    const jobId = message.id;
    const ids = { jobId, ...(message.requestId ? { requestId: message.requestId } : {}) };
    const current = await this.deps.store.get(jobId);
    const early =
      current?.status === 'PENDING' && current.generation === message.generation && current.scheduledAt !== null
        ? Math.ceil((Date.parse(current.scheduledAt) - now.getTime()) / 1000)
        : 0;
    if (early > 0 && early <= QUEUE_MAX_DELAY_SECONDS) {
      this.deps.logger.info('message came before the job\'s scheduled time; deferred', { ...ids, delaySeconds: early });
      return { kind: 'retry-later', delaySeconds: early };
    }
    const detail = early > 0 ? `scheduled at ${current!.scheduledAt}` : current ? `not claimable (${current.status}, attempts ${current.attempts})` : 'job not found';
    this.deps.logger.info('message acknowledged without running', { ...ids, detail });
    return { kind: 'done', detail };
  }
}

/** The outcome was written (not superseded by a cancel or a takeover). */
function recorded(outcome: RunOutcome): boolean {
  return outcome.kind === 'done' && outcome.detail === 'recorded';
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
