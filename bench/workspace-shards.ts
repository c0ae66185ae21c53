/**
 * How far a busy workspace goes with jobShards = N (issue 11), by DynamoDB's billing rules
 * (bench/support/dynamodb-billing.ts) on the items the real DynamoJobStore writes and reads on the
 * embedded engine: the write units one job puts on its owner-index partition key over its life
 * (created, claimed, two progress reports, completed), hence the most jobs a second one key takes
 * (about 1,000 write units a second per partition key, each index on its own) and a workspace for
 * N = 1, 4 and 16; how evenly the hash spreads ids; and what a list page (20 jobs) and the quota
 * count read for each N. Run by bench/workspaces.ts; prints figures, asserts nothing.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient, DynamoJobStore } from '../lambdas/adapters/dynamo-job-store.ts';
import { DynamoWorkspaceStore } from '../lambdas/adapters/dynamo-workspace-store.ts';
import { createJob, type LifecycleSettings } from '../lambdas/domain/job.ts';
import { jobShardOf, workspaceOwnerKey } from '../lambdas/domain/workspace.ts';
import { JOBS_TABLE, JOBS_TABLE_INDEXES } from '../lambdas/shared/resources.ts';
import { ensureJobsTable } from '../lib/local/resources.ts';
import { indexEntry, itemSize, queryReadUnits, readUnits, toItem, writeUnits, type TableShape } from './support/dynamodb-billing.ts';

const TABLE: TableShape = { partitionKey: JOBS_TABLE.partitionKey, indexes: JOBS_TABLE_INDEXES };
const OWNER_INDEXES = [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.ownerUpdatedIndex.name, JOBS_TABLE.activeIndex.name];
/** What one partition key takes, in write units a second (DynamoDB's per-partition limit; each GSI has its own). */
const KEY_WRITE_UNITS_PER_SECOND = 1000;
const LIFECYCLE: LifecycleSettings = { stalePendingMs: 300_000, leaseGraceMs: 60_000, retentionMs: 30 * 86_400_000 };
const PAGE = 20;

/** Read units by command, as DynamoDB would bill what the store asked for. */
interface Reads {
  queries: number;
  indexUnits: number;
  recordUnits: number;
  workspaceUnits: number;
}

/** A document client that bills each Query (eventually consistent, on the entries returned), BatchGetItem and GetItem it sends. */
function billed(doc: DynamoDBDocumentClient, reads: Reads, activeEntryBytes: number): DynamoDBDocumentClient {
  return {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const output = (await doc.send(command as never)) as Record<string, unknown>;
      const name = command.constructor.name;
      if (name === 'QueryCommand') {
        reads.queries++;
        const items = (output.Items as Record<string, unknown>[] | undefined) ?? [];
        // Select COUNT returns no items: the entries it counted are billed all the same.
        reads.indexUnits += items.length > 0 ? queryReadUnits(items.map(toItem), false) : readUnits(Number(output.Count ?? 0) * activeEntryBytes, false);
      } else if (name === 'BatchGetCommand') {
        const responses = Object.values((output.Responses as Record<string, Record<string, unknown>[]>) ?? {}).flat();
        reads.recordUnits += responses.reduce((sum, item) => sum + readUnits(itemSize(toItem(item)), true), 0);
      } else if (name === 'GetCommand' && String(command.input.TableName).endsWith('workspaces')) {
        reads.workspaceUnits += readUnits(output.Item ? itemSize(toItem(output.Item as Record<string, unknown>)) : 0, true);
      }
      return output;
    },
  } as unknown as DynamoDBDocumentClient;
}

export async function shardFigures(ddb: DynamoDBClient, workspacesTable: string): Promise<void> {
  const doc = createDocumentClient(ddb);
  const jobsTable = 'bench-shards-jobs';
  await ensureJobsTable(ddb, jobsTable);
  const workspaces = new DynamoWorkspaceStore({ tableName: workspacesTable, client: doc });
  const raw = async (id: string) => (await doc.send(new GetCommand({ TableName: jobsTable, Key: { id } }))).Item!;

  // One job's life in a workspace: the write units on each owner index, all on the job's one key.
  const at = new Date().toISOString();
  const wid = crypto.randomUUID();
  await workspaces.create({ id: wid, name: 'Busy', createdAt: at, createdBy: 'owner', updatedAt: at, jobShards: 4 }, { workspaceId: wid, principalId: 'owner', role: 'owner', addedAt: at, addedBy: 'owner' });
  const store = new DynamoJobStore({ tableName: jobsTable, lifecycle: LIFECYCLE, client: doc, workspaces });
  const ownerKey = workspaceOwnerKey(wid);
  const spec = { ownerId: ownerKey, workspaceId: wid, createdBy: 'member', type: 'AI_PREVIEW', input: { prompt: 'Summarise the harvest report for the board' }, priority: 'normal' as const, maxAttempts: 3 };
  const job = createJob({ ...spec, id: crypto.randomUUID() }, new Date(), LIFECYCLE);
  const perIndex: Record<string, number> = Object.fromEntries(OWNER_INDEXES.map((name) => [name, 0]));
  const states = [undefined as Record<string, unknown> | undefined];
  await store.create(job);
  states.push(await raw(job.id));
  const runId = crypto.randomUUID();
  await store.claim(job.id, { runId, generation: 0, now: new Date().toISOString(), leaseExpiresAt: new Date(Date.now() + 120_000).toISOString() });
  states.push(await raw(job.id));
  for (const percent of [30, 70]) {
    await store.reportProgress(job.id, { runId }, { percent, message: 'working' }, new Date());
    states.push(await raw(job.id));
  }
  await store.complete(job.id, { runId }, { result: { summary: 'Three risks: frost, labour, prices.' } }, new Date());
  states.push(await raw(job.id));
  for (let step = 1; step < states.length; step++) {
    const units = writeUnits(states[step - 1] && toItem(states[step - 1]!), toItem(states[step]!), TABLE);
    for (const name of OWNER_INDEXES) perIndex[name]! += units.indexes[name]!;
  }
  const hottest = Math.max(...Object.values(perIndex));
  console.log(`\nwrite sharding (jobShards = N): one job's writes on its owner-index key over its life (create, claim, 2 progress reports, complete): ${OWNER_INDEXES.map((name) => `${name} ${perIndex[name]}`).join(', ')} write units`);
  console.log(`  (a retry, or a failed attempt put back, adds 2 on ${JOBS_TABLE.ownerUpdatedIndex.name} and 2 on ${JOBS_TABLE.activeIndex.name}); the busiest index takes ${hottest} per job per key`);
  const perKeyJobs = Math.floor(KEY_WRITE_UNITS_PER_SECOND / hottest);
  for (const shards of [1, 4, 16]) {
    const rate = 1000;
    console.log(
      `  N = ${String(shards).padStart(2)}: at ${rate} new jobs/s a key takes ${Math.round((rate * hottest) / shards)} write units/s on ${JOBS_TABLE.ownerUpdatedIndex.name} (limit ${KEY_WRITE_UNITS_PER_SECOND}); ` +
        `most new jobs a second the workspace's keys take: ${perKeyJobs * shards}`,
    );
  }

  // How evenly the hash spreads job ids (100,000 random UUIDs).
  for (const shards of [4, 16, 32]) {
    const counts = new Array<number>(shards).fill(0);
    for (let n = 0; n < 100_000; n++) counts[jobShardOf(crypto.randomUUID(), shards)]!++;
    console.log(`  spread of 100,000 ids over ${shards} shards: busiest ${(Math.max(...counts) / 1000).toFixed(2)}% (even: ${(100 / shards).toFixed(2)}%)`);
  }

  // What a list page and the quota read, by N: 200 jobs in the workspace, 40 of them unfinished.
  const activeEntryBytes = itemSize(indexEntry(toItem(states[1]!), TABLE, JOBS_TABLE_INDEXES.find((index) => index.name === JOBS_TABLE.activeIndex.name)!)!);
  console.log(`\nlist page of ${PAGE} (newest first) and the quota count (up to 100), by N; 200 jobs, 40 unfinished:`);
  for (const shards of [1, 4, 16]) {
    const sharded = crypto.randomUUID();
    await workspaces.create(
      { id: sharded, name: `N=${shards}`, createdAt: at, createdBy: 'owner', updatedAt: at, jobShards: shards },
      { workspaceId: sharded, principalId: 'owner', role: 'owner', addedAt: at, addedBy: 'owner' },
    );
    const writer = new DynamoJobStore({ tableName: jobsTable, lifecycle: LIFECYCLE, client: doc, workspaces });
    let clock = Date.now();
    for (let n = 0; n < 200; n++) {
      const created = createJob({ ...spec, ownerId: workspaceOwnerKey(sharded), workspaceId: sharded, id: crypto.randomUUID() }, new Date(clock++), LIFECYCLE);
      await writer.create(created);
      if (n < 160) await writer.cancel(created.id, { ownerId: created.ownerId, runId: null, generation: 0 }, new Date(clock++));
    }
    const reads: Reads = { queries: 0, indexUnits: 0, recordUnits: 0, workspaceUnits: 0 };
    const reader = new DynamoJobStore({ tableName: jobsTable, lifecycle: LIFECYCLE, client: billed(doc, reads, activeEntryBytes), workspaces: new DynamoWorkspaceStore({ tableName: workspacesTable, client: billed(doc, reads, activeEntryBytes) }) });
    const first = await reader.list(workspaceOwnerKey(sharded), { limit: PAGE });
    const page = { ...reads };
    await reader.list(workspaceOwnerKey(sharded), { limit: PAGE, after: first.next! });
    const second = { queries: reads.queries - page.queries, indexUnits: reads.indexUnits - page.indexUnits };
    Object.assign(reads, { queries: 0, indexUnits: 0, recordUnits: 0, workspaceUnits: 0 });
    const active = await reader.countActive(workspaceOwnerKey(sharded), 100);
    console.log(
      `  N = ${String(shards).padStart(2)}: page ${page.queries} Queries, ${page.indexUnits} read units on the index + ${page.recordUnits} for the ${PAGE} records (BatchGetItem) + ${page.workspaceUnits} for jobShards (GetItem); ` +
        `next page ${second.queries} Queries, ${second.indexUnits} on the index; quota: ${reads.queries} Queries, ${reads.indexUnits} read units (+ ${reads.workspaceUnits}), counted ${active}`,
    );
  }
}
