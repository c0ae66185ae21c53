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
  /** When a scheduled job may start (the create's `runAt`); null for a job that runs at once. */
  readonly scheduledAt: string | null;

  /**
   * Whose list, quota and idempotency keys the job counts in: the creator's principal id for a
   * personal job, `ws#<workspaceId>` for a workspace's (workspaceOwnerKey).
   */
  readonly ownerId: string;
  /** The workspace the job lives in; null for a personal job. */
  readonly workspaceId: string | null;
  /** The principal (user or machine client) that created the job. */
  readonly createdBy: string;
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
  /** Created COMPLETED with the result of an earlier job (result reuse): no model call. */
  readonly fromCache: boolean;
  /**
   * Hash of (owner, type, canonical input) for types that allow result reuse; null otherwise and
   * on jobs created from the cache (so a reused result never counts as freshly completed).
   */
  readonly reuseKey: string | null;
  /**
   * The API request id of the create (API Gateway's requestContext.requestId): every log line
   * about the job carries it, in every function and across retries (a retry keeps it). Null on
   * records written before it was kept.
   */
  readonly requestId: string | null;
  /**
   * Since when the job waits to be claimed: created (or its scheduled time), retried, or the time
   * its next attempt may start after a failed or lost one. A claim leaves it: the queue delay
   * metric is the claim's time minus this. Null on records written before it was kept.
   */
  readonly queuedAt: string | null;
}

/**
 * Seed 002's queue, run and total times, computed from the record's own timestamps (no write
 * of their own). The clock starts at `scheduledAt` for a scheduled job, else at `createdAt`;
 * the run starts at the first claim of the current run (`startedAt`), so `runMs` includes the
 * backoff between attempts. Each is null until its end is known.
 */
export interface JobTimings {
  queuedMs: number | null;
  runMs: number | null;
  totalMs: number | null;
}

export function timingsOf(job: Pick<Job, 'createdAt' | 'scheduledAt' | 'startedAt' | 'completedAt'>): JobTimings {
  const base = Date.parse(job.scheduledAt ?? job.createdAt);
  const started = job.startedAt === null ? null : Date.parse(job.startedAt);
  const finished = job.completedAt === null ? null : Date.parse(job.completedAt);
  const span = (from: number | null, to: number | null) => (from === null || to === null ? null : Math.max(0, to - from));
  return { queuedMs: span(base, started), runMs: span(started, finished), totalMs: span(base, finished) };
}

/** What GET /api/jobs/{id} returns: the seed-001 fields plus maxAttempts, progress, priority (seed 003), fromCache, scheduledAt and timings. */
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
  /** `low`, `normal`, `high` or `urgent`: the band the job's messages go to. */
  priority: JobPriority;
  /** True when the job was created COMPLETED with an earlier job's result (`reuse`). */
  fromCache: boolean;
  scheduledAt: string | null;
  timings: JobTimings;
  /** The workspace the job lives in; null for a personal job (issue 11). */
  workspaceId: string | null;
  /** The principal id that created it (issue 11). */
  createdBy: string;
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
    priority: job.priority,
    fromCache: job.fromCache,
    scheduledAt: job.scheduledAt,
    timings: timingsOf(job),
    workspaceId: job.workspaceId,
    createdBy: job.createdBy,
  };
}

/** What GET /api/jobs/{id}/status returns: the smallest answer a poller needs (seed 003). */
export interface JobStatusView {
  id: string;
  status: JobStatus;
  progress: JobProgress | null;
  updatedAt: string;
}

export function toStatusView(job: Job): JobStatusView {
  const { id, status, progress, updatedAt } = toView(job);
  return { id, status, progress, updatedAt };
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
  /**
   * How far ahead a scheduled job's message is sent with a delivery delay (the queue's maximum
   * DelaySeconds, 900 s, by default); a job scheduled further ahead waits in the due index.
   */
  readonly scheduleHorizonMs?: number;
}

/** SQS's longest DelaySeconds: a message can be held back at most this long. */
export const QUEUE_MAX_DELAY_SECONDS = 900;

export function scheduleHorizonMs(settings: LifecycleSettings): number {
  return Math.min(settings.scheduleHorizonMs ?? QUEUE_MAX_DELAY_SECONDS * 1000, QUEUE_MAX_DELAY_SECONDS * 1000);
}

/**
 * The DelaySeconds with which a job's message arrives when it may start: 0 for a job that is not
 * scheduled (or whose time has come), null when its time is beyond the queue's horizon: then the
 * reconciler sends it once its `dueAt` (its time minus the horizon) has passed.
 */
export function messageDelaySeconds(job: Pick<Job, 'scheduledAt'>, now: Date, settings: LifecycleSettings): number | null {
  if (job.scheduledAt === null) return 0;
  const left = Date.parse(job.scheduledAt) - now.getTime();
  if (left > scheduleHorizonMs(settings)) return null;
  return Math.max(0, Math.ceil(left / 1000));
}

/**
 * When the reconciler should look at a PENDING job whose message is (about to be) sent with
 * `messageDelaySeconds`: stalePendingMs after it may start; for a job beyond the horizon, when its
 * time comes within the horizon (then the reconciler sends it).
 */
export function pendingDueAt(job: Pick<Job, 'scheduledAt'>, now: Date, settings: LifecycleSettings): string {
  const delay = messageDelaySeconds(job, now, settings);
  if (delay === null) return iso(Date.parse(job.scheduledAt!) - scheduleHorizonMs(settings));
  return iso(Math.max(now.getTime(), job.scheduledAt === null ? 0 : Date.parse(job.scheduledAt)) + settings.stalePendingMs);
}

/** The default seconds between polls of an unfinished job (`Retry-After`). */
export const POLL_INTERVAL_SECONDS = 3;
/** The longest `Retry-After` a scheduled job's poll gets: a poller still looks every 5 minutes. */
export const MAX_POLL_INTERVAL_SECONDS = 300;

/**
 * Seconds until a poll of the job is useful (`Retry-After`), null for a finished job: 3 while it
 * runs or waits; for a scheduled job not started yet, the seconds until it starts (at most 300).
 */
export function pollAfterSeconds(job: Pick<Job, 'status' | 'scheduledAt'>, now: Date): number | null {
  if (job.status !== 'PENDING' && job.status !== 'PROCESSING') return null;
  const left = job.status === 'PENDING' && job.scheduledAt !== null ? Math.ceil((Date.parse(job.scheduledAt) - now.getTime()) / 1000) : 0;
  return left > 0 ? Math.min(left, MAX_POLL_INTERVAL_SECONDS) : POLL_INTERVAL_SECONDS;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ttl = (now: Date, settings: LifecycleSettings) =>
  Math.floor((now.getTime() + settings.retentionMs) / 1000);

export interface NewJob {
  id: string;
  ownerId: string;
  /** Absent: a personal job. */
  workspaceId?: string | null;
  /** Absent: the owner (a personal job's creator). */
  createdBy?: string;
  type: string;
  /** The input, or null when it is stored outside the record (`inputRef`). */
  input: unknown;
  inputRef?: PayloadRef | null;
  priority: JobPriority;
  maxAttempts: number;
  /** See Job.reuseKey. */
  reuseKey?: string | null;
  /** When it may start (a scheduled job); absent or null: at once. */
  scheduledAt?: string | null;
  /** The create's API request id (Job.requestId); absent: none. */
  requestId?: string | null;
}

export function createJob(spec: NewJob, now: Date, settings: LifecycleSettings): Job {
  const at = now.toISOString();
  return {
    ...spec,
    workspaceId: spec.workspaceId ?? null,
    createdBy: spec.createdBy ?? spec.ownerId,
    inputRef: spec.inputRef ?? null,
    reuseKey: spec.reuseKey ?? null,
    fromCache: false,
    scheduledAt: spec.scheduledAt ?? null,
    requestId: spec.requestId ?? null,
    queuedAt: spec.scheduledAt ?? at,
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
    dueAt: pendingDueAt({ scheduledAt: spec.scheduledAt ?? null }, now, settings),
    expiresAt: null,
  };
}

/**
 * A job created COMPLETED with an earlier job's result (result reuse): no attempt, no message,
 * not due, expiring with the retention like any finished job, and not itself reusable. Never
 * scheduled: its status changed (and its timings end) at its creation.
 */
export function createReusedJob(spec: NewJob, stored: StoredResult, now: Date, settings: LifecycleSettings): Job {
  const job = createJob({ ...spec, reuseKey: null, scheduledAt: null }, now, settings);
  return { ...job, ...completePatch(stored, now, settings), fromCache: true } as Job;
}

/** The fields that find a job's log lines: its id and, when kept, its create's request id. */
export function jobLogFields(job: Pick<Job, 'id' | 'requestId'>): { jobId: string; requestId?: string } {
  return job.requestId ? { jobId: job.id, requestId: job.requestId } : { jobId: job.id };
}

/**
 * How long a job claimed at `claimedAt` waited since it could run (its queuedAt); null for a
 * record that does not say (written before queuedAt was kept).
 */
export function queueDelayMs(job: Pick<Job, 'queuedAt'>, claimedAt: Date): number | null {
  if (job.queuedAt === null) return null;
  const ms = claimedAt.getTime() - Date.parse(job.queuedAt);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

/** A partial record: the fields a transition sets. `null` clears a field. */
export type JobPatch = Partial<Omit<Job, 'id' | 'ownerId' | 'workspaceId' | 'createdBy' | 'type' | 'input' | 'inputRef' | 'createdAt' | 'maxAttempts' | 'fromCache' | 'reuseKey' | 'requestId'>>;

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

/**
 * A new run of a FAILED or CANCELLED job (whose current run is `job.generation`). It runs at once:
 * a scheduled job's time is dropped (its timings count from its creation from then on).
 */
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
    scheduledAt: null,
    statusChangedAt: at,
    queuedAt: at,
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
    queuedAt: nextAttemptAt.toISOString(),
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
