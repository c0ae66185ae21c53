/**
 * The JobStore contract: one suite that every implementation runs (the in-memory store of the
 * domain tests, and the DynamoDB adapter on dynalite or the endpoint in AWS_ENDPOINT_URL), so the
 * fake and the real store cannot drift. It speaks only the port's vocabulary.
 *
 * Stores may be shared between tests (a DynamoDB table is): every test uses its own owners and
 * job ids, and looks only at its own jobs in list and findDue answers.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError, JobAlreadyExistsError } from '../../lambdas/domain/errors.ts';
import { createJob, type Job, type JobPriority, type LifecycleSettings } from '../../lambdas/domain/job.ts';
import type { DuePosition, JobStore, ListQuery } from '../../lambdas/domain/ports.ts';
import { idempotencyRecordId } from '../../lambdas/domain/fingerprints.ts';
import type { JobShardCounts } from '../../lambdas/domain/workspace.ts';
import { describeShardedOwnerContract } from './job-store-shards.contract.ts';

export const CONTRACT_LIFECYCLE: LifecycleSettings = {
  stalePendingMs: 300_000,
  leaseGraceMs: 60_000,
  retentionMs: 30 * 86_400_000,
};

const FAR_FUTURE = '9999-12-31T23:59:59.999Z';
const FAR_LEASE = '9999-01-01T00:00:00.000Z';

/** Builds the store under test; `lifecycle` is CONTRACT_LIFECYCLE. */
export type StoreFactory = (lifecycle: LifecycleSettings) => JobStore;

/**
 * Runs the contract on the store `makeStore` builds; it gives the store `workspaces`, each
 * workspace's jobShards as the tests set them (see job-store-shards.contract.ts).
 */
export function describeJobStoreContract(name: string, makeStoreWith: (workspaces: JobShardCounts) => JobStore): void {
  describe(`JobStore contract: ${name}`, () => {
    const jobShards = new Map<string, number>();
    const makeStore = () => makeStoreWith({ jobShards: async (workspaceId) => jobShards.get(workspaceId) ?? 1 });
    const owner = () => `owner-${crypto.randomUUID()}`;
    // Real time: the stores read retention (TTL) against the wall clock.
    let clock = Date.now();
    /** A new instant per job, a millisecond apart, so list order is well defined. */
    const tick = (ms = 1) => new Date((clock += ms));

    async function newJob(
      store: JobStore,
      fields: { ownerId?: string; type?: string; input?: unknown; maxAttempts?: number; reuseKey?: string; scheduledAt?: string; priority?: JobPriority } = {},
    ): Promise<Job> {
      const ownerId = fields.ownerId ?? owner();
      const job = createJob(
        {
          id: crypto.randomUUID(),
          ownerId,
          // A workspace's owner key: the job lives in that workspace.
          ...(ownerId.startsWith('ws#') ? { workspaceId: ownerId.slice(3), createdBy: 'member-of-the-workspace' } : {}),
          type: fields.type ?? 'AI_PREVIEW',
          input: fields.input ?? { prompt: 'contract' },
          priority: fields.priority ?? 'normal',
          maxAttempts: fields.maxAttempts ?? 3,
          reuseKey: fields.reuseKey ?? null,
          ...(fields.scheduledAt ? { scheduledAt: fields.scheduledAt } : {}),
        },
        tick(),
        CONTRACT_LIFECYCLE,
      );
      await store.create(job);
      return job;
    }

    async function claim(store: JobStore, job: Job, runId: string = crypto.randomUUID(), lease = FAR_LEASE, generation = job.generation) {
      return store.claim(job.id, { runId, generation, now: tick().toISOString(), leaseExpiresAt: lease });
    }

    async function dueIds(store: JobStore, ids: readonly string[], dueBy = FAR_FUTURE, pageSize = 100): Promise<string[]> {
      const wanted = new Set(ids);
      const seen: string[] = [];
      let after: DuePosition | undefined;
      do {
        const page = await store.findDue(dueBy, pageSize, after);
        seen.push(...page.jobs.filter((job) => wanted.has(job.id)).map((job) => job.id));
        after = page.next ?? undefined;
      } while (after);
      return seen;
    }

    it('creates and reads a job back as written; a taken id is refused', async () => {
      const store = makeStore();
      const job = await newJob(store, { input: { prompt: 'Grüße', nested: { list: [1, 'two', null, true] } } });
      expect(await store.get(job.id)).toEqual(job);
      await expect(store.create(job)).rejects.toBeInstanceOf(JobAlreadyExistsError);
      expect(await store.get(crypto.randomUUID())).toBeUndefined();
    });

    it("keeps where a job lives and who created it: a workspace's job is listed under its owner key, not its creator's", async () => {
      const store = makeStore();
      const creator = owner();
      const ownerKey = `ws#${crypto.randomUUID()}`;
      const job = createJob(
        { id: crypto.randomUUID(), ownerId: ownerKey, workspaceId: ownerKey.slice(3), createdBy: creator, type: 'AI_PREVIEW', input: { prompt: 'w' }, priority: 'normal', maxAttempts: 3 },
        tick(),
        CONTRACT_LIFECYCLE,
      );
      await store.create(job);
      expect(await store.get(job.id)).toMatchObject({ ownerId: ownerKey, workspaceId: ownerKey.slice(3), createdBy: creator });
      expect((await store.list(ownerKey, { limit: 10 })).jobs.map((found) => found.id)).toEqual([job.id]);
      expect((await store.list(creator, { limit: 10 })).jobs).toEqual([]);
      expect(await store.countActive(ownerKey, 10)).toBe(1);
      const personal = await newJob(store, { ownerId: creator });
      expect(await store.get(personal.id)).toMatchObject({ workspaceId: null, createdBy: creator });
    });

    it('reads several jobs in the order asked, leaving out missing ones', async () => {
      const store = makeStore();
      const a = await newJob(store);
      const b = await newJob(store);
      const jobs = await store.getMany([b.id, crypto.randomUUID(), a.id]);
      expect(jobs.map((job) => job.id)).toEqual([b.id, a.id]);
      expect(jobs[1]).toEqual(a);
    });

    it("lists an owner's jobs newest first, filtered, a page at a time", async () => {
      const store = makeStore();
      const me = owner();
      const jobs: Job[] = [];
      for (let n = 0; n < 5; n++) jobs.push(await newJob(store, { ownerId: me, type: n % 2 === 0 ? 'AI_PREVIEW' : 'PARSE_DOCUMENT' }));
      await newJob(store); // someone else's
      const cancelled = jobs[3]!;
      await store.cancel(cancelled.id, { ownerId: me, runId: null, generation: 0 }, tick());
      const newestFirst = [...jobs].reverse().map((job) => job.id);

      const first = await store.list(me, { limit: 2 });
      expect(first.jobs.map((job) => job.id)).toEqual(newestFirst.slice(0, 2));
      const second = await store.list(me, { limit: 2, after: first.next! });
      expect(second.jobs.map((job) => job.id)).toEqual(newestFirst.slice(2, 4));
      const third = await store.list(me, { limit: 2, after: second.next! });
      expect(third.jobs.map((job) => job.id)).toEqual(newestFirst.slice(4));
      expect(third.next).toBeNull();

      expect((await store.list(me, { limit: 10, type: 'PARSE_DOCUMENT' })).jobs.map((job) => job.id)).toEqual(
        newestFirst.filter((id) => jobs.find((job) => job.id === id)!.type === 'PARSE_DOCUMENT'),
      );
      const onlyCancelled = await store.list(me, { limit: 10, status: 'CANCELLED' });
      expect(onlyCancelled.jobs.map((job) => job.id)).toEqual([cancelled.id]);
      expect(onlyCancelled.jobs[0]?.status).toBe('CANCELLED');
      expect((await store.list(owner(), { limit: 10 })).jobs).toEqual([]);
    });

    /** Every page of the list, `limit` at a time: the ids in order. */
    async function listAll(store: JobStore, ownerId: string, query: Omit<ListQuery, 'after' | 'limit'>, limit = 2): Promise<string[]> {
      const ids: string[] = [];
      let after: ListQuery['after'];
      for (let page = 0; page < 20; page++) {
        const result = await store.list(ownerId, { ...query, limit, ...(after ? { after } : {}) });
        expect(result.jobs.length).toBeLessThanOrEqual(limit);
        ids.push(...result.jobs.map((job) => job.id));
        if (!result.next) return ids;
        after = result.next;
      }
      throw new Error('the list did not end after 20 pages');
    }

    it('lists only the jobs of the priorities asked for, a page at a time', async () => {
      const store = makeStore();
      const me = owner();
      const priorities: JobPriority[] = ['low', 'high', 'urgent', 'normal', 'high', 'urgent', 'low'];
      const jobs: Job[] = [];
      for (const priority of priorities) jobs.push(await newJob(store, { ownerId: me, priority }));
      const newestFirst = [...jobs].reverse();
      const wanted = newestFirst.filter((job) => job.priority === 'high' || job.priority === 'urgent').map((job) => job.id);
      expect(await listAll(store, me, { priorities: ['high', 'urgent'] })).toEqual(wanted);
      expect(await listAll(store, me, { priorities: ['normal'] })).toEqual([jobs[3]!.id]);
      const found = await store.list(me, { limit: 10, priorities: ['low'] });
      expect(found.jobs.map((job) => job.priority)).toEqual(['low', 'low']);
    });

    it('lists oldest first with order asc', async () => {
      const store = makeStore();
      const me = owner();
      const jobs: Job[] = [];
      for (let n = 0; n < 5; n++) jobs.push(await newJob(store, { ownerId: me }));
      expect(await listAll(store, me, { sort: 'createdAt', order: 'asc' })).toEqual(jobs.map((job) => job.id));
    });

    it('sorts by the last status change with sort updatedAt; progress reports do not move a job', async () => {
      const store = makeStore();
      const me = owner();
      const jobs: Job[] = [];
      for (let n = 0; n < 5; n++) jobs.push(await newJob(store, { ownerId: me, priority: n % 2 === 0 ? 'high' : 'low' }));
      const [j0, j1, j2, j3, j4] = jobs as [Job, Job, Job, Job, Job];
      const running = await claim(store, j0);
      await store.cancel(j2.id, { ownerId: me, runId: null, generation: 0 }, tick());
      await claim(store, j1);
      // A progress report moves updatedAt, not the job's place in this order.
      await store.reportProgress(j0.id, { runId: running!.runId! }, { percent: 50, message: 'half' }, tick());

      const latestFirst = [j1, j2, j0, j4, j3].map((job) => job.id);
      expect(await listAll(store, me, { sort: 'updatedAt' })).toEqual(latestFirst);
      expect(await listAll(store, me, { sort: 'updatedAt', order: 'asc' })).toEqual([...latestFirst].reverse());
      expect(await listAll(store, me, { sort: 'updatedAt', priorities: ['high'] })).toEqual([j2, j0, j4].map((job) => job.id));
      expect(await listAll(store, me, { sort: 'updatedAt', status: 'PROCESSING' }, 1)).toEqual([j1, j0].map((job) => job.id));
      expect(await listAll(store, me, { sort: 'updatedAt', type: 'AI_PREVIEW' }, 10)).toEqual(latestFirst);
      const record = (await store.get(j0.id))!;
      expect(record.updatedAt > record.statusChangedAt).toBe(true);
    });

    it('claims a PENDING job once: PROCESSING, one more attempt, the runId and lease; startedAt kept', async () => {
      const store = makeStore();
      const job = await newJob(store);
      const lease = new Date(clock + 60_000).toISOString();
      const claimed = await claim(store, job, 'run-1', lease);
      expect(claimed).toMatchObject({ status: 'PROCESSING', attempts: 1, runId: 'run-1', leaseExpiresAt: lease, progress: null });
      expect(claimed!.startedAt).toBe(claimed!.updatedAt);
      expect(await claim(store, job, 'run-2', lease)).toBeUndefined(); // a duplicate while the lease holds
      // Once the lease has expired, another delivery takes over as a new attempt.
      clock = Date.parse(lease) + 1_000;
      const takeover = await claim(store, job, 'run-3', new Date(clock + 60_000).toISOString());
      expect(takeover).toMatchObject({ status: 'PROCESSING', attempts: 2, runId: 'run-3', startedAt: claimed!.startedAt });
      expect(await store.get(job.id)).toEqual(takeover);
    });

    it('claims nothing that is missing, finished, out of attempts or on another run', async () => {
      const store = makeStore();
      expect(await store.claim(crypto.randomUUID(), { runId: 'r', generation: 0, now: tick().toISOString(), leaseExpiresAt: FAR_LEASE })).toBeUndefined();
      const once = await newJob(store, { maxAttempts: 1 });
      const first = await claim(store, once, 'a', new Date(clock - 1).toISOString()); // lease already expired
      expect(first?.attempts).toBe(1);
      expect(await claim(store, once, 'b')).toBeUndefined(); // attempts exhausted
      const done = await newJob(store);
      await store.complete(done.id, { runId: (await claim(store, done, 'c'))!.runId! }, { result: { ok: true } }, tick());
      expect(await claim(store, done, 'd')).toBeUndefined();
      const other = await newJob(store);
      expect(await claim(store, other, 'e', FAR_LEASE, 1)).toBeUndefined(); // a message of a later run
    });

    it('keeps a scheduled job unclaimable before its time, claimable from it; a retry makes it run at once', async () => {
      const store = makeStore();
      const runAt = new Date(clock + 60_000).toISOString();
      const job = await newJob(store, { scheduledAt: runAt });
      expect(await store.get(job.id)).toEqual(job);
      expect(job).toMatchObject({ scheduledAt: runAt, dueAt: new Date(Date.parse(runAt) + CONTRACT_LIFECYCLE.stalePendingMs).toISOString() });
      const before = new Date(Date.parse(runAt) - 1).toISOString();
      expect(await store.claim(job.id, { runId: 'early', generation: 0, now: before, leaseExpiresAt: FAR_LEASE })).toBeUndefined();
      expect(await store.get(job.id)).toMatchObject({ status: 'PENDING', attempts: 0, runId: null });
      const claimed = await store.claim(job.id, { runId: 'on-time', generation: 0, now: runAt, leaseExpiresAt: FAR_LEASE });
      expect(claimed).toMatchObject({ status: 'PROCESSING', attempts: 1, startedAt: runAt, scheduledAt: runAt });
      await store.fail(job.id, { runId: 'on-time' }, 'boom', tick());
      const retried = await store.retry(job.id, { ownerId: job.ownerId, runId: 'on-time', generation: 0 }, tick());
      expect(retried).toMatchObject({ status: 'PENDING', scheduledAt: null, generation: 1 });
      expect(await claim(store, retried)).toMatchObject({ status: 'PROCESSING', generation: 1 });
    });

    it('keeps a job scheduled beyond the queue delay in the due index until 15 minutes before its time', async () => {
      const store = makeStore();
      const runAt = new Date(clock + 3 * 86_400_000).toISOString();
      const job = await newJob(store, { scheduledAt: runAt });
      const sendFrom = new Date(Date.parse(runAt) - 900_000);
      expect(job.dueAt).toBe(sendFrom.toISOString());
      expect(await dueIds(store, [job.id], new Date(sendFrom.getTime() - 1).toISOString())).toEqual([]);
      expect(await dueIds(store, [job.id], sendFrom.toISOString())).toEqual([job.id]);
    });

    it("fences an attempt's progress and outcome on its runId", async () => {
      const store = makeStore();
      const job = await newJob(store);
      await claim(store, job, 'mine');
      await store.reportProgress(job.id, { runId: 'mine' }, { percent: 40, message: 'half way' }, tick());
      expect((await store.get(job.id))?.progress).toEqual({ percent: 40, message: 'half way' });
      for (const write of [
        () => store.reportProgress(job.id, { runId: 'other' }, { percent: 50, message: null }, tick()),
        () => store.complete(job.id, { runId: 'other' }, { result: { stolen: true } }, tick()),
        () => store.fail(job.id, { runId: 'other' }, 'no', tick()),
        () => store.requeue(job.id, { runId: 'other' }, 'no', tick(), tick()),
        () => store.postpone(job.id, { runId: 'other' }, tick()),
        () => store.recoverAttempt(job.id, { runId: 'other' }, 'no', tick(), 'requeue'),
      ]) {
        await expect(write()).rejects.toBeInstanceOf(ConcurrentUpdateError);
      }
      expect(await store.get(job.id)).toMatchObject({ status: 'PROCESSING', runId: 'mine', result: null, error: null });
    });

    it('completes: COMPLETED with the result, no progress, out of the due index, kept for the retention', async () => {
      const store = makeStore();
      const job = await newJob(store);
      await claim(store, job, 'r');
      await store.reportProgress(job.id, { runId: 'r' }, { percent: 80, message: 'nearly' }, tick());
      const at = tick();
      await store.complete(job.id, { runId: 'r' }, { result: { output: 'done', n: 2 } }, at);
      expect(await store.get(job.id)).toMatchObject({
        status: 'COMPLETED',
        result: { output: 'done', n: 2 },
        error: null,
        progress: null,
        completedAt: at.toISOString(),
        updatedAt: at.toISOString(),
        leaseExpiresAt: null,
        dueAt: null,
        expiresAt: Math.floor((at.getTime() + CONTRACT_LIFECYCLE.retentionMs) / 1000),
      });
      expect(await dueIds(store, [job.id])).toEqual([]);
      await expect(store.complete(job.id, { runId: 'r' }, { result: { again: true } }, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
    });

    it('reads a job past its retention as missing', async () => {
      const store = makeStore();
      const job = await newJob(store);
      await claim(store, job, 'r');
      await store.fail(job.id, { runId: 'r' }, 'long ago', new Date(Date.now() - CONTRACT_LIFECYCLE.retentionMs - 86_400_000));
      expect(await store.get(job.id)).toBeUndefined();
      expect(await store.getMany([job.id])).toEqual([]);
      expect((await store.list(job.ownerId, { limit: 10 })).jobs).toEqual([]);
    });

    it('fails an attempt: FAILED with the error, and out of the due index', async () => {
      const store = makeStore();
      const job = await newJob(store);
      await claim(store, job, 'r');
      const at = tick();
      await store.fail(job.id, { runId: 'r' }, 'Bedrock API error: ValidationException - bad', at);
      expect(await store.get(job.id)).toMatchObject({ status: 'FAILED', error: 'Bedrock API error: ValidationException - bad', completedAt: at.toISOString(), dueAt: null });
      expect(await dueIds(store, [job.id])).toEqual([]);
    });

    it('requeues an attempt: PENDING with the error, due stalePendingMs after its next attempt, claimable again', async () => {
      const store = makeStore();
      const job = await newJob(store);
      await claim(store, job, 'r');
      const next = new Date(clock + 20_000);
      await store.requeue(job.id, { runId: 'r' }, 'throttled', next, tick());
      const dueAt = new Date(next.getTime() + CONTRACT_LIFECYCLE.stalePendingMs).toISOString();
      expect(await store.get(job.id)).toMatchObject({ status: 'PENDING', error: 'throttled', attempts: 1, dueAt, leaseExpiresAt: null, progress: null });
      expect(await dueIds(store, [job.id], dueAt)).toEqual([job.id]);
      expect(await dueIds(store, [job.id], new Date(Date.parse(dueAt) - 1).toISOString())).toEqual([]);
      expect(await claim(store, job, 'r2')).toMatchObject({ attempts: 2, runId: 'r2' });
    });

    it("keeps the create's request id on every run; queuedAt moves on requeue and retry, never on a claim", async () => {
      const store = makeStore();
      const spec = { id: crypto.randomUUID(), ownerId: owner(), type: 'AI_PREVIEW', input: { prompt: 'contract' }, priority: 'normal' as const, maxAttempts: 3, requestId: 'req-contract-1' };
      const created = createJob(spec, tick(), CONTRACT_LIFECYCLE);
      await store.create(created);
      expect(await store.get(created.id)).toMatchObject({ requestId: 'req-contract-1', queuedAt: created.createdAt });
      expect(await claim(store, created, 'r1')).toMatchObject({ requestId: 'req-contract-1', queuedAt: created.createdAt });
      const next = new Date(clock + 20_000);
      await store.requeue(created.id, { runId: 'r1' }, 'throttled', next, tick());
      expect(await store.get(created.id)).toMatchObject({ requestId: 'req-contract-1', queuedAt: next.toISOString() });
      await claim(store, created, 'r2');
      await store.fail(created.id, { runId: 'r2' }, 'boom', tick());
      const failed = (await store.get(created.id))!;
      const at = tick();
      const retried = await store.retry(created.id, { ownerId: failed.ownerId, runId: failed.runId, generation: failed.generation }, at);
      expect(retried).toMatchObject({ requestId: 'req-contract-1', queuedAt: at.toISOString(), generation: 1 });
      expect(await store.get(created.id)).toMatchObject({ requestId: 'req-contract-1', queuedAt: at.toISOString() });
      const plain = await newJob(store);
      expect((await store.get(plain.id))!.requestId).toBeNull();
    });

    it('cancels a PENDING or PROCESSING job for its owner as they read it, and nothing else', async () => {
      const store = makeStore();
      const pending = await newJob(store);
      const at = tick();
      const cancelled = await store.cancel(pending.id, { ownerId: pending.ownerId, runId: null, generation: 0 }, at);
      expect(cancelled).toMatchObject({ id: pending.id, status: 'CANCELLED', completedAt: at.toISOString(), dueAt: null });
      expect(await store.get(pending.id)).toEqual(cancelled);

      const running = await newJob(store);
      await claim(store, running, 'r');
      const expected = { ownerId: running.ownerId, runId: 'r', generation: 0 };
      await expect(store.cancel(running.id, { ...expected, ownerId: 'someone-else' }, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
      await expect(store.cancel(running.id, { ...expected, runId: null }, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
      expect((await store.cancel(running.id, expected, tick())).status).toBe('CANCELLED');
      await expect(store.cancel(running.id, expected, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
      // The cancelled attempt's outcome is refused.
      await expect(store.complete(running.id, { runId: 'r' }, { result: { late: true } }, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
    });

    it('retries a FAILED or CANCELLED job on a new run: PENDING, attempts 0, no result or times', async () => {
      const store = makeStore();
      const job = await newJob(store);
      await claim(store, job, 'r');
      await store.fail(job.id, { runId: 'r' }, 'boom', tick());
      const expected = { ownerId: job.ownerId, runId: 'r', generation: 0 };
      await expect(store.retry(job.id, { ...expected, runId: 'other' }, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
      const at = tick();
      const retried = await store.retry(job.id, expected, at);
      expect(retried).toMatchObject({
        status: 'PENDING', generation: 1, attempts: 0, result: null, error: null, startedAt: null, completedAt: null,
        runId: null, expiresAt: null, dueAt: new Date(at.getTime() + CONTRACT_LIFECYCLE.stalePendingMs).toISOString(),
      });
      await expect(store.retry(job.id, expected, tick())).rejects.toBeInstanceOf(ConcurrentUpdateError);
      expect(await claim(store, retried, 'old-run', FAR_LEASE, 0)).toBeUndefined(); // a message of the earlier run
      expect(await claim(store, retried, 'new-run', FAR_LEASE, 1)).toMatchObject({ attempts: 1, generation: 1 });

      const pending = await newJob(store);
      await expect(store.retry(pending.id, { ownerId: pending.ownerId, runId: null, generation: 0 }, tick())).rejects.toBeInstanceOf(
        ConcurrentUpdateError,
      );
    });

    it('marks a PENDING job due now when its message could not be sent', async () => {
      const store = makeStore();
      const job = await newJob(store);
      const at = tick();
      await expect(store.markDue(job.id, { runId: null, generation: 1 }, at)).rejects.toBeInstanceOf(ConcurrentUpdateError);
      await store.markDue(job.id, { runId: null, generation: 0 }, at);
      expect((await store.get(job.id))?.dueAt).toBe(at.toISOString());
      expect(await dueIds(store, [job.id], at.toISOString())).toEqual([job.id]);
    });

    it('resends a PENDING job once per due time', async () => {
      const store = makeStore();
      const job = await newJob(store);
      const next = new Date(clock + 600_000);
      await store.resend(job.id, { dueAt: job.dueAt! }, next);
      expect((await store.get(job.id))?.dueAt).toBe(next.toISOString());
      await expect(store.resend(job.id, { dueAt: job.dueAt! }, next)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    });

    it('postpones a running job, and settles a lost attempt as requeued or failed', async () => {
      const store = makeStore();
      const job = await newJob(store, { maxAttempts: 2 });
      await claim(store, job, 'first');
      const later = new Date(clock + 120_000);
      await store.postpone(job.id, { runId: 'first' }, later);
      expect(await store.get(job.id)).toMatchObject({ status: 'PROCESSING', dueAt: later.toISOString() });
      const at = tick();
      await store.recoverAttempt(job.id, { runId: 'first' }, 'Attempt 1 was lost', at, 'requeue');
      expect(await store.get(job.id)).toMatchObject({
        status: 'PENDING', attempts: 1, error: 'Attempt 1 was lost',
        dueAt: new Date(at.getTime() + CONTRACT_LIFECYCLE.stalePendingMs).toISOString(),
      });
      await claim(store, job, 'second');
      await store.recoverAttempt(job.id, { runId: 'second' }, 'Attempt 2 was lost', tick(), 'fail');
      expect(await store.get(job.id)).toMatchObject({ status: 'FAILED', attempts: 2, error: 'Attempt 2 was lost', dueAt: null });
    });

    it('fails an undeliverable PENDING or PROCESSING job of the same run, and leaves finished ones', async () => {
      const store = makeStore();
      const pending = await newJob(store);
      await expect(store.failUndeliverable(pending.id, { runId: null, generation: 1 }, 'dead letter', tick())).rejects.toBeInstanceOf(
        ConcurrentUpdateError,
      );
      await store.failUndeliverable(pending.id, { runId: null, generation: 0 }, 'dead letter', tick());
      expect(await store.get(pending.id)).toMatchObject({ status: 'FAILED', error: 'dead letter' });
      const running = await newJob(store);
      await claim(store, running, 'r');
      await store.failUndeliverable(running.id, { runId: 'r', generation: 0 }, 'dead letter', tick());
      expect((await store.get(running.id))?.status).toBe('FAILED');
      await expect(store.failUndeliverable(running.id, { runId: 'r', generation: 0 }, 'again', tick())).rejects.toBeInstanceOf(
        ConcurrentUpdateError,
      );
    });

    it('finds FAILED jobs of every owner that failed in a window, the latest first, by type, at most limit', async () => {
      const store = makeStore();
      // A type of this test's own: the table may be shared, and the index spans every owner.
      const type = `CONTRACT_FAILED_${crypto.randomUUID()}`;
      const failed: Job[] = [];
      const failedAt: string[] = [];
      for (let n = 0; n < 4; n++) {
        const job = await newJob(store, { type });
        await claim(store, job, 'r');
        const at = tick(10);
        await store.fail(job.id, { runId: 'r' }, `failed ${n}`, at);
        failed.push(job);
        failedAt.push(at.toISOString());
      }
      const undeliverable = await newJob(store, { type });
      const deadAt = tick(10);
      await store.failUndeliverable(undeliverable.id, { runId: null, generation: 0 }, 'dead letter', deadAt);
      const completed = await newJob(store, { type });
      await claim(store, completed, 'r');
      await store.complete(completed.id, { runId: 'r' }, { result: { ok: true } }, tick(10));
      const otherType = await newJob(store, { type: `${type}_OTHER` });
      await claim(store, otherType, 'r');
      await store.fail(otherType.id, { runId: 'r' }, 'other', tick(10));
      const window = { since: failedAt[0]!, until: new Date(clock + 1000).toISOString() };

      const all = await store.findFailed({ ...window, type, limit: 10 });
      expect(all.jobs.map((job) => job.id)).toEqual([undeliverable.id, ...failed.map((job) => job.id).reverse()]);
      expect(all.jobs[0]).toMatchObject({ status: 'FAILED', error: 'dead letter', completedAt: deadAt.toISOString(), type, ownerId: undeliverable.ownerId });
      expect(all.more).toBe(false);

      const page = await store.findFailed({ ...window, type, limit: 2 });
      expect(page.jobs.map((job) => job.id)).toEqual([undeliverable.id, failed[3]!.id]);
      expect(page.more).toBe(true);

      const narrow = await store.findFailed({ since: failedAt[1]!, until: failedAt[2]!, type, limit: 10 });
      expect(narrow.jobs.map((job) => job.id)).toEqual([failed[2]!.id, failed[1]!.id]);

      // Any type: this test's other-type job is there too (among whatever else failed meanwhile).
      const anyType = await store.findFailed({ since: failedAt[0]!, until: window.until, limit: 1000 });
      expect(anyType.jobs.map((job) => job.id)).toEqual(expect.arrayContaining([otherType.id, undeliverable.id]));
      expect(anyType.jobs.map((job) => job.id)).not.toContain(completed.id);
    });

    it('takes a FAILED job out of the failed jobs once it is retried, and back in when it fails again', async () => {
      const store = makeStore();
      const type = `CONTRACT_FAILED_${crypto.randomUUID()}`;
      const job = await newJob(store, { type });
      const since = tick().toISOString();
      await claim(store, job, 'r');
      await store.fail(job.id, { runId: 'r' }, 'first', tick());
      const window = () => ({ since, until: new Date(clock + 1000).toISOString(), type, limit: 10 });
      expect((await store.findFailed(window())).jobs.map((found) => found.id)).toEqual([job.id]);

      const retried = await store.retry(job.id, { ownerId: job.ownerId, runId: 'r', generation: 0 }, tick());
      expect((await store.findFailed(window())).jobs).toEqual([]);

      await claim(store, retried, 'r2', FAR_LEASE, 1);
      await store.recoverAttempt(job.id, { runId: 'r2' }, 'worker lost', tick(), 'fail');
      expect((await store.findFailed(window())).jobs).toEqual([expect.objectContaining({ id: job.id, generation: 1, error: 'worker lost' })]);
    });

    it('finds unfinished jobs due by a time, page after page over every shard, each once', async () => {
      const store = makeStore();
      const jobs: Job[] = [];
      for (let n = 0; n < 30; n++) jobs.push(await newJob(store));
      const ids = jobs.map((job) => job.id);
      const finished = jobs[0]!;
      await store.cancel(finished.id, { ownerId: finished.ownerId, runId: null, generation: 0 }, tick());
      const expected = ids.slice(1).sort();
      for (const pageSize of [1, 7, 100]) {
        const seen = await dueIds(store, ids, FAR_FUTURE, pageSize);
        expect(seen.slice().sort(), `pages of ${pageSize}`).toEqual(expected);
      }
      // Only those due by the bound: the first ten were created a millisecond or more before the rest.
      const bound = jobs[10]!.dueAt!;
      expect((await dueIds(store, ids, bound)).sort()).toEqual(ids.slice(1, 11).sort());
      const page = await store.findDue(FAR_FUTURE, 5);
      for (const due of page.jobs) expect(due.dueAt <= FAR_FUTURE).toBe(true);
    });
    it("counts an owner's unfinished jobs only, up to the limit; a finished job leaves the count, a retried one returns", async () => {
      const store = makeStore();
      const me = owner();
      const pending = await newJob(store, { ownerId: me });
      const running = await newJob(store, { ownerId: me });
      await claim(store, running, 'r');
      const done = await newJob(store, { ownerId: me });
      await store.complete(done.id, { runId: (await claim(store, done, 'c'))!.runId! }, { result: { ok: true } }, tick());
      const cancelled = await newJob(store, { ownerId: me });
      await store.cancel(cancelled.id, { ownerId: me, runId: null, generation: 0 }, tick());
      await newJob(store); // someone else's

      expect(await store.countActive(me, 100)).toBe(2);
      expect(await store.countActive(me, 1)).toBe(1);
      expect(await store.countActive(owner(), 100)).toBe(0);
      await store.cancel(pending.id, { ownerId: me, runId: null, generation: 0 }, tick());
      expect(await store.countActive(me, 100)).toBe(1);
      await store.retry(cancelled.id, { ownerId: me, runId: null, generation: 0 }, tick());
      expect(await store.countActive(me, 100)).toBe(2);
    });

    it("counts an owner's unfinished jobs of one type among at most `limit` unfinished ones, and all of them", async () => {
      const store = makeStore();
      const me = owner();
      const parses = [await newJob(store, { ownerId: me, type: 'PARSE_DOCUMENT' }), await newJob(store, { ownerId: me, type: 'PARSE_DOCUMENT' })];
      await claim(store, parses[1]!, 'r');
      await newJob(store, { ownerId: me, type: 'AI_PREVIEW' });
      const done = await newJob(store, { ownerId: me, type: 'PARSE_DOCUMENT' });
      await store.complete(done.id, { runId: (await claim(store, done, 'c'))!.runId! }, { result: { ok: true } }, tick());
      await newJob(store, { type: 'PARSE_DOCUMENT' }); // someone else's

      expect(await store.countActiveOfType(me, 100, 'PARSE_DOCUMENT')).toEqual({ active: 3, ofType: 2 });
      expect(await store.countActiveOfType(me, 100, 'AI_PREVIEW')).toEqual({ active: 3, ofType: 1 });
      expect(await store.countActiveOfType(me, 100, 'RISK_ANALYSIS')).toEqual({ active: 3, ofType: 0 });
      // Bounded: never more than `limit` entries read, however many the owner has.
      const bounded = await store.countActiveOfType(me, 2, 'PARSE_DOCUMENT');
      expect(bounded.active).toBe(2);
      expect(bounded.ofType).toBeLessThanOrEqual(2);
      expect(await store.countActiveOfType(owner(), 100, 'PARSE_DOCUMENT')).toEqual({ active: 0, ofType: 0 });
      await store.cancel(parses[0]!.id, { ownerId: me, runId: null, generation: 0 }, tick());
      expect(await store.countActiveOfType(me, 100, 'PARSE_DOCUMENT')).toEqual({ active: 2, ofType: 1 });
    });

    it('finds the newest COMPLETED job of a reuse key completed since a time, and nothing else', async () => {
      const store = makeStore();
      const key = `reuse-${crypto.randomUUID()}`;
      const finish = async (job: Job, outcome: 'complete' | 'fail', result: Record<string, string> = { n: 'x' }) => {
        const claimed = (await claim(store, job, crypto.randomUUID()))!;
        const at = tick(10);
        if (outcome === 'complete') await store.complete(job.id, { runId: claimed.runId! }, { result }, at);
        else await store.fail(job.id, { runId: claimed.runId! }, 'no', at);
        return at.toISOString();
      };
      const older = await newJob(store, { reuseKey: key });
      const olderAt = await finish(older, 'complete', { n: 'older' });
      const newer = await newJob(store, { reuseKey: key });
      const newerAt = await finish(newer, 'complete', { n: 'newer' });
      await finish(await newJob(store, { reuseKey: key }), 'fail');
      await newJob(store, { reuseKey: key }); // unfinished
      await finish(await newJob(store, { reuseKey: `other-${key}` }), 'complete');

      expect(await store.findReusable(key, olderAt)).toMatchObject({ id: newer.id, status: 'COMPLETED', result: { n: 'newer' }, reuseKey: key });
      expect((await store.findReusable(key, newerAt))?.id).toBe(newer.id);
      expect(await store.findReusable(key, new Date(Date.parse(newerAt) + 1).toISOString())).toBeUndefined();
      expect(await store.findReusable(`missing-${key}`, olderAt)).toBeUndefined();
    });

    describeShardedOwnerContract({ makeStore, jobShards, newJob, claim, tick, pages: listAll });

    it('holds an idempotency record until it expires, and never reads it as a job', async () => {
      const store = makeStore();
      const me = owner();
      const id = idempotencyRecordId(me, `key-${crypto.randomUUID()}`);
      const now = Math.floor(Date.now() / 1000);
      const record = { id, requestHash: 'hash-a', jobId: crypto.randomUUID(), generation: 0, expiresAt: now + 3600 };

      expect(await store.getIdempotencyRecord(id)).toBeUndefined();
      expect(await store.putIdempotencyRecord(record)).toBe(true);
      expect(await store.putIdempotencyRecord({ ...record, requestHash: 'hash-b', jobId: crypto.randomUUID() })).toBe(false);
      expect(await store.getIdempotencyRecord(id)).toEqual(record);

      expect(await store.get(id)).toBeUndefined();
      expect(await store.getMany([id])).toEqual([]);
      expect(await store.countActive(me, 100)).toBe(0);
      expect(await store.countActiveOfType(me, 100, 'AI_PREVIEW')).toEqual({ active: 0, ofType: 0 });
      expect((await store.list(me, { limit: 10 })).jobs).toEqual([]);
      expect(await dueIds(store, [id])).toEqual([]);

      const expired = { id: idempotencyRecordId(me, `key-${crypto.randomUUID()}`), requestHash: 'old', jobId: crypto.randomUUID(), generation: 0, expiresAt: now - 1 };
      expect(await store.putIdempotencyRecord(expired)).toBe(true);
      expect(await store.getIdempotencyRecord(expired.id)).toBeUndefined();
      const renewed = { ...expired, requestHash: 'new', expiresAt: now + 3600 };
      expect(await store.putIdempotencyRecord(renewed)).toBe(true);
      expect(await store.getIdempotencyRecord(expired.id)).toEqual(renewed);
    });
  });
}
