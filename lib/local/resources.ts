/**
 * Creates the jobs table and queues on a DynamoDB/SQS endpoint with the same shape as the CDK
 * stack, from the same constants (lambdas/shared/resources.ts): the table with its `byOwner`,
 * `byOwnerUpdated`, sparse `byDue`, `byActive` and `byReuse` indexes, the band queues' visibility
 * timeout and their redrive policy to the DLQ.
 * Creating what already exists is not an error, so a restart finds its data again.
 */
import { lookup } from 'node:dns/promises';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { JOB_PRIORITIES, type JobPriority } from '../../lambdas/domain/job.ts';
import { DLQ_CONSUMER, JOBS_TABLE, JOBS_TABLE_INDEXES, PRIORITY_BANDS, WORKER, WORKSPACES_TABLE } from '../../lambdas/shared/resources.ts';
import type { GlobalIndexSpec } from './atomic-dynalite.ts';

const TABLE_ACTIVE_TIMEOUT_MS = 60_000;

export interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

/** The jobs table's global secondary indexes as CreateTable takes them (JOBS_TABLE_INDEXES). */
export function jobsTableIndexSpecs(): GlobalIndexSpec[] {
  return JOBS_TABLE_INDEXES.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    Projection: index.projection === 'KEYS_ONLY' ? { ProjectionType: 'KEYS_ONLY' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: index.projection.include },
  }));
}

/**
 * What a jobs table in a data folder from an older version needs (DynamoEngineOptions.indexes):
 * every index of JOBS_TABLE_INDEXES (with its projection: a keys-only `byActive` gets `type`),
 * and for `byOwnerUpdated` an order key on the old records
 * (their updatedAt, the best guess for their last status change). `byActive` and `byReuse` need
 * none: the first is keyed by ownerId and dueAt, which every unfinished job has; jobs stored
 * before result reuse have no reuseKey and are never reused.
 */
export function jobsTableUpgrade(tableName: string): { tableName: string; indexes: GlobalIndexSpec[]; backfill: Record<string, string> } {
  return { tableName, indexes: jobsTableIndexSpecs(), backfill: { [JOBS_TABLE.ownerUpdatedIndex.sortKey]: 'updatedAt' } };
}

/** Creates the jobs table unless it exists, and waits until it and its indexes are ACTIVE. */
export async function ensureJobsTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const keyNames = [JOBS_TABLE.partitionKey, ...JOBS_TABLE_INDEXES.flatMap((index) => [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])])];
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...new Set(keyNames)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [{ AttributeName: JOBS_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: jobsTableIndexSpecs().map((index) => ({
          ...index,
          KeySchema: [...index.KeySchema],
          Projection: { ProjectionType: index.Projection.ProjectionType, ...(index.Projection.NonKeyAttributes ? { NonKeyAttributes: [...index.Projection.NonKeyAttributes] } : {}) },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  await waitForTableActive(ddb, tableName);
}

/** Creates the workspaces table (WORKSPACES_TABLE) unless it exists, and waits until it is ACTIVE. */
export async function ensureWorkspacesTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, principalIndex } = WORKSPACES_TABLE;
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [partitionKey, sortKey, principalIndex.partitionKey, principalIndex.sortKey].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: principalIndex.name,
            KeySchema: [
              { AttributeName: principalIndex.partitionKey, KeyType: 'HASH' },
              { AttributeName: principalIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
  }
  await waitForTableActive(ddb, tableName);
}

export async function waitForTableActive(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((index) => index.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline) {
      throw new Error(
        `Table ${tableName} is not ACTIVE after ${TABLE_ACTIVE_TIMEOUT_MS} ms (status ${Table?.TableStatus}, ` +
          `indexes ${indexes.map((index) => `${index.IndexName}=${index.IndexStatus}`).join(', ')})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Creates (or finds) the DLQ and one jobs queue per priority band with the stack's settings:
 * `normal` is named `names.jobs`, the others `<names.jobs>-low`, `-high`, `-urgent`.
 */
export async function ensureJobQueues(
  sqs: SQSClient,
  names: { readonly jobs: string; readonly dlq: string },
): Promise<{ readonly jobs: QueueRef; readonly bands: Readonly<Record<JobPriority, QueueRef>>; readonly dlq: QueueRef }> {
  const dlq = await ensureQueue(sqs, names.dlq, {
    VisibilityTimeout: String(DLQ_CONSUMER.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(DLQ_CONSUMER.retentionDays * 86_400),
  });
  const bands = {} as Record<JobPriority, QueueRef>;
  for (const band of JOB_PRIORITIES) {
    bands[band] = await ensureQueue(sqs, band === 'normal' ? names.jobs : `${names.jobs}-${band}`, {
      VisibilityTimeout: String(WORKER.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: WORKER.maxReceiveCount }),
    });
  }
  return { jobs: bands.normal, bands, dlq };
}

/** The handlers' environment variables naming each band's queue. */
export function bandQueueEnv(bands: Readonly<Record<JobPriority, QueueRef>>): Record<string, string> {
  return Object.fromEntries(JOB_PRIORITIES.map((band) => [PRIORITY_BANDS.queueUrlEnv[band], bands[band].url]));
}

async function ensureQueue(sqs: SQSClient, queueName: string, attributes: Record<string, string>): Promise<QueueRef> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${queueName} returned no QueueUrl`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${queueName} has no QueueArn`);
  return { url: QueueUrl, arn };
}

/** Creates the payload bucket unless it exists (the stack's bucket settings are AWS-only: lifecycle, policies). */
export async function ensurePayloadBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

/**
 * The handlers' SQS clients send to the queue URL's host when it differs from the endpoint; if
 * that host does not resolve, every send would fail later with a less helpful error.
 */
export async function assertQueueReachable(queueUrl: string, endpoint: string): Promise<void> {
  const url = new URL(queueUrl);
  if (url.origin === new URL(endpoint).origin) return;
  try {
    await lookup(url.hostname);
  } catch {
    throw new Error(
      `The queue URL ${queueUrl} names host ${url.hostname}, which does not resolve; the handlers' SQS clients ` +
        `would call it instead of ${endpoint}. With LocalStack, start it with SQS_ENDPOINT_STRATEGY=path.`,
    );
  }
}
