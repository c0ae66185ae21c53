/**
 * Part of the JobStore contract (job-store.contract.ts runs it): a workspace whose jobShards is
 * above 1 has its jobs' list entries spread over that many index shards, and the store reads them
 * all. Listing merges the shards in order (newest first, or as asked), every job once across
 * pages, with every filter; the quota counts every shard; raising jobShards keeps every earlier
 * job listed and counted, and a cursor issued before the raise still resumes without loss.
 */
import { expect, it } from 'vitest';
import type { Job, JobPriority } from '../../lambdas/domain/job.ts';
import type { JobStore, ListQuery } from '../../lambdas/domain/ports.ts';

export interface ShardedOwnerHelpers {
  readonly makeStore: () => JobStore;
  /** jobShards by workspace id, as the store reads them (1 when unset). */
  readonly jobShards: Map<string, number>;
  readonly newJob: (store: JobStore, fields?: { ownerId?: string; type?: string; priority?: JobPriority }) => Promise<Job>;
  readonly claim: (store: JobStore, job: Job) => Promise<Job | undefined>;
  readonly tick: (ms?: number) => Date;
  /** Every page of the list, `limit` at a time: the ids in order, each page at most `limit`. */
  readonly pages: (store: JobStore, ownerId: string, query: Omit<ListQuery, 'after' | 'limit'>, limit: number) => Promise<string[]>;
}

export function describeShardedOwnerContract({ makeStore, jobShards, newJob, claim, tick, pages }: ShardedOwnerHelpers): void {
  /** A new workspace's owner key, with `shards` index shards. */
  const workspace = (shards: number) => {
    const workspaceId = crypto.randomUUID();
    jobShards.set(workspaceId, shards);
    return `ws#${workspaceId}`;
  };

  const PRIORITIES: JobPriority[] = ['low', 'normal', 'high', 'urgent'];

  it("lists a sharded workspace's jobs merged across its shards: newest first, each once, page after page, with every filter", async () => {
    const store = makeStore();
    const ownerKey = workspace(4);
    const jobs: Job[] = [];
    for (let n = 0; n < 14; n++) {
      jobs.push(await newJob(store, { ownerId: ownerKey, type: n % 3 === 0 ? 'PARSE_DOCUMENT' : 'AI_PREVIEW', priority: PRIORITIES[n % 4]! }));
    }
    await newJob(store, { ownerId: workspace(4) }); // another workspace's
    const cancelled = [jobs[2]!, jobs[9]!];
    for (const job of cancelled) await store.cancel(job.id, { ownerId: ownerKey, runId: null, generation: 0 }, tick());
    const newestFirst = [...jobs].reverse();
    const ids = (list: readonly Job[]) => list.map((job) => job.id);

    for (const limit of [1, 3, 5, 20]) expect(await pages(store, ownerKey, {}, limit)).toEqual(ids(newestFirst));
    expect(await pages(store, ownerKey, { order: 'asc' }, 4)).toEqual(ids(jobs));
    expect(await pages(store, ownerKey, { type: 'PARSE_DOCUMENT' }, 2)).toEqual(ids(newestFirst.filter((job) => job.type === 'PARSE_DOCUMENT')));
    expect(await pages(store, ownerKey, { status: 'CANCELLED' }, 1)).toEqual(ids([...cancelled].reverse()));
    expect(await pages(store, ownerKey, { priorities: ['high', 'urgent'] }, 3)).toEqual(
      ids(newestFirst.filter((job) => job.priority === 'high' || job.priority === 'urgent')),
    );
    // By the last status change: the two cancelled jobs moved to the front, latest first.
    const byUpdate = [cancelled[1]!, cancelled[0]!, ...newestFirst.filter((job) => !cancelled.includes(job))];
    expect(await pages(store, ownerKey, { sort: 'updatedAt' }, 4)).toEqual(ids(byUpdate));
    expect(await pages(store, ownerKey, { sort: 'updatedAt', order: 'asc', type: 'AI_PREVIEW' }, 3)).toEqual(
      ids([...byUpdate].reverse().filter((job) => job.type === 'AI_PREVIEW')),
    );
  });

  it("reads a sharded workspace's jobs back with its owner key, and applies its members' actions to them", async () => {
    const store = makeStore();
    const ownerKey = workspace(8);
    const job = await newJob(store, { ownerId: ownerKey });
    expect(await store.get(job.id)).toEqual(job);
    expect((await store.getMany([job.id]))[0]?.ownerId).toBe(ownerKey);
    const cancelled = await store.cancel(job.id, { ownerId: ownerKey, runId: null, generation: 0 }, tick());
    expect(cancelled).toMatchObject({ ownerId: ownerKey, status: 'CANCELLED' });
    // Another owner's expectation (even a key that begins like this one) does not apply.
    await expect(store.retry(job.id, { ownerId: 'ws', runId: null, generation: 0 }, tick())).rejects.toThrow();
    await expect(store.retry(job.id, { ownerId: `${ownerKey}#1`, runId: null, generation: 0 }, tick())).rejects.toThrow();
    expect(await store.retry(job.id, { ownerId: ownerKey, runId: null, generation: 0 }, tick())).toMatchObject({ ownerId: ownerKey, status: 'PENDING', generation: 1 });
  });

  it("counts a sharded workspace's unfinished jobs over every shard, up to the limit", async () => {
    const store = makeStore();
    const ownerKey = workspace(4);
    const jobs: Job[] = [];
    for (let n = 0; n < 9; n++) jobs.push(await newJob(store, { ownerId: ownerKey, type: n < 3 ? 'PARSE_DOCUMENT' : 'AI_PREVIEW' }));
    await claim(store, jobs[0]!);
    await store.cancel(jobs[8]!.id, { ownerId: ownerKey, runId: null, generation: 0 }, tick());

    expect(await store.countActive(ownerKey, 100)).toBe(8);
    for (const limit of [1, 3, 5, 8]) expect(await store.countActive(ownerKey, limit)).toBe(limit);
    expect(await store.countActiveOfType(ownerKey, 100, 'PARSE_DOCUMENT')).toEqual({ active: 8, ofType: 3 });
    const bounded = await store.countActiveOfType(ownerKey, 5, 'PARSE_DOCUMENT');
    expect(bounded.active).toBe(5);
    expect(bounded.ofType).toBeLessThanOrEqual(3);
  });

  it('keeps every earlier job listed and counted when jobShards is raised, and resumes a cursor issued before the raise', async () => {
    const store = makeStore();
    const ownerKey = workspace(1);
    const before: Job[] = [];
    for (let n = 0; n < 5; n++) before.push(await newJob(store, { ownerId: ownerKey }));
    const firstPage = await store.list(ownerKey, { limit: 2 });
    expect(firstPage.jobs.map((job) => job.id)).toEqual([before[4]!.id, before[3]!.id]);

    jobShards.set(ownerKey.slice(3), 16);
    const after: Job[] = [];
    for (let n = 0; n < 10; n++) after.push(await newJob(store, { ownerId: ownerKey }));
    // The old cursor goes on with the older jobs, none lost or repeated; the new ones are newer than it.
    const rest: string[] = [];
    let next = firstPage.next;
    while (next) {
      const page = await store.list(ownerKey, { limit: 2, after: next });
      rest.push(...page.jobs.map((job) => job.id));
      next = page.next;
    }
    expect(rest).toEqual([before[2]!.id, before[1]!.id, before[0]!.id]);
    expect(await pages(store, ownerKey, {}, 4)).toEqual([...before, ...after].reverse().map((job) => job.id));
    expect(await store.countActive(ownerKey, 100)).toBe(15);
  });
}
