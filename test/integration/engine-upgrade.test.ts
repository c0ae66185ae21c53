/**
 * A data folder of `npm run dev` written before the list-by-update, quota and result reuse
 * indexes existed: on start the engine adds the missing indexes, gives the old records the order
 * key `byOwnerUpdated` needs and fills the indexes from the records, so the quota counts the jobs
 * that were already unfinished and `?sort=updatedAt` lists the old jobs too. A folder whose
 * `byActive` was keys only gets it projecting `type`, its entries rewritten.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { toItem } from '../../lambdas/adapters/dynamo-items.ts';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { cancelPatch, createJob, type Job } from '../../lambdas/domain/job.ts';
import { JOBS_TABLE, JOBS_TABLE_INDEX_NAMES } from '../../lambdas/shared/resources.ts';
import { startDynamoEngine } from '../../lib/local/engines.ts';
import { jobsTableIndexSpecs, jobsTableUpgrade, waitForTableActive } from '../../lib/local/resources.ts';
import { makeDataDir, removeDataDir } from '../support/dev-server.ts';

const TABLE = 'jobs-upgrade';
const settings = { stalePendingMs: 300_000, leaseGraceMs: 60_000, retentionMs: 86_400_000 };
const OLD_INDEXES: readonly string[] = [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.dueIndex.name];

/** Starts the engine on the folder as `npm run dev` does (upgrading it), and runs `check` on the table and a store. */
async function afterUpgrade(dir: string, check: (table: TableDescription | undefined, store: DynamoJobStore) => Promise<void>): Promise<void> {
  const upgraded = await startDynamoEngine({ path: dir, indexes: jobsTableUpgrade(TABLE) });
  const client = new DynamoDBClient({ endpoint: upgraded.endpoint });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    await check(Table, new DynamoJobStore({ tableName: TABLE, lifecycle: settings, client: createDocumentClient(client) }));
  } finally {
    client.destroy();
    await upgraded.stop();
  }
}

describe('an older data folder', () => {
  it('gets the indexes added since, filled from its records', async () => {
    const dir = makeDataDir('engine-upgrade-');
    try {
      // The table as an older version created it: only byOwner and byDue.
      const old = await startDynamoEngine({ path: dir });
      const oldClient = new DynamoDBClient({ endpoint: old.endpoint });
      const specs = jobsTableIndexSpecs().filter((index) => OLD_INDEXES.includes(index.IndexName));
      await oldClient.send(
        new CreateTableCommand({
          TableName: TABLE,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ['id', 'ownerId', 'createdAt', 'dueShard', 'dueAt'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: specs.map((index) => ({
            IndexName: index.IndexName,
            KeySchema: [...index.KeySchema],
            Projection: { ProjectionType: index.Projection.ProjectionType, ...(index.Projection.NonKeyAttributes ? { NonKeyAttributes: [...index.Projection.NonKeyAttributes] } : {}) },
          })),
        }),
      );
      const now = Date.now();
      const job = (n: number) =>
        createJob({ id: `00000000-0000-4000-8000-00000000000${n}`, ownerId: 'owner', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, new Date(now + n * 1000), settings);
      // Records as that version wrote them: no statusChangedAt (nor reuseKey, fromCache, scheduledAt).
      const oldJobs: Job[] = [job(1), job(2), { ...job(3), ...cancelPatch(new Date(now + 3000), settings) } as Job];
      for (const record of oldJobs) {
        const { statusChangedAt: _s, reuseKey: _r, fromCache: _f, scheduledAt: _a, ...item } = toItem(record);
        await createDocumentClient(oldClient).send(new PutCommand({ TableName: TABLE, Item: item }));
      }
      oldClient.destroy();
      await old.stop();

      await afterUpgrade(dir, async (Table, store) => {
        expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual([...JOBS_TABLE_INDEX_NAMES].sort());
        expect(await store.countActive('owner', 10)).toBe(2);
        const byUpdate = await store.list('owner', { limit: 10, sort: 'updatedAt', order: 'asc' });
        expect(byUpdate.jobs.map((listed) => listed.id)).toEqual(oldJobs.map((record) => record.id));
        expect(byUpdate.jobs.map((listed) => listed.statusChangedAt)).toEqual(oldJobs.map((record) => record.updatedAt));
        await store.create(job(4));
        expect(await store.countActive('owner', 10)).toBe(3);
      });
    } finally {
      removeDataDir(dir);
    }
  });

  it('gets byActive with the type projected when it was keys only, so a type\'s limit counts its old jobs', async () => {
    const dir = makeDataDir('engine-upgrade-active-');
    try {
      // The table as issue 10 first made it: every index, byActive keys only.
      const old = await startDynamoEngine({ path: dir });
      const oldClient = new DynamoDBClient({ endpoint: old.endpoint });
      const keys = [...new Set(jobsTableIndexSpecs().flatMap((index) => index.KeySchema.map((key) => key.AttributeName)))];
      await oldClient.send(
        new CreateTableCommand({
          TableName: TABLE,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: ['id', ...keys].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          GlobalSecondaryIndexes: jobsTableIndexSpecs().map((index) => ({
            IndexName: index.IndexName,
            KeySchema: [...index.KeySchema],
            Projection:
              index.IndexName === JOBS_TABLE.activeIndex.name
                ? { ProjectionType: 'KEYS_ONLY' }
                : { ProjectionType: index.Projection.ProjectionType, ...(index.Projection.NonKeyAttributes ? { NonKeyAttributes: [...index.Projection.NonKeyAttributes] } : {}) },
          })),
        }),
      );
      await waitForTableActive(oldClient, TABLE);
      const oldStore = new DynamoJobStore({ tableName: TABLE, lifecycle: settings, client: createDocumentClient(oldClient) });
      const now = Date.now();
      const types = ['PARSE_DOCUMENT', 'AI_PREVIEW', 'PARSE_DOCUMENT'];
      for (const [n, type] of types.entries()) {
        await oldStore.create(createJob({ id: `00000000-0000-4000-8000-00000000001${n}`, ownerId: 'owner', type, input: {}, priority: 'normal', maxAttempts: 3 }, new Date(now + n * 1000), settings));
      }
      oldClient.destroy();
      await old.stop();

      await afterUpgrade(dir, async (Table, store) => {
        const active = Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === JOBS_TABLE.activeIndex.name);
        expect(active?.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] });
        expect(await store.countActiveOfType('owner', 10, 'PARSE_DOCUMENT')).toEqual({ active: 3, ofType: 2 });
        expect(await store.countActiveOfType('owner', 10, 'AI_PREVIEW')).toEqual({ active: 3, ofType: 1 });
      });
    } finally {
      removeDataDir(dir);
    }
  });
});
