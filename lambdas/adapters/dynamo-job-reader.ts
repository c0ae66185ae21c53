/**
 * The read side of the jobs table: a job's record (GetItem), several records (BatchGetItem) and an
 * owner's jobs (the owner indexes, dynamo-owner-index.ts). The read routes use this class alone, so
 * their bundles carry none of the write side (conditional updates, expressions, due/failed/reuse
 * index reads); DynamoJobStore (dynamo-job-store.ts) extends it with those, so both read the same
 * way, through the same code. SDK errors are translated into domain errors here, at the edge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../domain/errors.ts';
import { isIdempotencyRecordId } from '../domain/fingerprints.ts';
import type { Job } from '../domain/job.ts';
import { systemClock, type Clock, type JobReader, type ListPage, type ListQuery } from '../domain/ports.ts';
import { workspaceIdOfOwnerKey, type JobShardCounts } from '../domain/workspace.ts';
import { translate } from './dynamo-errors.ts';
import { fromItem, type Item } from './dynamo-items.ts';
import { listOwnerJobs, type OwnerIndexReader } from './dynamo-owner-index.ts';

/** BatchGetItem's limit. */
const BATCH_GET_MAX = 100;
/** Rounds of BatchGetItem for keys DynamoDB left unprocessed (throttling). */
const BATCH_GET_ROUNDS = 5;

export interface DynamoJobReaderOptions {
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  readonly clock?: Clock;
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

export class DynamoJobReader implements JobReader {
  protected readonly tableName: string;
  protected readonly client: DynamoDBDocumentClient;
  protected readonly clock: Clock;
  private readonly workspaces: JobShardCounts | undefined;
  /** The sharded owner-index reads (dynamo-owner-index.ts) on this table. */
  protected readonly indexReader: OwnerIndexReader;

  constructor(options: DynamoJobReaderOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? createDocumentClient();
    this.clock = options.clock ?? systemClock;
    this.workspaces = options.workspaces;
    this.indexReader = { tableName: this.tableName, query: (input) => this.query(input), getMany: (ids) => this.getMany(ids) };
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

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    return listOwnerJobs(this.indexReader, ownerId, await this.shardsOf(ownerId), query);
  }

  /**
   * Over how many index shards the owner's entries are spread: 1 for a personal owner (no read),
   * the workspace's jobShards for a workspace's owner key (one strongly consistent GetItem).
   */
  protected async shardsOf(ownerId: string): Promise<number> {
    const workspaceId = workspaceIdOfOwnerKey(ownerId);
    if (workspaceId === undefined) return 1;
    if (!this.workspaces) throw new Error(`The job store needs the workspaces table (option workspaces) to read the jobs of ${ownerId}`);
    return this.workspaces.jobShards(workspaceId);
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
}
