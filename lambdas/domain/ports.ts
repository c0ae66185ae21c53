/**
 * Ports: what the domain needs from the outside world. Adapters implement them
 * (DynamoJobStore, SqsJobQueue, S3PayloadStore, HmacCursorCodec, FunctionLogger, PowertoolsJobMetrics). No AWS imports here.
 */
import type { IdempotencyRecord } from './fingerprints.ts';
import type { FailureClass, Repair } from '../shared/metric-catalog.ts';
import type { Job, JobPriority, JobProgress, JobStatus, PayloadRef, StoredResult } from './job.ts';

export interface ClaimRequest {
  readonly runId: string;
  /** The run the message belongs to: a message of an earlier run cannot start an attempt. */
  readonly generation: number;
  readonly now: string;
  /** Until when the attempt owns the job; after it, another delivery may claim the job again. */
  readonly leaseExpiresAt: string;
}

/** What a list is ordered by: the creation time, or the time of the job's last status change. */
export const LIST_SORTS = ['createdAt', 'updatedAt'] as const;
export type ListSort = (typeof LIST_SORTS)[number];
export const LIST_ORDERS = ['asc', 'desc'] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];

/**
 * A position in an owner's list: the last item of the previous page, by the value it was sorted
 * on (its createdAt, or its statusChangedAt as the index had it) and its id.
 */
export interface ListPosition {
  readonly at: string;
  readonly id: string;
}

export interface ListQuery {
  readonly status?: JobStatus;
  readonly type?: string;
  /** Only jobs of these priorities (any of them). */
  readonly priorities?: readonly JobPriority[];
  /** @default 'createdAt' */
  readonly sort?: ListSort;
  /** @default 'desc' (newest first) */
  readonly order?: ListOrder;
  readonly limit: number;
  readonly after?: ListPosition;
}

export interface ListPage {
  readonly jobs: readonly Job[];
  /** Where the next page starts; null when there is no more. */
  readonly next: ListPosition | null;
}

/** An unfinished job whose dueAt has come: the reconciler reads the job itself to decide. */
export interface DueJob {
  readonly id: string;
  readonly dueAt: string;
}

/** Where a page of due jobs ended: a shard of the due index and the last job read in it. */
export interface DuePosition {
  readonly shard: number;
  readonly last?: DueJob;
}

export interface DuePage {
  readonly jobs: readonly DueJob[];
  /** Where the next page starts; null when there is no more. */
  readonly next: DuePosition | null;
}

/** The attempt a transition belongs to: it applies only while the job is PROCESSING under this runId. */
export interface AttemptRef {
  readonly runId: string;
}

/** The job as its owner last read it: an action applies only if it is still theirs and unchanged. */
export interface OwnerExpectation {
  readonly ownerId: string;
  readonly runId: string | null;
  readonly generation: number;
}

/** A PENDING job as last read: its run and its message's state. */
export interface PendingExpectation {
  readonly runId: string | null;
  readonly generation: number;
}

/**
 * The job store speaks the job's life. Every transition is one conditional write that applies
 * only if the job is still in the state the caller saw; when it is not, the transition throws
 * ConcurrentUpdateError and writes nothing. The stores know the lifecycle settings (how long a
 * finished job is kept, when an unsent job is due) and compute the record's fields themselves.
 */
/** The owner's unfinished jobs read (at most the limit asked for), and how many of them are of one type. */
export interface ActiveCount {
  readonly active: number;
  readonly ofType: number;
}

/** FAILED jobs of every owner (the operator's view, never an API caller's). */
export interface FailedQuery {
  /** Failed (completedAt) at or after this instant (ISO 8601). */
  readonly since: string;
  /** … and at or before this one. */
  readonly until: string;
  /** Only jobs of this type. */
  readonly type?: string;
  /** At most this many (1–1000). */
  readonly limit: number;
}

export interface FailedPage {
  /** FAILED jobs, the latest failure first (ties by id). */
  readonly jobs: readonly Job[];
  /** True when more jobs match than `limit`: narrow the window or raise the limit. */
  readonly more: boolean;
}

export interface JobStore {
  /** Writes a new job; JobAlreadyExistsError if the id is taken. */
  create(job: Job): Promise<void>;
  /** Strongly consistent read; undefined when missing or expired. */
  get(id: string): Promise<Job | undefined>;
  /** Strongly consistent reads of several jobs, in the order asked; missing or expired ones left out. */
  getMany(ids: readonly string[]): Promise<Job[]>;
  /**
   * The owner's jobs, newest first unless the query says otherwise (by createdAt, or by
   * statusChangedAt for `updatedAt`; ties by id), optionally filtered.
   */
  list(ownerId: string, query: ListQuery): Promise<ListPage>;
  /**
   * Unfinished jobs whose dueAt is at or before `dueBy`, at most `limit` of them, starting after
   * `after` (the previous page's `next`): oldest first within each shard, shard after shard.
   */
  findDue(dueBy: string, limit: number, after?: DuePosition): Promise<DuePage>;
  /**
   * How many unfinished (PENDING or PROCESSING) jobs the owner has, counting up to `limit` (a
   * larger count is returned as `limit` or more). Read from an index: it may lag recent writes.
   */
  countActive(ownerId: string, limit: number): Promise<number>;
  /**
   * As countActive (`active`), reading the same at most `limit` unfinished jobs, and how many of
   * those are of `type` (`ofType`). Bounded by `limit`, not by the owner's history.
   */
  countActiveOfType(ownerId: string, limit: number, type: string): Promise<ActiveCount>;
  /**
   * The newest COMPLETED, unexpired job with this reuse key (Job.reuseKey) completed at or after
   * `completedSince`; undefined when there is none.
   */
  findReusable(reuseKey: string, completedSince: string): Promise<Job | undefined>;
  /**
   * FAILED jobs of any owner that failed within the window, read from an index that holds only
   * FAILED jobs (it may lag recent writes; the jobs returned are read from the records and are
   * FAILED as read).
   */
  findFailed(query: FailedQuery): Promise<FailedPage>;

  // -- idempotency keys (never read as jobs: not by get, list, findDue or countActive)
  /** The record under `id`, unless missing or expired. */
  getIdempotencyRecord(id: string): Promise<IdempotencyRecord | undefined>;
  /**
   * Writes the record unless one under its id exists and has not expired: true when written,
   * false when another request holds the key (read it with getIdempotencyRecord).
   */
  putIdempotencyRecord(record: IdempotencyRecord): Promise<boolean>;

  // -- an attempt (the worker)
  /**
   * Starts an attempt: PENDING (or PROCESSING with an expired lease), on the message's run, with
   * attempts below the maximum, and its `scheduledAt` (if any) at or before `now` → PROCESSING, attempts + 1, the new runId and lease. Returns the
   * claimed job, or undefined when it cannot be claimed (missing, finished, running elsewhere,
   * cancelled, retried since, or scheduled later).
   */
  claim(id: string, request: ClaimRequest): Promise<Job | undefined>;
  /** Records the attempt's progress. */
  reportProgress(id: string, attempt: AttemptRef, progress: JobProgress, at: Date): Promise<void>;
  /** PROCESSING → COMPLETED with the result (in the record, or a reference to it). */
  complete(id: string, attempt: AttemptRef, result: StoredResult, at: Date): Promise<void>;
  /** PROCESSING → FAILED (a non-retryable error, or the last attempt). */
  fail(id: string, attempt: AttemptRef, error: string, at: Date): Promise<void>;
  /** PROCESSING → PENDING after a retryable failure; the next attempt is due at `nextAttemptAt`. */
  requeue(id: string, attempt: AttemptRef, error: string, nextAttemptAt: Date, at: Date): Promise<void>;

  // -- the owner's actions
  /** PENDING or PROCESSING → CANCELLED; returns the cancelled job. */
  cancel(id: string, expected: OwnerExpectation, at: Date): Promise<Job>;
  /** FAILED or CANCELLED → PENDING on a new run (generation + 1, attempts 0); returns the job. */
  retry(id: string, expected: OwnerExpectation, at: Date): Promise<Job>;

  // -- delivery repair
  /** A PENDING job whose message could not be sent: due now, so the reconciler sends it. */
  markDue(id: string, expected: PendingExpectation, at: Date): Promise<void>;
  /** A PENDING job whose message is sent again: due again at `nextDueAt` (guarded on its dueAt). */
  resend(id: string, expected: { readonly dueAt: string }, nextDueAt: Date): Promise<void>;
  /** A running job the reconciler looked at too early: look again at `nextDueAt`. */
  postpone(id: string, attempt: AttemptRef, nextDueAt: Date): Promise<void>;
  /**
   * A PROCESSING job whose worker is gone: the attempt counts as lost. Back to PENDING (due now)
   * when attempts remain, else FAILED.
   */
  recoverAttempt(id: string, attempt: AttemptRef, error: string, at: Date, outcome: 'requeue' | 'fail'): Promise<void>;
  /** A PENDING or PROCESSING job whose message exhausted delivery (the DLQ) → FAILED. */
  failUndeliverable(id: string, expected: PendingExpectation, error: string, at: Date): Promise<void>;
}

/** The read side of a JobStore: what the read routes use (a job, several, an owner's page), and no write. */
export type JobReader = Pick<JobStore, 'get' | 'getMany' | 'list'>;

/** What the worker's attempts use of a JobStore: a job's record (sources too), the claim and an attempt's writes. */
export type AttemptStore = Pick<JobStore, 'get' | 'claim' | 'reportProgress' | 'complete' | 'fail' | 'requeue'>;

/**
 * Where payloads too large for the job record live (the claim check): object storage.
 */
export interface PayloadStore {
  /** Stores the bytes under `key`; returns the reference the record keeps. */
  put(key: string, body: Uint8Array, contentType: string): Promise<PayloadRef>;
  /**
   * The stored bytes, checked against the reference's size and SHA-256. PayloadMissingError when
   * the object is gone (expired with its job) or does not match.
   */
  get(ref: PayloadRef): Promise<Uint8Array>;
  /** The bytes of the object under `key`, unchecked (an uploaded document); PayloadMissingError when missing. */
  read(key: string): Promise<Uint8Array>;
  /** Size and content type of the object under `key`; undefined when there is none. */
  head(key: string): Promise<{ readonly bytes: number; readonly contentType: string | undefined } | undefined>;
  /** Copies the object under `from` to `to`; PayloadMissingError when `from` is missing. */
  copy(from: string, to: string): Promise<void>;
  /**
   * A URL a client can PUT exactly `bytes` bytes of `contentType` to, without credentials of its
   * own, until `expiresAt`; the headers it must send with it.
   */
  presignPut(key: string, upload: { readonly contentType: string; readonly bytes: number; readonly expiresInSeconds: number }): Promise<PresignedUpload>;
}

export interface PresignedUpload {
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

/** A job as its queue message names it: the id and the run (generation) it belongs to. */
export interface JobRef {
  readonly id: string;
  readonly generation: number;
  /** The create's API request id (Job.requestId), when the message carries one. */
  readonly requestId?: string | null;
}

/** A job to send: its priority picks the queue (the band) its message goes to. */
export interface QueuedJob extends JobRef {
  readonly priority: JobPriority;
}

/** Where jobs' messages are sent (the API's create and retry, the reconciler). */
export interface JobQueue {
  /** Sends the message for the job's current run to its priority's queue; `delaySeconds` up to 900. */
  enqueue(job: QueuedJob, delaySeconds?: number): Promise<void>;
}

/** A message a queue consumer received: its receipt and the queue (ARN) it came from. */
export interface ReceivedMessage {
  readonly receiptHandle: string;
  readonly eventSourceARN: string;
}

/** The messages a queue consumer received (the worker). */
export interface ReceivedMessages {
  /** Makes a received message visible again after `delaySeconds` (backoff between attempts), in the queue it came from. */
  deferMessage(message: ReceivedMessage, delaySeconds: number): Promise<void>;
}

/** Signs and checks opaque list cursors. */
export interface CursorCodec {
  encode(payload: CursorPayload): Promise<string>;
  /** InvalidCursorError when the cursor was tampered with or not issued by us. */
  decode(cursor: string): Promise<CursorPayload>;
}

export interface CursorPayload {
  /** The caller the cursor was issued to. */
  readonly ownerId: string;
  /** The filters and order it was issued for (a cursor only continues the same query). */
  readonly status: string | null;
  readonly type: string | null;
  /** Sorted and deduplicated; null for every priority. */
  readonly priorities: readonly string[] | null;
  readonly sort: ListSort;
  readonly order: ListOrder;
  readonly position: ListPosition;
}

export type Clock = () => Date;

/** The clock of a running system. */
export const systemClock: Clock = () => new Date();
export type IdGenerator = () => string;

/** Structured log lines; callers pass no secrets and no job input or result content. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line. */
  child(fields: Record<string, unknown>): Logger;
}

/**
 * The job's life as metrics (lambdas/shared/metric-catalog.ts names them), by event. The adapter
 * buffers them and writes them at the end of each invocation (`flush`); use cases only say what
 * happened.
 */
export interface JobMetrics {
  /** A create accepted a new job (not a replay, not a reused result). */
  created(type: string): void;
  /** A create was answered with an earlier job's result. */
  reused(type: string): void;
  completed(type: string): void;
  failed(type: string, failureClass: FailureClass): void;
  /** An owner's explicit retry (a new run). */
  retried(type: string): void;
  cancelled(type: string): void;
  /** A failed attempt that will be tried again. */
  requeued(type: string): void;
  /** Claim to the end of an attempt. */
  attemptDuration(type: string, ms: number): void;
  /** From when the job could run (created, scheduled time, retried, next attempt's time) to its claim. */
  queueDelay(type: string, ms: number): void;
  /** One model call that answered. */
  modelCall(modelId: string, latencyMs: number, tokens: { readonly input: number; readonly output: number }): void;
  /** A model call refused for quota or throttling. */
  modelThrottled(modelId: string): void;
  /** A job's message reached the dead-letter queue. */
  deadLettered(type: string): void;
  reconcilerRepair(repair: Repair): void;
}

/** Metrics that go nowhere: for functions and tests that do not look at them. */
export const noMetrics: JobMetrics = {
  created: () => {},
  reused: () => {},
  completed: () => {},
  failed: () => {},
  retried: () => {},
  cancelled: () => {},
  requeued: () => {},
  attemptDuration: () => {},
  queueDelay: () => {},
  modelCall: () => {},
  modelThrottled: () => {},
  deadLettered: () => {},
  reconcilerRepair: () => {},
};
