/**
 * The AWS resources the handlers need (the jobs table, the jobs queue and its DLQ) on real
 * DynamoDB and SQS engines, for integration tests.
 *
 * Engines
 * - By default both are embedded in this process on loopback ephemeral ports: dynalite for
 *   DynamoDB and fauxqs for SQS. Nothing listens on anything but 127.0.0.1.
 * - When `AWS_ENDPOINT_URL` (both services) or `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SQS`
 *   (one service) is already set, that endpoint is used and nothing is started for that service,
 *   e.g. LocalStack:
 *
 *       AWS_ENDPOINT_URL=http://localhost:4566 npx vitest run test/integration
 *
 *   LocalStack's default queue URLs name `sqs.<region>.localhost.localstack.cloud`, which the
 *   handlers' SQS clients (built with no explicit endpoint) call directly; that name needs DNS,
 *   so offline start LocalStack with `SQS_ENDPOINT_STRATEGY=path` (queue URLs on the endpoint's own
 *   host). Credentials come from the usual AWS variables; dummy ones are set only when none are.
 *
 * Every run creates its own uniquely named table and queues (`it-<time>-<random>-…`), so runs
 * against a shared endpoint do not collide, and `stop()` deletes them again.
 *
 * What it sets up mirrors the CDK stack from the same constants (lambdas/shared/resources.ts):
 * the table with its `byOwner` and sparse `byDue` indexes, the queue's visibility timeout and its
 * redrive policy to the DLQ. Then it sets the environment variables the handlers read at import
 * time, so import handler modules (`await import(...)`) only after `startEmulators()` resolved.
 *
 * Known gaps of the embedded engines (the code under test must not rely on them): dynalite has
 * no TTL (not configured here: the store filters expired items itself), no transactions and no
 * PartiQL, and ignores ReturnValuesOnConditionCheckFailure. The engines and the fauxqs queue-URL
 * arrangement are in lib/local/engines.ts, shared with the local runtime (`npm run dev`).
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteTableCommand,
  DynamoDBClient,
  ScanCommand,
  BatchWriteItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { JobPriority } from '../../lambdas/domain/job.ts';
import { ENV, JOBS_TABLE, WORKSPACES_TABLE } from '../../lambdas/shared/resources.ts';
import { startDynamoEngine, startQueueAndObjectEngines, type Engine } from '../../lib/local/engines.ts';
import { createS3Client } from '../../lambdas/adapters/s3-payload-store.ts';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { assertQueueReachable, bandQueueEnv, ensureJobQueues, ensureJobsTable, ensurePayloadBucket, ensureWorkspacesTable } from '../../lib/local/resources.ts';

export interface TestInfrastructure {
  readonly region: string;
  readonly tableName: string;
  /** The workspaces table (WORKSPACES_TABLE). */
  readonly workspacesTableName: string;
  /** The `normal` band's queue (where jobs created without a priority go). */
  readonly queueUrl: string;
  readonly queueArn: string;
  /** Every band's queue. */
  readonly bandQueueUrls: Readonly<Record<JobPriority, string>>;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly dynamodb: Engine;
  readonly sqsEngine: Engine;
  readonly s3Engine: Engine;
  /** The payload bucket. */
  readonly bucket: string;
  /** Clients on the engines, for test set-up and inspection (the handlers build their own). */
  readonly ddb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** The handler configuration that was put into process.env. */
  readonly env: Readonly<Record<string, string>>;
  /** Deletes every item and every message, so the next test starts from nothing. */
  reset(): Promise<void>;
  /** Deletes the table and queues, stops embedded engines and restores process.env. */
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Extra environment for the handlers (e.g. `{ STALE_PENDING_SECONDS: '1' }`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Start of the resource names (default `it`). */
  readonly prefix?: string;
}

const DEFAULT_REGION = 'us-east-1';

export async function startEmulators(options: EmulatorOptions = {}): Promise<TestInfrastructure> {
  const env = new EnvironmentPatch();
  const stops: (() => Promise<void>)[] = [];
  try {
    // Credentials and region first: the SDK reads them when a client sends its first request.
    env.setDefault('AWS_REGION', DEFAULT_REGION);
    if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
      env.set('AWS_ACCESS_KEY_ID', 'test');
      env.set('AWS_SECRET_ACCESS_KEY', 'test');
    }
    // Node 20 is this project's runtime; the SDK's notice about its future Node 22 floor is noise here.
    env.setDefault('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
    const region = process.env.AWS_REGION ?? DEFAULT_REGION;

    const dynamodb = await startDynamoEngine();
    stops.push(() => dynamodb.stop());
    const { sqs: sqsEngine, s3: s3Engine } = await startQueueAndObjectEngines();
    stops.push(() => sqsEngine.stop());
    stops.push(() => s3Engine.stop());
    if (dynamodb.embedded) env.set('AWS_ENDPOINT_URL_DYNAMODB', dynamodb.endpoint);
    if (sqsEngine.embedded) env.set('AWS_ENDPOINT_URL_SQS', sqsEngine.endpoint);
    if (s3Engine.embedded) env.set('AWS_ENDPOINT_URL_S3', s3Engine.endpoint);
    env.setDefault(ENV.s3ForcePathStyle, 'true');

    const ddb = new DynamoDBClient({ region, endpoint: dynamodb.endpoint });
    const doc = DynamoDBDocumentClient.from(ddb);
    const sqs = new SQSClient({ region, endpoint: sqsEngine.endpoint });
    const s3 = createS3Client(process.env, { region, endpoint: s3Engine.endpoint });
    stops.push(async () => {
      ddb.destroy();
      sqs.destroy();
      s3.destroy();
    });

    const name = uniqueName(options.prefix ?? 'it');
    const tableName = `${name}-jobs`;
    stops.push(() => ignoreMissing(ddb.send(new DeleteTableCommand({ TableName: tableName }))));
    await ensureJobsTable(ddb, tableName);
    const workspacesTableName = `${name}-workspaces`;
    stops.push(() => ignoreMissing(ddb.send(new DeleteTableCommand({ TableName: workspacesTableName }))));
    await ensureWorkspacesTable(ddb, workspacesTableName);

    const { jobs, bands, dlq } = await ensureJobQueues(sqs, { jobs: `${name}-jobs`, dlq: `${name}-dlq` });
    stops.push(() => ignoreMissing(sqs.send(new DeleteQueueCommand({ QueueUrl: dlq.url }))));
    for (const band of Object.values(bands)) stops.push(() => ignoreMissing(sqs.send(new DeleteQueueCommand({ QueueUrl: band.url }))));
    if (sqsEngine.embedded && new URL(jobs.url).origin !== new URL(sqsEngine.endpoint).origin) {
      throw new Error(`fauxqs queue URL ${jobs.url} is not on the endpoint ${sqsEngine.endpoint} (see lib/local/engines.ts)`);
    }
    await assertQueueReachable(jobs.url, sqsEngine.endpoint);

    const bucket = `${name}-payloads`;
    await ensurePayloadBucket(s3, bucket);
    stops.push(() => emptyAndDeleteBucket(s3, bucket));

    const handlerEnv: Record<string, string> = {
      [ENV.tableName]: tableName,
      [ENV.workspacesTableName]: workspacesTableName,
      ...bandQueueEnv(bands),
      [ENV.payloadBucket]: bucket,
      [ENV.cursorSecret]: randomBytes(32).toString('hex'),
      [ENV.bedrockModelId]: 'test.fake-model-v1',
      [ENV.retryBaseDelaySeconds]: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...options.env,
    };
    for (const [key, value] of Object.entries(handlerEnv)) env.set(key, value);

    let stopped = false;
    return {
      region,
      tableName,
      workspacesTableName,
      queueUrl: jobs.url,
      queueArn: jobs.arn,
      bandQueueUrls: Object.fromEntries(Object.entries(bands).map(([band, queue]) => [band, queue.url])) as Record<JobPriority, string>,
      dlqUrl: dlq.url,
      dlqArn: dlq.arn,
      bucket,
      dynamodb,
      sqsEngine,
      s3Engine,
      ddb,
      doc,
      sqs,
      s3,
      env: handlerEnv,
      async reset() {
        await deleteAllItems(ddb, tableName);
        await deleteAllItems(ddb, workspacesTableName, [WORKSPACES_TABLE.partitionKey, WORKSPACES_TABLE.sortKey]);
        for (const url of [...Object.values(bands).map((band) => band.url), dlq.url]) await emptyQueue(sqs, url, sqsEngine.embedded);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await runStops(stops);
        } finally {
          env.restore();
        }
      },
    };
  } catch (error) {
    await runStops(stops).catch(() => {});
    env.restore();
    throw error;
  }
}

/** `it-<base36 time>-<hex>`: unique per run, valid as a table and a queue name. */
function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}









async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    if (Contents.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: Contents.map((object) => ({ Key: object.Key! })) } }));
  }
  await ignoreMissing(s3.send(new DeleteBucketCommand({ Bucket: bucket })));
}

async function deleteAllItems(ddb: DynamoDBClient, tableName: string, keys: readonly string[] = [JOBS_TABLE.partitionKey]): Promise<void> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: keys.map((_, index) => `#key${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(keys.map((key, index) => [`#key${index}`, key])),
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let requests: { DeleteRequest: { Key: Record<string, AttributeValue> } }[] = items
        .slice(i, i + 25)
        .map((item) => ({ DeleteRequest: { Key: Object.fromEntries(keys.map((key) => [key, item[key]!])) } }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 10) throw new Error(`Could not delete the items of ${tableName}`);
        const { UnprocessedItems } = await ddb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
        requests = (UnprocessedItems?.[tableName] ?? []).flatMap((request) =>
          request.DeleteRequest?.Key ? [{ DeleteRequest: { Key: request.DeleteRequest.Key } }] : [],
        );
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/**
 * Embedded fauxqs: PurgeQueue drops visible, delayed and in-flight messages at once. Elsewhere
 * PurgeQueue is limited to once a minute, so visible messages are received and deleted instead.
 */
async function emptyQueue(sqs: SQSClient, queueUrl: string, embedded: boolean): Promise<void> {
  if (embedded) {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    return;
  }
  for (let round = 0; round < 100; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
  }
}

async function ignoreMissing(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist' || name === 'NoSuchBucket' || name.includes('NonExistentQueue')) return;
    throw error;
  }
}

/** Runs clean-up steps newest first; all of them run, and the first failure is rethrown. */
async function runStops(stops: (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  while (stops.length > 0) {
    const stop = stops.pop()!;
    try {
      await stop();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, 'Several clean-up steps failed');
}

/** Sets process.env entries and puts the previous values back on restore(). */
class EnvironmentPatch {
  private readonly saved = new Map<string, string | undefined>();

  set(key: string, value: string): void {
    if (!this.saved.has(key)) this.saved.set(key, process.env[key]);
    process.env[key] = value;
  }

  setDefault(key: string, value: string): void {
    if (!process.env[key]) this.set(key, value);
  }

  restore(): void {
    for (const [key, value] of this.saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    this.saved.clear();
  }
}
