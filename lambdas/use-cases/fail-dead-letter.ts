/**
 * The DLQ consumer's use case: a job whose message exhausted delivery (the worker crashed or
 * timed out every time) ends FAILED, unless it finished meanwhile or was retried since the
 * message was sent (the message then belongs to an earlier run). No AWS imports here.
 */
import { noMetrics, systemClock, type Clock, type JobMetrics, type JobRef, type JobStore, type Logger } from '../domain/ports.ts';
import { recordOutcome, type RunOutcome } from './outcome.ts';

/** How the error of every dead-lettered job begins (the operator command lists them by it). */
export const DEAD_LETTER_ERROR_PREFIX =
  'The job could not be processed: its message was delivered repeatedly without an outcome being recorded';

export interface FailDeadLetterDependencies {
  readonly store: JobStore;
  readonly logger: Logger;
  /** @default noMetrics */
  readonly metrics?: JobMetrics;
  readonly clock?: Clock;
}

export class FailDeadLetter {
  constructor(private readonly deps: FailDeadLetterDependencies) {}

  async fail(message: JobRef): Promise<RunOutcome> {
    const { store, logger, clock = systemClock, metrics = noMetrics } = this.deps;
    const job = await store.get(message.id);
    // Every message that reached the DLQ counts, whatever became of its job.
    metrics.deadLettered(job?.type ?? 'unknown');
    if (!job) return { kind: 'done', detail: 'job not found' };
    if (job.generation !== message.generation) {
      return { kind: 'done', detail: `message of run ${message.generation}; the job is on run ${job.generation}` };
    }
    if (job.status !== 'PENDING' && job.status !== 'PROCESSING') {
      return { kind: 'done', detail: `already ${job.status}` };
    }
    const error = `${DEAD_LETTER_ERROR_PREFIX} (the worker crashed or timed out; ${job.attempts} attempt(s) started)`;
    const expected = { runId: job.runId, generation: job.generation };
    const outcome = await recordOutcome(() => store.failUndeliverable(job.id, expected, error, clock()), logger);
    if (outcome.kind === 'done' && outcome.detail === 'recorded') metrics.failed(job.type, 'DeadLettered');
    return outcome;
  }
}
