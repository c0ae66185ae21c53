/**
 * What workspaces cost in DynamoDB, by DynamoDB's billing rules (bench/support/dynamodb-billing.ts)
 * on the items the real DynamoWorkspaceStore writes, read back from the embedded engine: the
 * workspace and membership items' sizes, the write units of creating a workspace and adding,
 * promoting and removing members, and the read units of the membership check every workspace
 * job request makes; then how far a busy workspace goes with jobShards (bench/workspace-shards.ts).
 * Prints figures; asserts nothing.
 *
 *     npx tsx bench/workspaces.ts
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../lambdas/adapters/dynamo-job-store.ts';
import { DynamoWorkspaceStore } from '../lambdas/adapters/dynamo-workspace-store.ts';
import { WORKSPACES_TABLE } from '../lambdas/shared/resources.ts';
import { startDynamoEngine } from '../lib/local/engines.ts';
import { ensureWorkspacesTable } from '../lib/local/resources.ts';
import { itemSize, readUnits, toItem, writeUnits, type TableShape } from './support/dynamodb-billing.ts';
import { shardFigures } from './workspace-shards.ts';

const SHAPE: TableShape = {
  partitionKey: WORKSPACES_TABLE.partitionKey,
  sortKey: WORKSPACES_TABLE.sortKey,
  indexes: [{ name: WORKSPACES_TABLE.principalIndex.name, partitionKey: WORKSPACES_TABLE.principalIndex.partitionKey, sortKey: WORKSPACES_TABLE.principalIndex.sortKey, projection: 'ALL' }],
};

const engine = await startDynamoEngine();
const ddb = new DynamoDBClient({ endpoint: engine.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const doc = createDocumentClient(ddb);
await ensureWorkspacesTable(ddb, 'bench-workspaces');
const store = new DynamoWorkspaceStore({ tableName: 'bench-workspaces', client: doc });

/** Every item of the workspace's partition as stored, by sort key. */
async function partition(wid: string): Promise<Map<string, Record<string, unknown>>> {
  const { Items = [] } = await doc.send(new QueryCommand({ TableName: 'bench-workspaces', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': wid }, ConsistentRead: true }));
  return new Map(Items.map((item) => [String(item.sk), item]));
}

/** Write units of the change from `before` to `after` (every item that differs). */
function unitsBetween(before: Map<string, Record<string, unknown>>, after: Map<string, Record<string, unknown>>): number {
  let total = 0;
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const from = before.get(key);
    const to = after.get(key);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    total += writeUnits(from && toItem(from), to && toItem(to), SHAPE).total;
  }
  return total;
}

const at = new Date().toISOString();
const owner = 'a3b1c2d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'; // a Cognito sub's length
const wid = crypto.randomUUID();
const member = (principalId: string, role: 'owner' | 'admin' | 'member' | 'viewer') => ({ workspaceId: wid, principalId, role, addedAt: at, addedBy: owner });
const empty = await partition(wid);
await store.create({ id: wid, name: 'Harvest team 2026', createdAt: at, createdBy: owner, updatedAt: at, jobShards: 1 }, member(owner, 'owner'));
const created = await partition(wid);
const bob = 'f0e1d2c3-b4a5-4968-8776-655443322110';
await store.putMembership(member(bob, 'member'), { previous: undefined });
const added = await partition(wid);
await store.putMembership(member(bob, 'owner'), { previous: member(bob, 'member') });
const promoted = await partition(wid);
await store.removeMembership(member(bob, 'owner'));
const removed = await partition(wid);

const membershipBytes = itemSize(toItem(created.get(`MEMBER#${owner}`)!));
const workspaceBytes = itemSize(toItem(created.get('WORKSPACE')!));
console.log(`membership item: ${membershipBytes} bytes; workspace item: ${workspaceBytes} bytes`);
console.log(`membership check (strongly consistent GetItem) per workspace job request: ${readUnits(membershipBytes, true)} read unit`);
// The workspace item is written twice (put with no owner, then the count): the second write is billed on its own.
const countWrite = writeUnits(toItem({ ...created.get('WORKSPACE')!, owners: 0 }), toItem(created.get('WORKSPACE')!), SHAPE).total;
console.log(`create a workspace: ${unitsBetween(empty, created) + countWrite} write units (workspace, owner's membership with its byPrincipal entry, owner count)`);
console.log(`add a member: ${unitsBetween(created, added)} write units; make them owner: ${unitsBetween(added, promoted)}; remove that owner: ${unitsBetween(promoted, removed)}`);
const perKb = Math.floor(4096 / membershipBytes);
console.log(`GET /api/workspaces: one eventually consistent Query of byPrincipal, 0.5 read unit per ${perKb} memberships, and 1 read unit per workspace (BatchGetItem)`);
await shardFigures(ddb, 'bench-workspaces');
ddb.destroy();
await engine.stop();
