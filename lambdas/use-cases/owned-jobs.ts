/**
 * What the API's use cases share: a caller sees only their own jobs (another caller's job reads
 * as missing), an owner's action applies to the job as they read it, and a job's message is sent
 * or, failing that, left to the reconciler. No AWS imports here.
 */
import { ConcurrentUpdateError, InvalidTransitionError, JobNotFoundError } from '../domain/errors.ts';
import { canTransition, jobLogFields, type Job, type JobAction } from '../domain/job.ts';
import type { Clock, JobQueue, JobReader, JobStore, Logger, OwnerExpectation } from '../domain/ports.ts';

/**
 * May the caller act on this job of theirs (a workspace member's role: their own jobs only)?
 * Throws when not; called after the job was found.
 */
export type JobCheck = (job: Job) => void;

/** The caller's job record as stored; JobNotFoundError when missing or someone else's; then `check`. */
export async function findOwnJob(store: JobReader, ownerId: string, id: string, check?: JobCheck): Promise<Job> {
  const job = await store.get(id);
  if (!job || job.ownerId !== ownerId) throw new JobNotFoundError(id);
  check?.(job);
  return job;
}

/** Whether a principal may read a job that is not theirs: a job of a workspace they belong to (WorkspaceAccess.canRead). */
export interface ReadAccess {
  canRead(job: Job, principalId: string): Promise<boolean>;
}

/**
 * A job the caller may read: their own (under `ownerId`, their principal id or a workspace's owner
 * key), or, given `access`, a workspace job of a workspace they are a member of (one more read).
 * JobNotFoundError otherwise, exactly as for a missing job.
 */
export async function findReadableJob(store: JobReader, ownerId: string, id: string, access?: ReadAccess): Promise<Job> {
  const job = await store.get(id);
  if (job && (job.ownerId === ownerId || (access && job.workspaceId !== null && (await access.canRead(job, ownerId))))) return job;
  throw new JobNotFoundError(id);
}

/**
 * Applies an owner's action to their job as they read it. A lost race re-reads the job and
 * decides again; three rounds are plenty for a human caller (then ConcurrentUpdateError: a 409
 * asking to read the job again).
 */
export async function applyOwnerAction(
  store: JobStore,
  ownerId: string,
  id: string,
  action: JobAction,
  apply: (job: Job, expected: OwnerExpectation) => Promise<Job>,
  check?: JobCheck,
): Promise<Job> {
  for (let round = 0; ; round++) {
    const job = await findOwnJob(store, ownerId, id, check);
    if (!canTransition(job.status, action)) throw new InvalidTransitionError(id, job.status, action);
    try {
      return await apply(job, { ownerId: job.ownerId, runId: job.runId, generation: job.generation });
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || round >= 2) throw error;
    }
  }
}

export interface SendJobDependencies {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly clock: Clock;
}

/**
 * Sends the job's message (delayed by `delaySeconds`: a scheduled job's). If the send fails the job is already stored as PENDING with a dueAt,
 * so the reconciler re-sends it: the create or retry still succeeds and nothing is lost. dueAt is
 * pulled forward so that happens on the reconciler's next run.
 */
export async function sendJob(deps: SendJobDependencies, job: Job, delaySeconds = 0): Promise<void> {
  try {
    await deps.queue.enqueue(job, delaySeconds);
  } catch (error) {
    deps.logger.warn('enqueue failed; the reconciler will send the job', { ...jobLogFields(job), error });
    try {
      await deps.store.markDue(job.id, { runId: job.runId, generation: job.generation }, deps.clock());
    } catch (markError) {
      deps.logger.warn('could not mark the job due; it is sent when its dueAt passes', { ...jobLogFields(job), error: markError });
    }
  }
}
