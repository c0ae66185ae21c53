/**
 * An owner's jobs on the owner indexes (`byOwner`, `byOwnerUpdated`, `byActive`, all keyed by the
 * item's `ownerId` attribute), whose entries may be spread over several partition keys: a busy
 * workspace's (Workspace.jobShards = N) go to `ws#<wid>` (shard 0, where every job of an unsharded
 * workspace is) and `ws#<wid>#1` … `ws#<wid>#<N-1>`, by a hash of the job id. A personal owner
 * and an unsharded workspace are one shard: one Query, exactly as before sharding.
 *
 * Listing reads every shard (one Query each, in parallel) and merges them in the index's order
 * (sort key, then id). The merge only hands out an entry once every shard that may hold an earlier
 * one has been read past it, so the last entry handed out is a position in *every* shard: one
 * `{ at, id }` (the cursor's) resumes them all, however many shards there are, and still does
 * after N was raised (a new shard starts after it too).
 */
import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../domain/job.ts';
import type { ActiveCount, ListPage, ListPosition, ListQuery } from '../domain/ports.ts';
import { workspaceIdOfOwnerKey, type JobShardCounts } from '../domain/workspace.ts';
import { JOBS_TABLE } from '../shared/resources.ts';
import type { Item } from './dynamo-items.ts';

/** The stored `ownerId` attribute (the owner indexes' partition key) of shard `shard` of an owner's entries. */
export function ownerIndexKey(ownerId: string, shard: number): string {
  return shard === 0 ? ownerId : `${ownerId}#${shard}`;
}

/** The owner (Job.ownerId) of a stored `ownerId` attribute: the shard suffix removed. */
export function ownerOfIndexKey(stored: string): string {
  const sharded = /^(ws#[^#]+)#\d+$/.exec(stored);
  return sharded ? sharded[1]! : stored;
}

/** What the sharded reads need from the store: Query pages and the records of a page. */
export interface OwnerIndexReader {
  readonly tableName: string;
  query(input: QueryCommandInput): Promise<QueryCommandOutput>;
  getMany(ids: readonly string[]): Promise<Job[]>;
}

/** Index pages one list call reads per shard before returning what it has. */
const MAX_PAGES_PER_SHARD = 10;

interface Entry extends ListPosition {}

/** One shard's read position: entries read and not yet merged, where its next page starts. */
interface Shard {
  readonly key: string;
  buffer: Entry[];
  startKey: Item | undefined;
  /** The last entry its reads evaluated (a filter may have dropped it): nothing unread precedes it. */
  frontier: Entry | undefined;
  done: boolean;
}

/**
 * A page of the owner's jobs over `shards` index shards (see ListQuery), newest first unless asked
 * otherwise; `next` is the position of the last entry merged (that of the page's last job, or of
 * the last entry skipped by a filter when the read budget ran out).
 */
export async function listOwnerJobs(reader: OwnerIndexReader, ownerId: string, shards: number, query: ListQuery): Promise<ListPage> {
  // createdAt: `byOwner`, which projects `type`; updatedAt: `byOwnerUpdated`, keys only.
  const index = query.sort === 'updatedAt' ? JOBS_TABLE.ownerUpdatedIndex : JOBS_TABLE.ownerIndex;
  const typeOnIndex = query.type !== undefined && index === JOBS_TABLE.ownerIndex;
  // What the index cannot filter is filtered on the records (read for the page anyway).
  const matches = (job: Job) =>
    (!query.status || job.status === query.status) &&
    (!query.type || job.type === query.type) &&
    (!query.priorities || query.priorities.includes(job.priority));
  const direction = query.order === 'asc' ? 1 : -1;
  // The index's order: by sort key, ties by the table key (the id), both as bytes.
  const precedes = (a: Entry, b: Entry) => direction * (a.at === b.at ? compare(a.id, b.id) : compare(a.at, b.at)) < 0;

  const all: Shard[] = Array.from({ length: shards }, (_, shard) => {
    const key = ownerIndexKey(ownerId, shard);
    const startKey = query.after ? { id: query.after.id, [index.partitionKey]: key, [index.sortKey]: query.after.at } : undefined;
    return { key, buffer: [], startKey, frontier: undefined, done: false };
  });
  const fill = async (shard: Shard) => {
    const output = await reader.query({
      TableName: reader.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#owner = :owner',
      ...(typeOnIndex ? { FilterExpression: '#type = :type' } : {}),
      ExpressionAttributeNames: { '#owner': index.partitionKey, ...(typeOnIndex ? { '#type': 'type' } : {}) },
      ExpressionAttributeValues: { ':owner': shard.key, ...(typeOnIndex ? { ':type': query.type } : {}) },
      ScanIndexForward: query.order === 'asc',
      Limit: query.limit + 1,
      ExclusiveStartKey: shard.startKey,
    });
    shard.buffer.push(...(output.Items ?? []).map((item) => ({ at: String(item[index.sortKey]), id: String(item.id) })));
    shard.startKey = output.LastEvaluatedKey;
    shard.frontier = output.LastEvaluatedKey ? { at: String(output.LastEvaluatedKey[index.sortKey]), id: String(output.LastEvaluatedKey.id) } : undefined;
    shard.done = !output.LastEvaluatedKey;
  };
  /** Shards read to their frontier with more to read: no entry after a frontier may be merged yet. */
  const waiting = () => all.filter((shard) => shard.buffer.length === 0 && !shard.done);

  const found: { job: Job; position: ListPosition }[] = [];
  let merged: Entry | undefined;
  let pagesRead = 0;
  let unread = all;
  for (;;) {
    if (pagesRead + unread.length > MAX_PAGES_PER_SHARD * shards) {
      // Filters skipped many entries: return what we have and continue after the last entry
      // merged (or, when none was, the earliest frontier: every entry before it was skipped).
      const frontiers = unread.map((shard) => shard.frontier!).sort((a, b) => (precedes(a, b) ? -1 : 1));
      return { jobs: found.map((entry) => entry.job), next: merged ?? frontiers[0] ?? null };
    }
    pagesRead += unread.length;
    await Promise.all(unread.map(fill));
    // The k-way merge: the first buffered entry, unless a shard read only to an earlier frontier may still hold one before it.
    const blockers = waiting();
    const batch: Entry[] = [];
    while (batch.length < query.limit + 1 - found.length) {
      let first: Shard | undefined;
      for (const shard of all) if (shard.buffer.length > 0 && (!first || precedes(shard.buffer[0]!, first.buffer[0]!))) first = shard;
      if (!first || blockers.some((shard) => precedes(shard.frontier!, first.buffer[0]!))) break;
      batch.push(first.buffer.shift()!);
      if (first.buffer.length === 0 && !first.done) blockers.push(first);
    }
    if (batch.length > 0) {
      merged = batch[batch.length - 1];
      const records = new Map((await reader.getMany(batch.map((entry) => entry.id))).map((job) => [job.id, job]));
      for (const entry of batch) {
        const job = records.get(entry.id);
        // The position is the entry's: the record may have moved on since the index was read.
        if (job && matches(job)) found.push({ job, position: { at: entry.at, id: entry.id } });
      }
      if (found.length > query.limit) {
        const kept = found.slice(0, query.limit);
        return { jobs: kept.map((entry) => entry.job), next: kept[kept.length - 1]!.position };
      }
    }
    if (all.every((shard) => shard.done && shard.buffer.length === 0)) return { jobs: found.map((entry) => entry.job), next: null };
    unread = waiting();
  }
}

/**
 * The owner's entries in byActive over `shards` shards, at most about `limit` of them read:
 * counted (Select COUNT), or with their projected `type` when the count of one type is wanted.
 * Rounds of one Query per shard still open, in parallel, each asking for its share of what is
 * still missing, so a sharded count reads about `limit` entries in all (plus one page per shard).
 * `ofType` is exact when `active` is below `limit` (every entry was read).
 */
export async function countOwnerActive(reader: OwnerIndexReader, ownerId: string, shards: number, limit: number, type?: string): Promise<ActiveCount> {
  const { activeIndex } = JOBS_TABLE;
  let active = 0;
  let ofType = 0;
  let open: { key: string; startKey: Item | undefined }[] = Array.from({ length: shards }, (_, shard) => ({ key: ownerIndexKey(ownerId, shard), startKey: undefined }));
  while (open.length > 0 && active < limit) {
    const share = Math.ceil((limit - active) / open.length);
    const pages = await Promise.all(
      open.map(async (shard) => {
        const output = await reader.query({
          TableName: reader.tableName,
          IndexName: activeIndex.name,
          KeyConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': activeIndex.partitionKey, ...(type ? { '#type': 'type' } : {}) },
          ExpressionAttributeValues: { ':owner': shard.key },
          ...(type ? { ProjectionExpression: '#type' } : { Select: 'COUNT' as const }),
          Limit: share,
          ExclusiveStartKey: shard.startKey,
        });
        active += output.Count ?? 0;
        if (type) ofType += (output.Items ?? []).filter((item) => item.type === type).length;
        return { key: shard.key, startKey: output.LastEvaluatedKey };
      }),
    );
    open = pages.filter((shard) => shard.startKey !== undefined);
  }
  return { active: Math.min(active, limit), ofType: Math.min(ofType, limit) };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * An owner's jobs on this table's owner indexes, spread over the owner's shards: 1 for a personal
 * owner (no read), the workspace's jobShards for a workspace's owner key (one strongly consistent
 * GetItem of `workspaces`). What DynamoJobReader and DynamoJobStore list, count and create with.
 */
export class OwnerJobs {
  constructor(
    private readonly reader: OwnerIndexReader,
    private readonly workspaces: JobShardCounts | undefined,
  ) {}

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    return listOwnerJobs(this.reader, ownerId, await this.shards(ownerId), query);
  }

  async countActive(ownerId: string, limit: number, type?: string): Promise<ActiveCount> {
    return countOwnerActive(this.reader, ownerId, await this.shards(ownerId), limit, type);
  }

  /** Over how many index shards the owner's entries are spread. */
  async shards(ownerId: string): Promise<number> {
    const workspaceId = workspaceIdOfOwnerKey(ownerId);
    if (workspaceId === undefined) return 1;
    if (!this.workspaces) throw new Error(`The job store needs the workspaces table (option workspaces) to read the jobs of ${ownerId}`);
    return this.workspaces.jobShards(workspaceId);
  }
}
