/**
 * A data folder written before the `byOwnerUpdated` index: on the next start the local engine
 * adds the index and an order key to the old records, so `?sort=updatedAt` lists them too.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, expect, it } from 'vitest';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { toItem } from '../../lambdas/adapters/dynamo-items.ts';
import { createJob } from '../../lambdas/domain/job.ts';
import { JOBS_TABLE } from '../../lambdas/shared/resources.ts';
import { startDynamoEngine } from '../../lib/local/engines.ts';
import { makeDataDir, removeDataDir } from '../support/dev-server.ts';
import { CONTRACT_LIFECYCLE } from '../contract/job-store.contract.ts';

const dir = makeDataDir('table-upgrade-');
afterAll(() => removeDataDir(dir));
const TABLE = 'old-jobs';

it('adds byOwnerUpdated to an old table and lists its old records by their last update', async () => {
  const { ownerIndex, dueIndex } = JOBS_TABLE;
  const old = await startDynamoEngine({ path: dir });
  const ddb = new DynamoDBClient({ endpoint: old.endpoint });
  // The table as versions before this one created it: byOwner and byDue only.
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['id', 'ownerId', 'createdAt', 'dueShard', 'dueAt'].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: ownerIndex.name,
          KeySchema: [{ AttributeName: 'ownerId', KeyType: 'HASH' }, { AttributeName: 'createdAt', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['type'] },
        },
        {
          IndexName: dueIndex.name,
          KeySchema: [{ AttributeName: 'dueShard', KeyType: 'HASH' }, { AttributeName: 'dueAt', KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  const ids: string[] = [];
  for (let n = 0; n < 3; n++) {
    const job = createJob({ id: crypto.randomUUID(), ownerId: 'owner', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, new Date(Date.UTC(2026, 0, 1, 0, 0, n)), CONTRACT_LIFECYCLE);
    const { statusChangedAt: _, ...oldItem } = toItem(job);
    await createDocumentClient(ddb).send(new PutCommand({ TableName: TABLE, Item: oldItem }));
    ids.push(job.id);
  }
  ddb.destroy();
  await old.stop();

  const upgraded = await startDynamoEngine({ path: dir });
  const client = new DynamoDBClient({ endpoint: upgraded.endpoint });
  try {
    const store = new DynamoJobStore({ tableName: TABLE, lifecycle: CONTRACT_LIFECYCLE, client: createDocumentClient(client) });
    const page = await store.list('owner', { limit: 10, sort: 'updatedAt', order: 'asc' });
    expect(page.jobs.map((job) => job.id)).toEqual(ids);
    expect(page.jobs[0]!.statusChangedAt).toBe(page.jobs[0]!.updatedAt);
  } finally {
    client.destroy();
    await upgraded.stop();
  }
});
