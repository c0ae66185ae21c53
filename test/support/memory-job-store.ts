/**
 * An in-memory JobStore with the same transitions as the DynamoDB adapter (it applies the same
 * patches from lambdas/domain/job.ts under the same preconditions). For domain unit tests;
 * test/contract/job-store.contract.ts runs one suite against both so they cannot drift.
 */
import { ConcurrentUpdateError, JobAlreadyExistsError } from '../../lambdas/domain/errors.ts';
import {
  allowedFrom,
  cancelPatch,
  completePatch,
  failPatch,
  progressPatch,
  requeuePatch,
  retryPatch,
  type Job,
  type JobPatch,
  type JobProgress,
  type JobStatus,
  type LifecycleSettings,
  type StoredResult,
} from '../../lambdas/domain/job.ts';
import type {
  ActiveCount,
  AttemptRef,
  ClaimRequest,
  DueJob,
  DuePage,
  DuePosition,
  FailedPage,
  FailedQuery,
  JobStore,
  ListPage,
  ListQuery,
  OwnerExpectation,
  PendingExpectation,
} from '../../lambdas/domain/ports.ts';
import { isIdempotencyRecordId, type IdempotencyRecord } from '../../lambdas/domain/fingerprints.ts';
import { dueShardName, dueShardOf, JOBS_TABLE } from '../../lambdas/shared/resources.ts';
import { jobShardOf, workspaceIdOfOwnerKey, type JobShardCounts } from '../../lambdas/domain/workspace.ts';

interface Guard {
  readonly statusIn?: readonly JobStatus[];
  readonly ownerId?: string;
  readonly runId?: string | null;
  readonly dueAt?: string;
  readonly generation?: number;
}

const running = (attempt: AttemptRef): Guard => ({ statusIn: ['PROCESSING'], runId: attempt.runId });

export class MemoryJobStore implements JobStore {
  /**
   * @param lifecycle as the DynamoDB adapter's (TTL of finished jobs, when unsent jobs are due)
   * @param clock what "now" is for TTL checks (the tests' manual clock)
   */
  constructor(
    private readonly lifecycle: LifecycleSettings,
    private readonly clock: () => Date = () => new Date(),
    /** Each workspace's jobShards, as the DynamoDB adapter's option; absent: every workspace has 1. */
    private readonly workspaces?: JobShardCounts,
  ) {}

  readonly jobs = new Map<string, Job>();
  /** The index shard each job's list entries went to at create (as the DynamoDB adapter's `ownerId#<k>`). */
  readonly shards = new Map<string, number>();
  readonly idempotencyRecords = new Map<string, IdempotencyRecord>();
  writes = 0;

  /** Sets a job's fields directly, whatever its state: for arranging a test, not a transition. */
  arrange(id: string, fields: Partial<Job>): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`No job ${id} to arrange`);
    this.jobs.set(id, { ...job, ...fields });
  }

  async create(job: Job): Promise<void> {
    const shard = jobShardOf(job.id, await this.shardsOf(job.ownerId));
    if (this.jobs.has(job.id)) throw new JobAlreadyExistsError(job.id);
    this.jobs.set(job.id, structuredClone(job));
    this.shards.set(job.id, shard);
    this.writes++;
  }

  /** Like the DynamoDB adapter: a record past its TTL reads as missing (DynamoDB deletes lazily). */
  async get(id: string): Promise<Job | undefined> {
    const job = this.jobs.get(id);
    return job && !this.isExpired(job) ? structuredClone(job) : undefined;
  }

  async getMany(ids: readonly string[]): Promise<Job[]> {
    const jobs: Job[] = [];
    for (const id of ids) {
      const job = await this.get(id);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  /** As the DynamoDB adapter: 1 for a personal owner, the workspace's jobShards for its owner key. */
  private async shardsOf(ownerId: string): Promise<number> {
    const workspaceId = workspaceIdOfOwnerKey(ownerId);
    return workspaceId === undefined || !this.workspaces ? 1 : this.workspaces.jobShards(workspaceId);
  }

  /** The owner's jobs in the index shards a read of `shards` shards covers (all of them, as jobShards is never lowered). */
  private ownedIn(ownerId: string, shards: number): Job[] {
    return [...this.jobs.values()].filter((job) => job.ownerId === ownerId && (this.shards.get(job.id) ?? 0) < shards);
  }

  private isExpired(job: Job): boolean {
    return job.expiresAt !== null && job.expiresAt <= Math.floor(this.clock().getTime() / 1000);
  }

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    // As the indexes: by createdAt (byOwner) or statusChangedAt (byOwnerUpdated), then id.
    const at = (job: Job) => (query.sort === 'updatedAt' ? job.statusChangedAt : job.createdAt);
    const direction = query.order === 'asc' ? 1 : -1;
    const compare = (a: { at: string; id: string }, b: { at: string; id: string }) =>
      direction * (a.at === b.at ? a.id.localeCompare(b.id) : a.at.localeCompare(b.at));
    const mine = this.ownedIn(ownerId, await this.shardsOf(ownerId))
      .sort((a, b) => compare({ at: at(a), id: a.id }, { at: at(b), id: b.id }));
    // Keyset pagination, as on the index: everything after the position in (at, id) order.
    const after = query.after;
    const matching = mine
      .filter((job) => !after || compare({ at: at(job), id: job.id }, after) > 0)
      .filter((job) => !this.isExpired(job))
      .filter((job) => (!query.status || job.status === query.status) && (!query.type || job.type === query.type))
      .filter((job) => !query.priorities || query.priorities.includes(job.priority));
    const jobs = matching.slice(0, query.limit);
    const last = jobs[jobs.length - 1];
    return {
      jobs: jobs.map((job) => structuredClone(job)),
      next: matching.length > query.limit && last ? { at: at(last), id: last.id } : null,
    };
  }

  async findDue(dueBy: string, limit: number, after?: DuePosition): Promise<DuePage> {
    // As the index: shard by shard, each ordered by (dueAt, id), keyset pagination within a shard.
    const { shards } = JOBS_TABLE.dueIndex;
    const jobs: DueJob[] = [];
    for (let shard = after?.shard ?? 0; shard < shards; shard++) {
      const last = shard === after?.shard ? after.last : undefined;
      const due = [...this.jobs.values()]
        .filter((job) => job.dueAt !== null && job.dueAt <= dueBy && dueShardOf(job.id) === dueShardName(shard))
        .map((job) => ({ id: job.id, dueAt: job.dueAt! }))
        .sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.id.localeCompare(b.id))
        .filter((job) => !last || job.dueAt > last.dueAt || (job.dueAt === last.dueAt && job.id > last.id));
      const taken = due.slice(0, limit - jobs.length);
      jobs.push(...taken);
      if (jobs.length >= limit) {
        if (due.length > taken.length) return { jobs, next: { shard, last: jobs[jobs.length - 1]! } };
        return { jobs, next: shard + 1 < shards ? { shard: shard + 1 } : null };
      }
    }
    return { jobs, next: null };
  }

  /** As the byFailed index: FAILED jobs by completedAt, the latest first. */
  async findFailed(query: FailedQuery): Promise<FailedPage> {
    const matching = [...this.jobs.values()]
      .filter((job) => job.status === 'FAILED' && !this.isExpired(job) && job.completedAt !== null)
      .filter((job) => job.completedAt! >= query.since && job.completedAt! <= query.until && (query.type === undefined || job.type === query.type))
      .sort((a, b) => b.completedAt!.localeCompare(a.completedAt!) || a.id.localeCompare(b.id));
    return { jobs: matching.slice(0, query.limit).map((job) => structuredClone(job)), more: matching.length > query.limit };
  }

  /** As the byActive index: jobs with a dueAt (PENDING or PROCESSING). */
  async countActive(ownerId: string, limit: number): Promise<number> {
    return (await this.countActiveOfType(ownerId, limit, '')).active;
  }

  /** As byActive read in its order (dueAt, then id), at most `limit` entries. */
  async countActiveOfType(ownerId: string, limit: number, type: string): Promise<ActiveCount> {
    const read = this.ownedIn(ownerId, await this.shardsOf(ownerId))
      .filter((job) => job.dueAt !== null)
      .sort((a, b) => a.dueAt!.localeCompare(b.dueAt!) || a.id.localeCompare(b.id))
      .slice(0, limit);
    return { active: read.length, ofType: read.filter((job) => job.type === type).length };
  }

  async findReusable(reuseKey: string, completedSince: string): Promise<Job | undefined> {
    const found = [...this.jobs.values()]
      .filter((job) => job.reuseKey === reuseKey && job.status === 'COMPLETED' && job.completedAt !== null && job.completedAt >= completedSince)
      .filter((job) => !this.isExpired(job))
      .sort((a, b) => b.completedAt!.localeCompare(a.completedAt!))[0];
    return found ? structuredClone(found) : undefined;
  }

  async getIdempotencyRecord(id: string): Promise<IdempotencyRecord | undefined> {
    const record = this.heldRecord(id);
    return record ? { ...record } : undefined;
  }

  /** Checked and written in one step (no await between), as DynamoDB's conditional put. */
  async putIdempotencyRecord(record: IdempotencyRecord): Promise<boolean> {
    if (!isIdempotencyRecordId(record.id)) throw new Error(`Not an idempotency record id: ${record.id}`);
    if (this.heldRecord(record.id)) return false;
    this.idempotencyRecords.set(record.id, { ...record });
    this.writes++;
    return true;
  }

  private heldRecord(id: string): IdempotencyRecord | undefined {
    const record = this.idempotencyRecords.get(id);
    return record && record.expiresAt > this.epochNow() ? record : undefined;
  }

  private epochNow(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  async claim(id: string, request: ClaimRequest): Promise<Job | undefined> {
    const job = this.jobs.get(id);
    if (!job || job.attempts >= job.maxAttempts || job.generation !== request.generation) return undefined;
    // A scheduled job does not start before its time, whatever message arrives.
    if (job.scheduledAt !== null && job.scheduledAt > request.now) return undefined;
    const claimable =
      job.status === 'PENDING' ||
      (job.status === 'PROCESSING' && job.leaseExpiresAt !== null && job.leaseExpiresAt < request.now);
    if (!claimable) return undefined;
    const updated: Job = {
      ...job,
      status: 'PROCESSING',
      attempts: job.attempts + 1,
      runId: request.runId,
      leaseExpiresAt: request.leaseExpiresAt,
      updatedAt: request.now,
      statusChangedAt: request.now,
      progress: null,
      startedAt: job.startedAt ?? request.now,
    };
    this.jobs.set(id, updated);
    this.writes++;
    return structuredClone(updated);
  }

  async reportProgress(id: string, attempt: AttemptRef, progress: JobProgress, at: Date): Promise<void> {
    this.apply(id, running(attempt), progressPatch(progress, at));
  }

  async complete(id: string, attempt: AttemptRef, result: StoredResult, at: Date): Promise<void> {
    this.apply(id, running(attempt), completePatch(result, at, this.lifecycle));
  }

  async fail(id: string, attempt: AttemptRef, error: string, at: Date): Promise<void> {
    this.apply(id, running(attempt), failPatch(error, at, this.lifecycle));
  }

  async requeue(id: string, attempt: AttemptRef, error: string, nextAttemptAt: Date, at: Date): Promise<void> {
    this.apply(id, running(attempt), requeuePatch(error, nextAttemptAt, at, this.lifecycle));
  }

  async cancel(id: string, expected: OwnerExpectation, at: Date): Promise<Job> {
    return this.apply(id, { statusIn: allowedFrom('cancel'), ...expected }, cancelPatch(at, this.lifecycle));
  }

  async retry(id: string, expected: OwnerExpectation, at: Date): Promise<Job> {
    return this.apply(id, { statusIn: allowedFrom('retry'), ...expected }, retryPatch(expected, at, this.lifecycle));
  }

  async markDue(id: string, expected: PendingExpectation, at: Date): Promise<void> {
    this.apply(id, { statusIn: ['PENDING'], ...expected }, { dueAt: at.toISOString() });
  }

  async resend(id: string, expected: { readonly dueAt: string }, nextDueAt: Date): Promise<void> {
    this.apply(id, { statusIn: ['PENDING'], dueAt: expected.dueAt }, { dueAt: nextDueAt.toISOString() });
  }

  async postpone(id: string, attempt: AttemptRef, nextDueAt: Date): Promise<void> {
    this.apply(id, running(attempt), { dueAt: nextDueAt.toISOString() });
  }

  async recoverAttempt(id: string, attempt: AttemptRef, error: string, at: Date, outcome: 'requeue' | 'fail'): Promise<void> {
    this.apply(id, running(attempt), outcome === 'fail' ? failPatch(error, at, this.lifecycle) : requeuePatch(error, at, at, this.lifecycle));
  }

  async failUndeliverable(id: string, expected: PendingExpectation, error: string, at: Date): Promise<void> {
    this.apply(id, { statusIn: ['PENDING', 'PROCESSING'], ...expected }, failPatch(error, at, this.lifecycle));
  }

  private apply(id: string, guard: Guard, patch: JobPatch): Job {
    const job = this.jobs.get(id);
    if (!job || !holds(job, guard)) throw new ConcurrentUpdateError(id);
    const updated = { ...job, ...definedOnly(patch) } as Job;
    this.jobs.set(id, updated);
    this.writes++;
    return structuredClone(updated);
  }
}

function holds(job: Job, guard: Guard): boolean {
  if (guard.statusIn && !guard.statusIn.includes(job.status)) return false;
  if (guard.ownerId !== undefined && job.ownerId !== guard.ownerId) return false;
  if (guard.runId !== undefined && job.runId !== guard.runId) return false;
  if (guard.dueAt !== undefined && job.dueAt !== guard.dueAt) return false;
  if (guard.generation !== undefined && job.generation !== guard.generation) return false;
  return true;
}

function definedOnly(patch: JobPatch): JobPatch {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
}
