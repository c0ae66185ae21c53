/**
 * A data folder of `npm run dev` written before the quota's and result reuse's indexes existed:
 * on start the engine adds the missing indexes and fills them from the records, so the quota
 * counts the jobs that were already unfinished.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { cancelPatch, createJob } from '../../lambdas/domain/job.ts';
import { JOBS_TABLE, JOBS_TABLE_INDEX_NAMES } from '../../lambdas/shared/resources.ts';
import { startDynamoEngine } from '../../lib/local/engines.ts';
import { jobsTableIndexSpecs } from '../../lib/local/resources.ts';
import { makeDataDir, removeDataDir } from '../support/dev-server.ts';

const TABLE = 'jobs-upgrade';
const settings = { stalePendingMs: 300_000, leaseGraceMs: 60_000, retentionMs: 86_400_000 };
const OLD_INDEXES: readonly string[] = [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.dueIndex.name];

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
      const oldStore = new DynamoJobStore({ tableName: TABLE, lifecycle: settings, client: createDocumentClient(oldClient) });
      const now = new Date();
      const job = (id: string) => createJob({ id, ownerId: 'owner', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, now, settings);
      await oldStore.create(job('00000000-0000-4000-8000-000000000001'));
      await oldStore.create(job('00000000-0000-4000-8000-000000000002'));
      await oldStore.create({ ...job('00000000-0000-4000-8000-000000000003'), ...cancelPatch(now, settings) } as ReturnType<typeof job>);
      oldClient.destroy();
      await old.stop();

      const upgraded = await startDynamoEngine({ path: dir, indexes: { tableName: TABLE, indexes: jobsTableIndexSpecs() } });
      const client = new DynamoDBClient({ endpoint: upgraded.endpoint });
      try {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
        const store = new DynamoJobStore({ tableName: TABLE, lifecycle: settings, client: createDocumentClient(client) });

        expect((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort()).toEqual([...JOBS_TABLE_INDEX_NAMES].sort());
        expect(await store.countActive('owner', 10)).toBe(2);
        await store.create(job('00000000-0000-4000-8000-000000000004'));
        expect(await store.countActive('owner', 10)).toBe(3);
      } finally {
        client.destroy();
        await upgraded.stop();
      }
    } finally {
      removeDataDir(dir);
    }
  });
});
