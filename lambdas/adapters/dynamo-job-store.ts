/**
 * JobStore on DynamoDB. Every state change is one conditional UpdateItem; SDK errors are
 * translated into domain errors here, at the edge.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentUpdateError,
  JobAlreadyExistsError,
  RecordTooLargeError,
  ServiceUnavailableError,
} from '../domain/errors.ts';
import type { Job, JobPatch, JobStatus } from '../domain/job.ts';
import type {
  ClaimRequest,
  Clock,
  DuePage,
  DuePosition,
  JobGuard,
  JobStore,
  ListPage,
  ListPosition,
  ListQuery,
} from '../domain/ports.ts';
import { ACTIVE_SHARD, JOBS_TABLE } from '../shared/resources.ts';

/** Fields stored only while set: a null value removes the attribute (index keys, TTL, lease). */
const ABSENT_WHEN_NULL = new Set(['runId', 'leaseExpiresAt', 'dueAt', 'expiresAt', 'startedAt']);

/** Most filtered pages a single list call reads before returning what it has. */
const MAX_LIST_PAGES = 10;

export interface DynamoJobStoreOptions {
  readonly tableName: string;
  readonly client?: DynamoDBDocumentClient;
  readonly clock?: Clock;
}

export function createDocumentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

type Item = Record<string, unknown>;

export class DynamoJobStore implements JobStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly clock: Clock;

  constructor(options: DynamoJobStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? createDocumentClient();
    this.clock = options.clock ?? (() => new Date());
  }

  async create(job: Job): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(job),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new JobAlreadyExistsError(job.id);
      throw translate(error);
    }
  }

  async get(id: string): Promise<Job | undefined> {
    try {
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
      );
      if (!Item || this.isExpired(Item)) return undefined;
      return fromItem(Item);
    } catch (error) {
      throw translate(error);
    }
  }

  async list(ownerId: string, query: ListQuery): Promise<ListPage> {
    const { ownerIndex } = JOBS_TABLE;
    const names: Record<string, string> = { '#owner': ownerIndex.partitionKey, '#expiresAt': 'expiresAt' };
    const values: Record<string, unknown> = { ':owner': ownerId, ':now': this.epochNow() };
    const filters = ['(attribute_not_exists(#expiresAt) OR #expiresAt > :now)'];
    if (query.status) {
      names['#status'] = 'status';
      values[':status'] = query.status;
      filters.push('#status = :status');
    }
    if (query.type) {
      names['#type'] = 'type';
      values[':type'] = query.type;
      filters.push('#type = :type');
    }
    const jobs: Job[] = [];
    let startKey: Item | undefined = query.after ? positionKey(ownerId, query.after) : undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: ownerIndex.name,
        KeyConditionExpression: '#owner = :owner',
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit + 1,
        ExclusiveStartKey: startKey,
      };
      let output;
      try {
        output = await this.client.send(new QueryCommand(input));
      } catch (error) {
        throw translate(error);
      }
      for (const item of output.Items ?? []) jobs.push(fromItem(item));
      if (jobs.length > query.limit) {
        const kept = jobs.slice(0, query.limit);
        return { jobs: kept, next: positionOf(kept[kept.length - 1]!) };
      }
      startKey = output.LastEvaluatedKey;
      if (!startKey) return { jobs, next: null };
    }
    // Filters skipped many items: return what we have and continue from the last item read.
    return { jobs, next: { createdAt: String(startKey!.createdAt), id: String(startKey!.id) } };
  }

  async update(id: string, guard: JobGuard, patch: JobPatch): Promise<Job> {
    const expression = new ExpressionBuilder();
    const update = expression.update(patch);
    const condition = expression.guard(guard);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: expression.names,
          ExpressionAttributeValues: expression.valuesOrUndefined(),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(Attributes ?? {});
    } catch (error) {
      if (isConditionFailure(error)) throw new ConcurrentUpdateError(id);
      throw translate(error);
    }
  }

  async claim(id: string, request: ClaimRequest): Promise<Job | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression:
            'SET #status = :processing, #runId = :runId, #lease = :lease, #dueAt = :dueAt, #shard = :shard, ' +
            '#updatedAt = :now, #progress = :null, #startedAt = if_not_exists(#startedAt, :now) ADD #attempts :one',
          ConditionExpression:
            'attribute_exists(#id) AND #attempts < #maxAttempts AND ' +
            '(#status = :pending OR (#status = :processing AND #lease < :now)) AND ' +
            // Records written before generations existed are on run 0.
            (request.generation === 0 ? '(attribute_not_exists(#generation) OR #generation = :generation)' : '#generation = :generation'),
          ExpressionAttributeNames: {
            '#id': 'id',
            '#status': 'status',
            '#runId': 'runId',
            '#lease': 'leaseExpiresAt',
            '#dueAt': 'dueAt',
            '#shard': 'activeShard',
            '#updatedAt': 'updatedAt',
            '#progress': 'progress',
            '#startedAt': 'startedAt',
            '#attempts': 'attempts',
            '#maxAttempts': 'maxAttempts',
            '#generation': 'generation',
          },
          ExpressionAttributeValues: {
            ':processing': 'PROCESSING' satisfies JobStatus,
            ':pending': 'PENDING' satisfies JobStatus,
            ':runId': request.runId,
            ':lease': request.leaseExpiresAt,
            ':dueAt': request.dueAt,
            ':shard': ACTIVE_SHARD,
            ':now': request.now,
            ':null': null,
            ':one': 1,
            ':generation': request.generation,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw translate(error);
    }
  }

  async findDue(dueBy: string, limit: number, after?: DuePosition): Promise<DuePage> {
    const { dueIndex } = JOBS_TABLE;
    try {
      const { Items, LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: dueIndex.name,
          KeyConditionExpression: '#shard = :shard AND #dueAt <= :dueBy',
          ExpressionAttributeNames: { '#shard': dueIndex.partitionKey, '#dueAt': dueIndex.sortKey },
          ExpressionAttributeValues: { ':shard': ACTIVE_SHARD, ':dueBy': dueBy },
          Limit: limit,
          ...(after ? { ExclusiveStartKey: { id: after.id, [dueIndex.partitionKey]: ACTIVE_SHARD, [dueIndex.sortKey]: after.dueAt } } : {}),
        }),
      );
      const jobs = (Items ?? []).map((item) => ({
        id: String(item.id),
        status: item.status as JobStatus,
        runId: typeof item.runId === 'string' ? item.runId : null,
        attempts: Number(item.attempts ?? 0),
        maxAttempts: Number(item.maxAttempts ?? 0),
        generation: Number(item.generation ?? 0),
        dueAt: String(item.dueAt),
      }));
      const last = LastEvaluatedKey ? { id: String(LastEvaluatedKey.id), dueAt: String(LastEvaluatedKey[dueIndex.sortKey]) } : null;
      return { jobs, next: last };
    } catch (error) {
      throw translate(error);
    }
  }

  private epochNow(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  private isExpired(item: Item): boolean {
    return typeof item.expiresAt === 'number' && item.expiresAt <= this.epochNow();
  }
}

/** Builds update and condition expressions with placeholder names for every attribute. */
class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private counter = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.counter++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  valuesOrUndefined(): Record<string, unknown> | undefined {
    return Object.keys(this.values).length ? this.values : undefined;
  }

  update(patch: JobPatch): string {
    const sets: string[] = [];
    const removes: string[] = [];
    for (const [attribute, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null && ABSENT_WHEN_NULL.has(attribute)) removes.push(this.name(attribute));
      else sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    }
    if ('dueAt' in patch && patch.dueAt !== undefined) {
      // The sparse due index holds exactly the jobs that have a dueAt.
      if (patch.dueAt === null) removes.push(this.name('activeShard'));
      else sets.push(`${this.name('activeShard')} = ${this.value(ACTIVE_SHARD)}`);
    }
    return [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
  }

  guard(guard: JobGuard): string {
    const conditions = [`attribute_exists(${this.name('id')})`];
    if (guard.statusIn) {
      const statuses = guard.statusIn.map((status) => this.value(status));
      conditions.push(`${this.name('status')} IN (${statuses.join(', ')})`);
    }
    if (guard.ownerId !== undefined) conditions.push(`${this.name('ownerId')} = ${this.value(guard.ownerId)}`);
    if (guard.runId === null) conditions.push(`attribute_not_exists(${this.name('runId')})`);
    else if (guard.runId !== undefined) conditions.push(`${this.name('runId')} = ${this.value(guard.runId)}`);
    if (guard.dueAt !== undefined) conditions.push(`${this.name('dueAt')} = ${this.value(guard.dueAt)}`);
    if (guard.generation !== undefined) {
      // Records written before generations existed are on run 0.
      const generation = this.name('generation');
      const value = this.value(guard.generation);
      conditions.push(
        guard.generation === 0
          ? `(attribute_not_exists(${generation}) OR ${generation} = ${value})`
          : `${generation} = ${value}`,
      );
    }
    return conditions.join(' AND ');
  }
}

function toItem(job: Job): Item {
  const item: Item = {};
  for (const [attribute, value] of Object.entries(job)) {
    if (value === null && ABSENT_WHEN_NULL.has(attribute)) continue;
    item[attribute] = value;
  }
  if (job.dueAt !== null) item.activeShard = ACTIVE_SHARD;
  return item;
}

function fromItem(item: Item): Job {
  const text = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : null);
  return {
    id: String(item.id),
    type: String(item.type),
    status: item.status as JobStatus,
    result: (item.result as Job['result']) ?? null,
    error: text('error'),
    attempts: Number(item.attempts ?? 0),
    maxAttempts: Number(item.maxAttempts ?? 0),
    progress: (item.progress as Job['progress']) ?? null,
    createdAt: String(item.createdAt),
    startedAt: text('startedAt'),
    completedAt: text('completedAt'),
    updatedAt: String(item.updatedAt),
    ownerId: String(item.ownerId),
    input: item.input ?? null,
    priority: (item.priority as Job['priority']) ?? 'normal',
    generation: Number(item.generation ?? 0),
    runId: text('runId'),
    leaseExpiresAt: text('leaseExpiresAt'),
    dueAt: text('dueAt'),
    expiresAt: typeof item.expiresAt === 'number' ? item.expiresAt : null,
  };
}

function positionOf(job: Job): ListPosition {
  return { createdAt: job.createdAt, id: job.id };
}

function positionKey(ownerId: string, position: ListPosition): Item {
  return { id: position.id, ownerId, createdAt: position.createdAt };
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isConditionFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

function isItemTooLarge(error: unknown): boolean {
  return errorName(error) === 'ValidationException' && /item size/i.test(error instanceof Error ? error.message : '');
}

const UNAVAILABLE = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
]);

/** Throttling and 5xx become ServiceUnavailableError (the API answers 503); the rest pass through. */
function translate(error: unknown): unknown {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = errorName(error);
  if (isItemTooLarge(error)) return new RecordTooLargeError('The job record would exceed the 400 KB item limit', { cause: error });
  if ((name && UNAVAILABLE.has(name)) || (status !== undefined && status >= 500)) {
    return new ServiceUnavailableError('The job store is temporarily unavailable', { cause: error });
  }
  return error;
}

