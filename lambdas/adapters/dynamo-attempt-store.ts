/**
 * The worker's store: a job's record and several (DynamoJobRecords), and the writes of an attempt:
 * claim, progress, complete, fail, requeue. Each is one conditional UpdateItem on the job's item;
 * SDK errors are translated into domain errors here. DynamoJobStore (dynamo-job-store.ts) extends
 * it with every other transition and index read, so the worker's bundle carries none of them (nor
 * the owner indexes' listing and counting), and both write an attempt through the same code.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../domain/errors.ts';
import { completePatch, failPatch, progressPatch, requeuePatch, type Job, type JobPatch, type JobProgress, type JobStatus, type LifecycleSettings, type StoredResult } from '../domain/job.ts';
import type { AttemptRef, AttemptStore, ClaimRequest } from '../domain/ports.ts';
import { isConditionFailure, translate } from './dynamo-errors.ts';
import { ExpressionBuilder, fromItem, running, type Guard } from './dynamo-items.ts';
import { DynamoJobRecords, type DynamoJobRecordsOptions } from './dynamo-job-reader.ts';

export interface DynamoAttemptStoreOptions extends DynamoJobRecordsOptions {
  /** How long a finished job is kept. */
  readonly lifecycle: LifecycleSettings;
}

export class DynamoAttemptStore extends DynamoJobRecords implements AttemptStore {
  protected readonly lifecycle: LifecycleSettings;

  constructor(options: DynamoAttemptStoreOptions) {
    super(options);
    this.lifecycle = options.lifecycle;
  }

  async claim(id: string, request: ClaimRequest): Promise<Job | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression:
            'SET #status = :processing, #runId = :runId, #lease = :lease, #updatedAt = :now, ' +
            '#statusChangedAt = :now, #startedAt = if_not_exists(#startedAt, :now) REMOVE #progress ADD #attempts :one',
          ConditionExpression:
            'attribute_exists(#id) AND #attempts < #maxAttempts AND ' +
            '(#status = :pending OR (#status = :processing AND #lease < :now)) AND #generation = :generation AND ' +
            '(attribute_not_exists(#scheduledAt) OR #scheduledAt <= :now)',
          ExpressionAttributeNames: {
            '#id': 'id',
            '#status': 'status',
            '#runId': 'runId',
            '#lease': 'leaseExpiresAt',
            '#updatedAt': 'updatedAt',
            '#statusChangedAt': 'statusChangedAt',
            '#progress': 'progress',
            '#startedAt': 'startedAt',
            '#attempts': 'attempts',
            '#maxAttempts': 'maxAttempts',
            '#generation': 'generation',
            '#scheduledAt': 'scheduledAt',
          },
          ExpressionAttributeValues: {
            ':processing': 'PROCESSING' satisfies JobStatus,
            ':pending': 'PENDING' satisfies JobStatus,
            ':runId': request.runId,
            ':lease': request.leaseExpiresAt,
            ':now': request.now,
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

  async reportProgress(id: string, attempt: AttemptRef, progress: JobProgress, at: Date): Promise<void> {
    await this.apply(id, running(attempt), progressPatch(progress, at));
  }

  async complete(id: string, attempt: AttemptRef, result: StoredResult, at: Date): Promise<void> {
    await this.apply(id, running(attempt), completePatch(result, at, this.lifecycle));
  }

  async fail(id: string, attempt: AttemptRef, error: string, at: Date): Promise<void> {
    await this.apply(id, running(attempt), failPatch(error, at, this.lifecycle));
  }

  async requeue(id: string, attempt: AttemptRef, error: string, nextAttemptAt: Date, at: Date): Promise<void> {
    await this.apply(id, running(attempt), requeuePatch(error, nextAttemptAt, at, this.lifecycle));
  }

  /** Applies the patch if the guard holds (and the job exists); ConcurrentUpdateError if not. */
  protected async apply(id: string, guard: Guard, patch: JobPatch): Promise<Job> {
    const expression = new ExpressionBuilder();
    const update = expression.update(id, patch);
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
}
