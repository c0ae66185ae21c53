/**
 * What a list and a quota count cost on the owner indexes, by the number of index shards (issue
 * 11's jobShards): a personal owner and an unsharded workspace stay one Query; a workspace with N
 * shards is one Query per shard key (in parallel) merged in order; a new job's entries go to one
 * of its shards. The merge's results across pages are the contract's (job-store-shards.contract.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDocumentClient, DynamoJobStore } from '../../../lambdas/adapters/dynamo-job-store.ts';
import { createJob } from '../../../lambdas/domain/job.ts';
import { jobShardOf } from '../../../lambdas/domain/workspace.ts';
import { testLifecycle } from '../../support/fakes.ts';
import { jobItem } from '../../support/items.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const WID = '6f1d2c3b-4a59-4e8d-9c7b-6a5f4e3d2c1b';
const OWNER_KEY = `ws#${WID}`;

let shards = 1;
let shardReads = 0;
const store = new DynamoJobStore({
  tableName: 'jobs',
  lifecycle: testLifecycle,
  client: createDocumentClient(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })),
  workspaces: {
    jobShards: async () => {
      shardReads++;
      return shards;
    },
  },
});

/** The owner keys the Queries asked for, in order sent. */
const queriedKeys = () => ddb.commandCalls(QueryCommand).map((call) => (call.args[0].input as QueryCommandInput).ExpressionAttributeValues?.[':owner']);

/** Index entries of byOwner, newest first, one per (createdAt second, id) given. */
const entries = (key: string, seconds: readonly number[]) =>
  seconds.map((second) => ({ id: `job-${second}`, ownerId: key, createdAt: `2026-03-04T12:00:${String(second).padStart(2, '0')}.000Z`, type: 'AI_PREVIEW' }));

beforeEach(() => {
  ddb.reset();
  shards = 1;
  shardReads = 0;
  ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { id: string }[] }> }) => ({
    Responses: { jobs: input.RequestItems.jobs!.Keys.map(({ id }) => jobItem({ id, ownerId: OWNER_KEY, workspaceId: WID, createdAt: `2026-03-04T12:00:${id.slice(4).padStart(2, '0')}.000Z` })) },
  }));
});

describe('listing on the owner indexes', () => {
  it("reads a personal owner's list with one Query and no jobShards read", async () => {
    ddb.on(QueryCommand).resolves({ Items: entries('user-a', [3, 2, 1]).map((entry) => ({ ...entry, ownerId: 'user-a' })) });
    await store.list('user-a', { limit: 20 });
    expect(queriedKeys()).toEqual(['user-a']);
    expect(shardReads).toBe(0);
  });

  it('reads an unsharded workspace (jobShards 1) with exactly one Query, as before sharding', async () => {
    ddb.on(QueryCommand).resolves({ Items: entries(OWNER_KEY, [3, 2, 1]) });
    const page = await store.list(OWNER_KEY, { limit: 2 });
    expect(queriedKeys()).toEqual([OWNER_KEY]);
    expect(page.jobs.map((job) => job.id)).toEqual(['job-3', 'job-2']);
    expect(page.jobs[0]?.ownerId).toBe(OWNER_KEY);
    expect(shardReads).toBe(1);
  });

  it('reads a workspace of 4 shards with one Query per shard key and merges them newest first', async () => {
    shards = 4;
    const perShard: Record<string, number[]> = { [OWNER_KEY]: [9, 2], [`${OWNER_KEY}#1`]: [8, 7, 1], [`${OWNER_KEY}#2`]: [], [`${OWNER_KEY}#3`]: [6, 5] };
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => ({ Items: entries(String(input.ExpressionAttributeValues![':owner']), perShard[String(input.ExpressionAttributeValues![':owner'])]!) }));
    const page = await store.list(OWNER_KEY, { limit: 4 });
    expect(queriedKeys().sort()).toEqual([OWNER_KEY, `${OWNER_KEY}#1`, `${OWNER_KEY}#2`, `${OWNER_KEY}#3`]);
    expect(page.jobs.map((job) => job.id)).toEqual(['job-9', 'job-8', 'job-7', 'job-6']);
    expect(page.next).toEqual({ at: '2026-03-04T12:00:06.000Z', id: 'job-6' });
    // The ids the page read records for: only those merged (the page and one more), not every entry read.
    expect(ddb.commandCalls(BatchGetCommand).flatMap((call) => call.args[0].input.RequestItems!.jobs!.Keys!.map((key) => key.id))).toEqual(['job-9', 'job-8', 'job-7', 'job-6', 'job-5']);
  });
});

describe('the quota count and the create on the owner indexes', () => {
  it('counts a workspace of 4 shards with one Query per shard, adding up to the limit', async () => {
    shards = 4;
    ddb.on(QueryCommand).resolves({ Count: 2 });
    expect(await store.countActive(OWNER_KEY, 100)).toBe(8);
    expect(queriedKeys().sort()).toEqual([OWNER_KEY, `${OWNER_KEY}#1`, `${OWNER_KEY}#2`, `${OWNER_KEY}#3`]);
    ddb.resetHistory();
    expect(await store.countActive(OWNER_KEY, 5)).toBe(5);
    // Each shard is asked for its share of the limit (2 each for 5 over 4), not for the whole limit.
    expect(ddb.commandCalls(QueryCommand).map((call) => call.args[0].input.Limit)).toEqual([2, 2, 2, 2]);
  });

  it("writes a new workspace job's entries under the shard its id hashes to, and a personal job's under its owner", async () => {
    shards = 8;
    ddb.on(PutCommand).resolves({});
    const job = createJob({ id: crypto.randomUUID(), ownerId: OWNER_KEY, workspaceId: WID, createdBy: 'bob', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, new Date(), testLifecycle);
    await store.create(job);
    const shard = jobShardOf(job.id, 8);
    expect(ddb.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({ ownerId: shard === 0 ? OWNER_KEY : `${OWNER_KEY}#${shard}`, workspaceId: WID });
    const personal = createJob({ id: crypto.randomUUID(), ownerId: 'bob', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, new Date(), testLifecycle);
    await store.create(personal);
    expect(ddb.commandCalls(PutCommand)[1]!.args[0].input.Item).toMatchObject({ ownerId: 'bob' });
  });
});
