/**
 * The read side of the jobs table: a job's record (GetItem) and several records (BatchGetItem)
 * (DynamoJobRecords), and an owner's jobs (the owner indexes, dynamo-owner-index.ts: DynamoJobReader).
 * The read routes use DynamoJobReader alone, so their bundles carry none of the write side
 * (conditional updates, expressions, due/failed/reuse index reads); the worker's store
 * (DynamoAttemptStore, dynamo-attempt-store.ts) extends DynamoJobRecords with an attempt's writes,
 * and DynamoJobStore extends that with the rest, so all read the same way, through the same code.
 * SDK errors are translated into domain errors here, at the edge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../domain/errors.ts';
import { isIdempotencyRecordId } from '../domain/fingerprints.ts';
import type { Job } from '../domain/job.ts';
import { systemClock, type Clock, type JobReader, type ListPage, type ListQuery } from '../domain/ports.ts';
import type { JobShardCounts } from '../domain/workspace.ts';
import { translate } from './dynamo-errors.ts';
import { fromItem, type Item } from './dynamo-items.ts';
import { OwnerJobs, type OwnerIndexReader } from './dynamo-owner-index.ts';

/** BatchGetItem's limit. */
const BATCH_GET_MAX = 100;
/** Rounds of BatchGetItem for keys DynamoDB left unprocessed (throttling). */
const BATCH_GET_ROUNDS = 5;

export interface DynamoJobRecordsOptions {
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  readonly clock?: Clock;
}

export interface DynamoJobReaderOptions extends DynamoJobRecordsOptions {
  /**
   * Each workspace's jobShards (the workspaces table): needed by the functions that create, list or
   * count a workspace's jobs; without it those throw for a workspace's owner key.
   */
  readonly workspaces?: JobShardCounts;
}

export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** A job's record and several records: what every store and reader of the jobs table reads. */
export class DynamoJobRecords implements Pick<JobReader, 'get' | 'getMany'> {
  protected readonly tableName: string;
  protected readonly client: DynamoDBDocumentClient;
  protected readonly clock: Clock;

  constructor(options: DynamoJobRecordsOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? createDocumentClient();
    this.clock = options.clock ?? systemClock;
  }

  async get(id: string): Promise<Job | undefined> {
    if (isIdempotencyRecordId(id)) return undefined;
    try {
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
      if (!Item || this.isExpired(Item)) return undefined;
      return fromItem(Item);
    } catch (error) {
      throw translate(error);
    }
  }

  async getMany(ids: readonly string[]): Promise<Job[]> {
    const found = new Map<string, Job>();
    const unique = [...new Set(ids)].filter((id) => !isIdempotencyRecordId(id));
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX) {
      let keys: Item[] = unique.slice(start, start + BATCH_GET_MAX).map((id) => ({ id }));
      for (let round = 0; keys.length > 0; round++) {
        if (round >= BATCH_GET_ROUNDS) throw new ServiceUnavailableError('The job store is temporarily unavailable (reads left unprocessed)');
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** round));
        let output;
        try {
          output = await this.client.send(
            new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
          );
        } catch (error) {
          throw translate(error);
        }
        for (const item of output.Responses?.[this.tableName] ?? []) {
          if (!this.isExpired(item)) found.set(String(item.id), fromItem(item));
        }
        keys = (output.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return ids.flatMap((id) => {
      const job = found.get(id);
      return job ? [job] : [];
    });
  }

  /** One Query page, SDK errors translated. */
  protected async query(input: QueryCommandInput) {
    try {
      return await this.client.send(new QueryCommand(input));
    } catch (error) {
      throw translate(error);
    }
  }

  protected epochNow(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  protected isExpired(item: Item): boolean {
    return typeof item.expiresAt === 'number' && item.expiresAt <= this.epochNow();
  }

  /** What the owner indexes' reads (dynamo-owner-index.ts) need of this table. */
  protected indexReader(): OwnerIndexReader {
    return { tableName: this.tableName, query: (input) => this.query(input), getMany: (ids) => this.getMany(ids) };
  }
}

/** The read routes' reader: records, and an owner's page of jobs on the owner indexes. */
export class DynamoJobReader extends DynamoJobRecords implements JobReader {
  private readonly owners: OwnerJobs;

  constructor(options: DynamoJobReaderOptions) {
    super(options);
    this.owners = new OwnerJobs(this.indexReader(), options.workspaces);
  }

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    return this.owners.list(ownerId, query);
  }
}
