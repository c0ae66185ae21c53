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
 * Known gaps of the embedded engines (the code under test must not rely on them):
 * - dynalite has no TTL (not configured here: the store filters expired items itself), no
 *   transactions and no PartiQL, and ignores ReturnValuesOnConditionCheckFailure.
 * - fauxqs hands out queue URLs on `sqs.<region>.<host>:<port>`. The AWS SDK's SQS client sends
 *   each request to the queue URL's origin when that differs from its endpoint and the endpoint
 *   came from the environment (as in the handlers), so `sqs.us-east-1.localhost` would have to
 *   resolve, and it does not here. We pass fauxqs the host `fauxqs@127.0.0.1`: the URLs become
 *   `http://sqs.us-east-1.fauxqs@127.0.0.1:<port>/000000000000/<name>`, whose origin is exactly the
 *   endpoint (the prefix is only URL user info), so every client talks to 127.0.0.1 without DNS
 *   tricks and without the SDK's "QueueUrl differs" warning on every call. A start-up check fails
 *   loudly if that ever stops holding.
 */
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  BatchWriteItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { DLQ_CONSUMER, ENV, JOBS_TABLE, WORKER } from '../../lambdas/shared/resources.ts';

/** Where a service is served from. */
export interface Engine {
  readonly endpoint: string;
  /** True when started by us in this process; false for an endpoint given in the environment. */
  readonly embedded: boolean;
}

export interface TestInfrastructure {
  readonly region: string;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly dynamodb: Engine;
  readonly sqsEngine: Engine;
  /** Clients on the engines, for test set-up and inspection (the handlers build their own). */
  readonly ddb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
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
/** fauxqs puts this before the host in queue URLs; see the note at the top. */
const FAUXQS_URL_HOST = 'fauxqs@127.0.0.1';
const TABLE_ACTIVE_TIMEOUT_MS = 60_000;

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

    const dynamodb = await dynamoEngine(stops);
    const sqsEngine = await sqsEngineFor(stops);
    if (dynamodb.embedded) env.set('AWS_ENDPOINT_URL_DYNAMODB', dynamodb.endpoint);
    if (sqsEngine.embedded) env.set('AWS_ENDPOINT_URL_SQS', sqsEngine.endpoint);

    const ddb = new DynamoDBClient({ region, endpoint: dynamodb.endpoint });
    const doc = DynamoDBDocumentClient.from(ddb);
    const sqs = new SQSClient({ region, endpoint: sqsEngine.endpoint });
    stops.push(async () => {
      ddb.destroy();
      sqs.destroy();
    });

    const name = uniqueName(options.prefix ?? 'it');
    const tableName = `${name}-jobs`;
    await createJobsTable(ddb, tableName);
    stops.push(() => ignoreMissing(ddb.send(new DeleteTableCommand({ TableName: tableName }))));
    await waitForTableActive(ddb, tableName);

    const dlq = await createQueue(sqs, `${name}-dlq`, {
      VisibilityTimeout: String(DLQ_CONSUMER.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(DLQ_CONSUMER.retentionDays * 86_400),
    });
    stops.push(() => ignoreMissing(sqs.send(new DeleteQueueCommand({ QueueUrl: dlq.url }))));
    const jobs = await createQueue(sqs, `${name}-jobs`, {
      VisibilityTimeout: String(WORKER.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: WORKER.maxReceiveCount }),
    });
    stops.push(() => ignoreMissing(sqs.send(new DeleteQueueCommand({ QueueUrl: jobs.url }))));
    if (sqsEngine.embedded) assertSameOrigin(jobs.url, sqsEngine.endpoint);
    else await assertReachableQueueHost(jobs.url, sqsEngine.endpoint);

    const handlerEnv: Record<string, string> = {
      [ENV.tableName]: tableName,
      [ENV.queueUrl]: jobs.url,
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
      queueUrl: jobs.url,
      queueArn: jobs.arn,
      dlqUrl: dlq.url,
      dlqArn: dlq.arn,
      dynamodb,
      sqsEngine,
      ddb,
      doc,
      sqs,
      env: handlerEnv,
      async reset() {
        await deleteAllItems(ddb, tableName);
        for (const url of [jobs.url, dlq.url]) await emptyQueue(sqs, url, sqsEngine.embedded);
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

function configuredEndpoint(service: 'DYNAMODB' | 'SQS'): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service}`]?.trim() || process.env.AWS_ENDPOINT_URL?.trim() || undefined;
}

async function dynamoEngine(stops: (() => Promise<void>)[]): Promise<Engine> {
  const external = configuredEndpoint('DYNAMODB');
  if (external) return { endpoint: external, embedded: false };
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        // The handlers' SDK clients keep sockets alive; close them or close() waits for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, embedded: true };
}

async function sqsEngineFor(stops: (() => Promise<void>)[]): Promise<Engine> {
  const external = configuredEndpoint('SQS');
  if (external) return { endpoint: external, embedded: false };
  // buildApp, not startFauxqs: the latter listens on 0.0.0.0.
  const app = buildApp({ logger: false, host: FAUXQS_URL_HOST });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  stops.push(() => app.close());
  return { endpoint: new URL(address).origin, embedded: true };
}

async function createJobsTable(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, ownerIndex, dueIndex } = JOBS_TABLE;
  const keyNames = [partitionKey, ownerIndex.partitionKey, ownerIndex.sortKey, dueIndex.partitionKey, dueIndex.sortKey];
  await ddb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...new Set(keyNames)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: ownerIndex.name,
          KeySchema: [
            { AttributeName: ownerIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: ownerIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: dueIndex.name,
          KeySchema: [
            { AttributeName: dueIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: dueIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...dueIndex.nonKeyAttributes] },
        },
      ],
    }),
  );
}

async function waitForTableActive(ddb: DynamoDBClient, tableName: string): Promise<void> {
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
    await sleep(100);
  }
}

async function createQueue(
  sqs: SQSClient,
  queueName: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${queueName} returned no QueueUrl`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${queueName} has no QueueArn`);
  return { url: QueueUrl, arn };
}

function assertSameOrigin(queueUrl: string, endpoint: string): void {
  if (new URL(queueUrl).origin !== new URL(endpoint).origin) {
    throw new Error(
      `fauxqs queue URL ${queueUrl} is not on the endpoint ${endpoint}: the handlers' SQS clients would ` +
        'send to the queue URL host instead (see the note at the top of test/support/emulators.ts)',
    );
  }
}

/**
 * The handlers' SQS clients send to the queue URL's host when it differs from the endpoint; if
 * that host does not resolve, every send would fail later with a less helpful error.
 */
async function assertReachableQueueHost(queueUrl: string, endpoint: string): Promise<void> {
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

async function deleteAllItems(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const key = JOBS_TABLE.partitionKey;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: '#key',
        ExpressionAttributeNames: { '#key': key },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let requests: { DeleteRequest: { Key: Record<string, AttributeValue> } }[] = items
        .slice(i, i + 25)
        .map((item) => ({ DeleteRequest: { Key: { [key]: item[key]! } } }));
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
    if (name === 'ResourceNotFoundException' || name === 'QueueDoesNotExist' || name.includes('NonExistentQueue')) return;
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
