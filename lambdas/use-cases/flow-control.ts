/**
 * What the create and retry use cases share to control the flow of new work: idempotency keys
 * (a request repeated with its key gets the job it made, never a second one) and the quota of
 * unfinished jobs per caller. No AWS imports here.
 *
 * Idempotency without transactions: the key's record names a job id chosen before anything is
 * written. Whoever writes the record first goes on to write the job; a request that finds the
 * record reads the job, and when it is not there yet (the first request is still writing, or
 * crashed between the two writes) writes it itself under the same id: the job's write is
 * conditional on the id, so exactly one succeeds, and only that one sends the message.
 */
import { IdempotencyKeyReusedError, TooManyJobsError } from '../domain/errors.ts';
import { IDEMPOTENCY, idempotencyRecordId, type IdempotencyRecord } from '../domain/fingerprints.ts';
import type { Job } from '../domain/job.ts';
import type { Clock, JobStore } from '../domain/ports.ts';
import { workspaceIdOfOwnerKey } from '../domain/workspace.ts';
import { QUOTAS } from '../shared/resources.ts';

/** A create's or retry's answer: the job, and whether it is a replay of an earlier request with the same key. */
export interface JobOutcome {
  readonly job: Job;
  readonly replayed: boolean;
}

/** Options of a create or a retry request. */
export interface FlowOptions {
  /** The request's Idempotency-Key header (already checked for length and characters). */
  readonly idempotencyKey?: string | undefined;
}

export interface QuotaSettings {
  /** Unfinished (PENDING or PROCESSING) jobs a caller may have at once. */
  readonly maxActiveJobsPerCaller: number;
  /** Unfinished jobs of a type a caller may have at once, by type name, on top of the overall quota; absent: none. */
  readonly maxActiveJobsPerCallerByType?: Readonly<Record<string, number>>;
}

export const DEFAULT_QUOTA: QuotaSettings = { maxActiveJobsPerCaller: QUOTAS.defaultMaxActiveJobsPerCaller };

/**
 * TooManyJobsError when the caller already has the most unfinished jobs allowed, overall or of
 * `type` when the type has a limit of its own. Both come from one read of at most the overall
 * quota's entries: past the overall check the caller has fewer, so every one of them was read.
 * Counted on an index that may lag and without a lock: concurrent creates of one caller can
 * overshoot either limit by as many as run at once.
 */
export async function checkQuota(store: JobStore, ownerId: string, quota: QuotaSettings, type: string): Promise<void> {
  const limit = quota.maxActiveJobsPerCaller;
  const scope = workspaceIdOfOwnerKey(ownerId) === undefined ? 'caller' : 'workspace';
  const typeLimit = Object.hasOwn(quota.maxActiveJobsPerCallerByType ?? {}, type) ? quota.maxActiveJobsPerCallerByType![type] : undefined;
  if (typeLimit === undefined) {
    if ((await store.countActive(ownerId, limit)) >= limit) throw new TooManyJobsError(limit, QUOTAS.retryAfterSeconds, undefined, scope);
    return;
  }
  const { active, ofType } = await store.countActiveOfType(ownerId, limit, type);
  if (active >= limit) throw new TooManyJobsError(limit, QUOTAS.retryAfterSeconds, undefined, scope);
  if (ofType >= typeLimit) throw new TooManyJobsError(typeLimit, QUOTAS.retryAfterSeconds, type, scope);
}

/** A request made under an idempotency key. */
export interface KeyedRequest {
  readonly ownerId: string;
  readonly key: string;
  /** Fingerprint of the operation and its canonical body. */
  readonly requestHash: string;
}

/** Idempotency keys on the job store. */
export class IdempotencyKeys {
  constructor(
    private readonly store: JobStore,
    private readonly clock: Clock,
  ) {}

  /** The record the key holds for this request; undefined when the key is free; IdempotencyKeyReusedError for another request. */
  async find(request: KeyedRequest): Promise<IdempotencyRecord | undefined> {
    return this.checked(request, await this.store.getIdempotencyRecord(idempotencyRecordId(request.ownerId, request.key)));
  }

  /**
   * Holds the key for this request and `jobId` (at run `generation`). Returns the record that holds
   * it: this one, or the one a concurrent request wrote first (checked against this request).
   */
  async claim(request: KeyedRequest, jobId: string, generation: number): Promise<IdempotencyRecord> {
    const record: IdempotencyRecord = {
      id: idempotencyRecordId(request.ownerId, request.key),
      requestHash: request.requestHash,
      jobId,
      generation,
      expiresAt: Math.floor(this.clock().getTime() / 1000) + IDEMPOTENCY.ttlSeconds,
    };
    if (await this.store.putIdempotencyRecord(record)) return record;
    const held = this.checked(request, await this.store.getIdempotencyRecord(record.id));
    // Expired between the two calls (24 hours after its first use): hold it again.
    return held ?? this.claim(request, jobId, generation);
  }

  private checked(request: KeyedRequest, record: IdempotencyRecord | undefined): IdempotencyRecord | undefined {
    if (record && record.requestHash !== request.requestHash) throw new IdempotencyKeyReusedError();
    return record;
  }
}
