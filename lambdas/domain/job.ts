/**
 * The job record and its status machine. Pure functions: they compute the record a transition
 * leads to; the store applies it with a conditional write. No AWS imports here.
 */
import type { JsonObject } from './json.ts';

/** A payload kept outside the record (the claim check): where, how big, and its SHA-256. */
export interface PayloadRef {
  readonly key: string;
  readonly bytes: number;
  /** Hex SHA-256 of the bytes. */
  readonly sha256: string;
}

export const JOB_STATUSES = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Lowest first. Each priority is a band with its own queue and its share of the workers. */
export const JOB_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type JobPriority = (typeof JOB_PRIORITIES)[number];


export interface JobProgress {
  /** 0..100 */
  readonly percent: number;
  readonly message: string | null;
}

/** The full stored record. Fields below `updatedAt` are internal and never returned to clients. */
export interface Job {
  readonly id: string;
  readonly type: string;
  readonly status: JobStatus;
  /** The result when kept in the record (small ones); null when in `resultRef` or none yet. */
  readonly result: JsonObject | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly progress: JobProgress | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly updatedAt: string;

  readonly ownerId: string;
  /**
   * When the status last changed (created, claimed, back to PENDING, finished, retried): the
   * list's `updatedAt` order. Progress reports move updatedAt but not this, so they never
   * rewrite the list index.
   */
  readonly statusChangedAt: string;
  /** The input when kept in the record (small ones); null when in `inputRef`. */
  readonly input: unknown;
  /** The input stored outside the record (larger than INLINE_LIMITS.inputBytes). */
  readonly inputRef: PayloadRef | null;
  /** The result stored outside the record (larger than INLINE_LIMITS.resultBytes). */
  readonly resultRef: PayloadRef | null;
  readonly priority: JobPriority;
  /** Runs of the job: 0 at create, +1 per retry. Queue messages carry it. */
  readonly generation: number;
  /** Fencing token of the current (or last) attempt: a new one per claim. */
  readonly runId: string | null;
  /** ISO time after which a PROCESSING attempt is presumed dead and may be claimed again. */
  readonly leaseExpiresAt: string | null;
  /** ISO time at which the reconciler looks at an unfinished job; null once finished. */
  readonly dueAt: string | null;
  /** TTL in epoch seconds; set once finished. */
  readonly expiresAt: number | null;
}

/** What GET /api/jobs/{id} returns: the seed-001 fields plus maxAttempts and progress. */
export interface JobView {
  id: string;
  type: string;
  status: JobStatus;
  result: JsonObject | null;
  error: string | null;
  attempts: number;
  maxAttempts: number;
  progress: JobProgress | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  updatedAt: string;
}

export function toView(job: Job): JobView {
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    result: job.result,
    error: job.error,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    progress: job.status === 'PROCESSING' ? job.progress : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    updatedAt: job.updatedAt,
  };
}

/**
 * A job in a list: its view, except that a result stored outside the record is left out (null)
 * and flagged, so a page never loads payloads and stays small whatever the results are.
 */
export type JobListItem = JobView & { resultOmitted?: true };

export function toListItem(job: Job): JobListItem {
  return job.resultRef ? { ...toView(job), result: null, resultOmitted: true } : toView(job);
}

/**
 * What a caller may do, by the job's status. The worker's own transitions (claim, complete, fail,
 * requeue) are conditional writes fenced on the attempt: see JobStore.
 */
const TRANSITIONS = {
  cancel: ['PENDING', 'PROCESSING'],
  retry: ['FAILED', 'CANCELLED'],
} as const satisfies Record<string, readonly JobStatus[]>;

export type JobAction = keyof typeof TRANSITIONS;

export function allowedFrom(action: JobAction): readonly JobStatus[] {
  return TRANSITIONS[action];
}

export function canTransition(status: JobStatus, action: JobAction): boolean {
  return (TRANSITIONS[action] as readonly JobStatus[]).includes(status);
}

/** Timing rules shared by the service, the worker and the reconciler. */
export interface LifecycleSettings {
  /** How long a PENDING job may wait for its message before the reconciler re-sends it. */
  readonly stalePendingMs: number;
  /** Extra time past a lease before the reconciler treats the attempt as lost. */
  readonly leaseGraceMs: number;
  /** How long finished jobs are kept (DynamoDB TTL). */
  readonly retentionMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ttl = (now: Date, settings: LifecycleSettings) =>
  Math.floor((now.getTime() + settings.retentionMs) / 1000);

export interface NewJob {
  id: string;
  ownerId: string;
  type: string;
  /** The input, or null when it is stored outside the record (`inputRef`). */
  input: unknown;
  inputRef?: PayloadRef | null;
  priority: JobPriority;
  maxAttempts: number;
}

export function createJob(spec: NewJob, now: Date, settings: LifecycleSettings): Job {
  const at = now.toISOString();
  return {
    ...spec,
    inputRef: spec.inputRef ?? null,
    resultRef: null,
    status: 'PENDING',
    result: null,
    error: null,
    attempts: 0,
    progress: null,
    createdAt: at,
    startedAt: null,
    completedAt: null,
    updatedAt: at,
    statusChangedAt: at,
    generation: 0,
    runId: null,
    leaseExpiresAt: null,
    dueAt: iso(now.getTime() + settings.stalePendingMs),
    expiresAt: null,
  };
}

/** A partial record: the fields a transition sets. `null` clears a field. */
export type JobPatch = Partial<Omit<Job, 'id' | 'ownerId' | 'type' | 'input' | 'inputRef' | 'createdAt' | 'maxAttempts'>>;

/** A result as the record keeps it: in the record, or a reference to the stored payload. */
export type StoredResult = { readonly result: JsonObject } | { readonly resultRef: PayloadRef };

/** What every finished job's record holds: finished now, no attempt, not due, expiring with the retention. */
function finished(now: Date, settings: LifecycleSettings): JobPatch {
  const at = now.toISOString();
  return { progress: null, completedAt: at, updatedAt: at, statusChangedAt: at, leaseExpiresAt: null, dueAt: null, expiresAt: ttl(now, settings) };
}

export function cancelPatch(now: Date, settings: LifecycleSettings): JobPatch {
  return { status: 'CANCELLED', ...finished(now, settings) };
}

/** A new run of a FAILED or CANCELLED job (whose current run is `job.generation`). */
export function retryPatch(job: Pick<Job, 'generation'>, now: Date, settings: LifecycleSettings): JobPatch {
  const at = now.toISOString();
  return {
    status: 'PENDING',
    generation: job.generation + 1,
    attempts: 0,
    result: null,
    resultRef: null,
    error: null,
    progress: null,
    startedAt: null,
    completedAt: null,
    updatedAt: at,
    statusChangedAt: at,
    runId: null,
    leaseExpiresAt: null,
    dueAt: iso(now.getTime() + settings.stalePendingMs),
    expiresAt: null,
  };
}

export function completePatch(stored: StoredResult, now: Date, settings: LifecycleSettings): JobPatch {
  return {
    status: 'COMPLETED',
    result: 'result' in stored ? stored.result : null,
    resultRef: 'resultRef' in stored ? stored.resultRef : null,
    error: null,
    ...finished(now, settings),
  };
}

export function failPatch(error: string, now: Date, settings: LifecycleSettings): JobPatch {
  return { status: 'FAILED', error, ...finished(now, settings) };
}

/**
 * Back to PENDING after a failed or lost attempt. The next attempt runs at `nextAttemptAt` (its
 * message is delayed until then); the reconciler looks at the job stalePendingMs later.
 */
export function requeuePatch(error: string, nextAttemptAt: Date, now: Date, settings: LifecycleSettings): JobPatch {
  return {
    status: 'PENDING',
    error,
    progress: null,
    updatedAt: now.toISOString(),
    statusChangedAt: now.toISOString(),
    leaseExpiresAt: null,
    dueAt: iso(nextAttemptAt.getTime() + settings.stalePendingMs),
  };
}

export function progressPatch(progress: JobProgress, now: Date): JobPatch {
  return { progress, updatedAt: now.toISOString() };
}

/** Exponential backoff with equal jitter: attempt 1 → ~base, 2 → ~2×base, … capped at max. */
export function retryDelaySeconds(
  attempt: number,
  baseSeconds: number,
  maxSeconds: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
