/**
 * JobStore on DynamoDB. Every transition is one conditional UpdateItem on the job's item; SDK
 * errors are translated into domain errors here, at the edge.
 *
 * Indexes (JOBS_TABLE): `byOwner` keeps only keys and `type`, written once per job, so a
 * transition never writes it; `byOwnerUpdated` keeps only keys, rewritten on status changes
 * (`statusChangedAt`); listing reads the page's items with BatchGetItem. A busy workspace's
 * entries in these and `byActive` are spread over its jobShards partition keys
 * (dynamo-owner-index.ts): the item's `ownerId` attribute is then `ws#<wid>#<k>`, read back as
 * the record's ownerId `ws#<wid>`. `byDue` keeps
 * only keys, spread over JOBS_TABLE.dueIndex.shards partition keys (`dueShard`), and holds only
 * unfinished jobs: an item carries `dueShard` exactly while it has a `dueAt`. `byActive` (the
 * quotas, projecting `type`), `byReuse` (result reuse) and `byFailed` (FAILED jobs of every owner, for
 * the operator command) are sparse too (see JOBS_TABLE). Idempotency
 * records live in the same table under `idem#…` ids, in no index, and never read as jobs.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { JobAlreadyExistsError } from '../domain/errors.ts';
import { allowedFrom, cancelPatch, failPatch, requeuePatch, retryPatch, type Job, type JobStatus } from '../domain/job.ts';
import type { ActiveCount, AttemptRef, DueJob, DuePage, DuePosition, FailedPage, FailedQuery, JobStore, ListPage, ListQuery, OwnerExpectation, PendingExpectation } from '../domain/ports.ts';
import { isIdempotencyRecordId, type IdempotencyRecord } from '../domain/fingerprints.ts';
import { dueShardName, failedShardName, JOBS_TABLE } from '../shared/resources.ts';
import { isConditionFailure, translate } from './dynamo-errors.ts';
import { DynamoAttemptStore, type DynamoAttemptStoreOptions } from './dynamo-attempt-store.ts';
import { running, toItem, type Item } from './dynamo-items.ts';
import { OwnerJobs, ownerIndexKey } from './dynamo-owner-index.ts';
import { jobShardOf, type JobShardCounts } from '../domain/workspace.ts';

export { createDocumentClient } from './dynamo-job-reader.ts';

/** Index pages findReusable reads before giving up. */
const MAX_LIST_PAGES = 10;

export interface DynamoJobStoreOptions extends DynamoAttemptStoreOptions {
  /**
   * Each workspace's jobShards (the workspaces table): needed by the functions that create, list or
   * count a workspace's jobs; without it those throw for a workspace's owner key.
   */
  readonly workspaces?: JobShardCounts;
}

/**
 * Records and an attempt's writes are DynamoAttemptStore's (the worker's store); an owner's page
 * is listed as DynamoJobReader lists it (OwnerJobs); every other transition and index read is here.
 */
export class DynamoJobStore extends DynamoAttemptStore implements JobStore {
  private readonly owners: OwnerJobs;

  constructor(options: DynamoJobStoreOptions) {
    super(options);
    this.owners = new OwnerJobs(this.indexReader(), options.workspaces);
  }

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    return this.owners.list(ownerId, query);
  }

  async create(job: Job): Promise<void> {
    // A workspace's job goes to one of its jobShards index shards, by a hash of its id, for good.
    const shard = jobShardOf(job.id, await this.owners.shards(job.ownerId));
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...toItem(job), ownerId: ownerIndexKey(job.ownerId, shard) },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new JobAlreadyExistsError(job.id);
      throw translate(error);
    }
  }

  async findDue(dueBy: string, limit: number, after?: DuePosition): Promise<DuePage> {
    const { dueIndex } = JOBS_TABLE;
    const jobs: DueJob[] = [];
    for (let shard = after?.shard ?? 0; shard < dueIndex.shards; shard++) {
      const name = dueShardName(shard);
      const last = shard === after?.shard ? after.last : undefined;
      const output = await this.query({
        TableName: this.tableName,
        IndexName: dueIndex.name,
        KeyConditionExpression: '#shard = :shard AND #dueAt <= :dueBy',
        ExpressionAttributeNames: { '#shard': dueIndex.partitionKey, '#dueAt': dueIndex.sortKey },
        ExpressionAttributeValues: { ':shard': name, ':dueBy': dueBy },
        Limit: limit - jobs.length,
        ...(last ? { ExclusiveStartKey: { id: last.id, [dueIndex.partitionKey]: name, [dueIndex.sortKey]: last.dueAt } } : {}),
      });
      for (const item of output.Items ?? []) jobs.push({ id: String(item.id), dueAt: String(item[dueIndex.sortKey]) });
      if (jobs.length >= limit) {
        if (output.LastEvaluatedKey) return { jobs, next: { shard, last: jobs[jobs.length - 1]! } };
        return { jobs, next: shard + 1 < dueIndex.shards ? { shard: shard + 1 } : null };
      }
    }
    return { jobs, next: null };
  }

  async findFailed(query: FailedQuery): Promise<FailedPage> {
    const { failedIndex } = JOBS_TABLE;
    const entries: { id: string; at: string }[] = [];
    // Each shard newest first, at most limit + 1 matching entries each; then the newest overall.
    for (let shard = 0; shard < failedIndex.shards; shard++) {
      let found = 0;
      let startKey: Item | undefined;
      do {
        const output = await this.query({
          TableName: this.tableName,
          IndexName: failedIndex.name,
          KeyConditionExpression: '#shard = :shard AND #at BETWEEN :since AND :until',
          ...(query.type !== undefined ? { FilterExpression: '#type = :type' } : {}),
          ExpressionAttributeNames: { '#shard': failedIndex.partitionKey, '#at': failedIndex.sortKey, ...(query.type !== undefined ? { '#type': 'type' } : {}) },
          ExpressionAttributeValues: { ':shard': failedShardName(shard), ':since': query.since, ':until': query.until, ...(query.type !== undefined ? { ':type': query.type } : {}) },
          ScanIndexForward: false,
          Limit: query.limit + 1,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        });
        for (const item of output.Items ?? []) entries.push({ id: String(item.id), at: String(item[failedIndex.sortKey]) });
        found += output.Items?.length ?? 0;
        startKey = output.LastEvaluatedKey;
      } while (startKey && found <= query.limit);
    }
    entries.sort((a, b) => b.at.localeCompare(a.at) || a.id.localeCompare(b.id));
    const jobs = await this.getMany(entries.slice(0, query.limit).map((entry) => entry.id));
    return { jobs: jobs.filter((job) => job.status === 'FAILED'), more: entries.length > query.limit };
  }

  async countActive(ownerId: string, limit: number): Promise<number> {
    return (await this.owners.countActive(ownerId, limit)).active;
  }

  async countActiveOfType(ownerId: string, limit: number, type: string): Promise<ActiveCount> {
    return this.owners.countActive(ownerId, limit, type);
  }

  async findReusable(reuseKey: string, completedSince: string): Promise<Job | undefined> {
    const { reuseIndex } = JOBS_TABLE;
    let startKey: Item | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const output = await this.query({
        TableName: this.tableName,
        IndexName: reuseIndex.name,
        KeyConditionExpression: '#key = :key AND #completedAt >= :since',
        FilterExpression: '#status = :completed',
        ExpressionAttributeNames: { '#key': reuseIndex.partitionKey, '#completedAt': reuseIndex.sortKey, '#status': 'status' },
        ExpressionAttributeValues: { ':key': reuseKey, ':since': completedSince, ':completed': 'COMPLETED' satisfies JobStatus },
        ScanIndexForward: false,
        Limit: 10,
        ExclusiveStartKey: startKey,
      });
      // The index may lag: the record decides.
      for (const entry of output.Items ?? []) {
        const job = await this.get(String(entry.id));
        if (job?.status === 'COMPLETED' && job.reuseKey === reuseKey && job.completedAt !== null && job.completedAt >= completedSince) return job;
      }
      startKey = output.LastEvaluatedKey;
      if (!startKey) return undefined;
    }
    return undefined;
  }

  async getIdempotencyRecord(id: string): Promise<IdempotencyRecord | undefined> {
    try {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
      if (!Item || this.isExpired(Item) || !isIdempotencyRecordId(String(Item.id))) return undefined;
      return {
        id: String(Item.id),
        requestHash: String(Item.requestHash),
        jobId: String(Item.jobId),
        generation: Number(Item.generation ?? 0),
        expiresAt: Number(Item.expiresAt),
      };
    } catch (error) {
      throw translate(error);
    }
  }

  async putIdempotencyRecord(record: IdempotencyRecord): Promise<boolean> {
    if (!isIdempotencyRecordId(record.id)) throw new Error(`Not an idempotency record id: ${record.id}`);
    try {
      // No ownerId, dueAt, dueShard or reuseKey: the item is in no index, so nothing lists it.
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record },
          ConditionExpression: 'attribute_not_exists(#id) OR #expiresAt <= :now',
          ExpressionAttributeNames: { '#id': 'id', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': this.epochNow() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw translate(error);
    }
  }

  async cancel(id: string, expected: OwnerExpectation, at: Date): Promise<Job> {
    return this.apply(id, { statusIn: allowedFrom('cancel'), ...expected }, cancelPatch(at, this.lifecycle));
  }

  async retry(id: string, expected: OwnerExpectation, at: Date): Promise<Job> {
    return this.apply(id, { statusIn: allowedFrom('retry'), ...expected }, retryPatch(expected, at, this.lifecycle));
  }

  async markDue(id: string, expected: PendingExpectation, at: Date): Promise<void> {
    await this.apply(id, { statusIn: ['PENDING'], ...expected }, { dueAt: at.toISOString() });
  }

  async resend(id: string, expected: { readonly dueAt: string }, nextDueAt: Date): Promise<void> {
    await this.apply(id, { statusIn: ['PENDING'], dueAt: expected.dueAt }, { dueAt: nextDueAt.toISOString() });
  }

  async postpone(id: string, attempt: AttemptRef, nextDueAt: Date): Promise<void> {
    await this.apply(id, running(attempt), { dueAt: nextDueAt.toISOString() });
  }

  async recoverAttempt(id: string, attempt: AttemptRef, error: string, at: Date, outcome: 'requeue' | 'fail'): Promise<void> {
    const patch = outcome === 'fail' ? failPatch(error, at, this.lifecycle) : requeuePatch(error, at, at, this.lifecycle);
    await this.apply(id, running(attempt), patch);
  }

  async failUndeliverable(id: string, expected: PendingExpectation, error: string, at: Date): Promise<void> {
    await this.apply(id, { statusIn: ['PENDING', 'PROCESSING'], ...expected }, failPatch(error, at, this.lifecycle));
  }
}
