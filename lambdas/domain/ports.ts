/**
 * Ports: what the domain needs from the outside world. Adapters implement them
 * (DynamoJobStore, SqsJobQueue, BedrockModel, HmacCursorCodec). No AWS imports here.
 */
import type { Job, JobPatch, JobStatus } from './job.ts';

/** Preconditions of a conditional write; every field given must hold. */
export interface JobGuard {
  /** The job's status must be one of these. */
  readonly statusIn?: readonly JobStatus[];
  /** The job must belong to this caller. */
  readonly ownerId?: string;
  /** Fencing: the job's current runId must be this one (null: no attempt has claimed it). */
  readonly runId?: string | null;
  /** Optimistic check used by the reconciler. */
  readonly dueAt?: string;
  /** The job must still be on this run (not retried since). */
  readonly generation?: number;
}

export interface ClaimRequest {
  readonly runId: string;
  /** The run the message belongs to: a message of an earlier run cannot start an attempt. */
  readonly generation: number;
  readonly now: string;
  readonly leaseExpiresAt: string;
  /** When the reconciler should look at the job if this attempt never finishes. */
  readonly dueAt: string;
}

/** A position in an owner's list: the last item of the previous page. */
export interface ListPosition {
  readonly createdAt: string;
  readonly id: string;
}

export interface ListQuery {
  readonly status?: JobStatus;
  readonly type?: string;
  readonly limit: number;
  readonly after?: ListPosition;
}

export interface ListPage {
  readonly jobs: readonly Job[];
  /** Where the next page starts; null when there is no more. */
  readonly next: ListPosition | null;
}

/** An unfinished job the reconciler should look at. */
export interface DueJob {
  readonly id: string;
  readonly status: JobStatus;
  readonly runId: string | null;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly generation: number;
  readonly dueAt: string;
}

/** Where a page of due jobs ended (the last job read). */
export interface DuePosition {
  readonly id: string;
  readonly dueAt: string;
}

export interface DuePage {
  readonly jobs: readonly DueJob[];
  /** Where the next page starts; null when there is no more. */
  readonly next: DuePosition | null;
}

export interface JobStore {
  /** Writes a new job; JobAlreadyExistsError if the id is taken. */
  create(job: Job): Promise<void>;
  /** Strongly consistent read; undefined when missing or expired. */
  get(id: string): Promise<Job | undefined>;
  /** The owner's jobs, newest first, optionally filtered. */
  list(ownerId: string, query: ListQuery): Promise<ListPage>;
  /** Applies the patch if the guard holds (and the job exists); ConcurrentUpdateError if not. */
  update(id: string, guard: JobGuard, patch: JobPatch): Promise<Job>;
  /**
   * Starts an attempt: PENDING (or PROCESSING with an expired lease) and attempts below the
   * maximum → PROCESSING, attempts + 1, the new runId and lease. Returns the claimed job, or
   * undefined when the job cannot be claimed (missing, finished, running elsewhere, cancelled).
   */
  claim(id: string, request: ClaimRequest): Promise<Job | undefined>;
  /**
   * Unfinished jobs whose dueAt is at or before `dueBy`, oldest first, at most `limit` of them,
   * starting after `after` (the previous page's `next`).
   */
  findDue(dueBy: string, limit: number, after?: DuePosition): Promise<DuePage>;
}

/** A job as its queue message names it: the id and the run (generation) it belongs to. */
export interface JobRef {
  readonly id: string;
  readonly generation: number;
}

export interface JobQueue {
  /** Sends the message for the job's current run; `delaySeconds` up to 900. */
  enqueue(job: JobRef, delaySeconds?: number): Promise<void>;
  /** Makes a received message visible again after `delaySeconds` (backoff between attempts). */
  deferMessage(receiptHandle: string, delaySeconds: number): Promise<void>;
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
  /** The filters it was issued for (a cursor only continues the same query). */
  readonly status: string | null;
  readonly type: string | null;
  readonly position: ListPosition;
}

export type Clock = () => Date;
export type IdGenerator = () => string;
