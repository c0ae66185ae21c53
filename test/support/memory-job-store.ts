/**
 * An in-memory JobStore that honours guards the way the DynamoDB adapter's conditions do.
 * For domain unit tests; integration tests use the real adapter on dynalite.
 */
import { ConcurrentUpdateError, JobAlreadyExistsError } from '../../lambdas/domain/errors.ts';
import type { Job, JobPatch } from '../../lambdas/domain/job.ts';
import type { ClaimRequest, DuePage, DuePosition, JobGuard, JobStore, ListPage, ListQuery } from '../../lambdas/domain/ports.ts';

export class MemoryJobStore implements JobStore {
  /** @param clock what "now" is for TTL checks (the tests' manual clock). */
  constructor(private readonly clock: () => Date = () => new Date()) {}

  readonly jobs = new Map<string, Job>();
  writes = 0;

  async create(job: Job): Promise<void> {
    if (this.jobs.has(job.id)) throw new JobAlreadyExistsError(job.id);
    this.jobs.set(job.id, structuredClone(job));
    this.writes++;
  }

  /** Like the DynamoDB adapter: a record past its TTL reads as missing (DynamoDB deletes lazily). */
  async get(id: string): Promise<Job | undefined> {
    const job = this.jobs.get(id);
    return job && !this.isExpired(job) ? structuredClone(job) : undefined;
  }

  private isExpired(job: Job): boolean {
    return job.expiresAt !== null && job.expiresAt <= Math.floor(this.clock().getTime() / 1000);
  }

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    const mine = [...this.jobs.values()]
      .filter((job) => job.ownerId === ownerId)
      .sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
    // Keyset pagination, as on the index: everything after the position in (createdAt, id) order.
    const after = query.after;
    const matching = mine
      .filter((job) => !after || job.createdAt < after.createdAt || (job.createdAt === after.createdAt && job.id < after.id))
      .filter((job) => !this.isExpired(job))
      .filter((job) => (!query.status || job.status === query.status) && (!query.type || job.type === query.type));
    const jobs = matching.slice(0, query.limit);
    const last = jobs[jobs.length - 1];
    return {
      jobs: jobs.map((job) => structuredClone(job)),
      next: matching.length > query.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
    };
  }

  async update(id: string, guard: JobGuard, patch: JobPatch): Promise<Job> {
    const job = this.jobs.get(id);
    if (!job || !holds(job, guard)) throw new ConcurrentUpdateError(id);
    const updated = { ...job, ...definedOnly(patch) } as Job;
    this.jobs.set(id, updated);
    this.writes++;
    return structuredClone(updated);
  }

  async claim(id: string, request: ClaimRequest): Promise<Job | undefined> {
    const job = this.jobs.get(id);
    if (!job || job.attempts >= job.maxAttempts || job.generation !== request.generation) return undefined;
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
      dueAt: request.dueAt,
      updatedAt: request.now,
      progress: null,
      startedAt: job.startedAt ?? request.now,
    };
    this.jobs.set(id, updated);
    this.writes++;
    return structuredClone(updated);
  }

  async findDue(dueBy: string, limit: number, after?: DuePosition): Promise<DuePage> {
    // As the index: ordered by (dueAt, id), keyset pagination after the last position read.
    const due = [...this.jobs.values()]
      .filter((job) => job.dueAt !== null && job.dueAt <= dueBy)
      .sort((a, b) => a.dueAt!.localeCompare(b.dueAt!) || a.id.localeCompare(b.id))
      .filter((job) => !after || job.dueAt! > after.dueAt || (job.dueAt === after.dueAt && job.id > after.id));
    const page = due.slice(0, limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map((job) => ({
        id: job.id,
        status: job.status,
        runId: job.runId,
        attempts: job.attempts,
        maxAttempts: job.maxAttempts,
        generation: job.generation,
        dueAt: job.dueAt!,
      })),
      next: due.length > limit && last ? { id: last.id, dueAt: last.dueAt! } : null,
    };
  }
}

function holds(job: Job, guard: JobGuard): boolean {
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
