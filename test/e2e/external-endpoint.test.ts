/**
 * `npm run dev` with AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS set (as for LocalStack):
 * it must use those engines, create the table and queues there, and keep nothing on disk.
 * The "external" engines here are dynalite and fauxqs started by this test process.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoEngine, startSqsEngine, type Engine } from '../../lib/local/engines.ts';
import { LOCAL_NAMES } from '../../lib/local/runtime.ts';
import { Client, issueToken, makeDataDir, nonce, pollUntil, removeDataDir, startDevServer, type DevServer } from '../support/dev-server.ts';

let dynamodb: Engine;
let sqs: Engine;
let server: DevServer | undefined;
let dataDir: string;

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

beforeAll(async () => {
  dynamodb = await startDynamoEngine();
  sqs = await startSqsEngine();
  dataDir = makeDataDir('jobs-e2e-external-');
  server = await startDevServer({
    dataDir,
    env: { AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint, RETRY_BASE_DELAY_SECONDS: '0' },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await Promise.all([dynamodb?.stop(), sqs?.stop()]);
  removeDataDir(dataDir);
});

describe('npm run dev against external endpoints', () => {
  it('names the endpoints in its ready line', () => {
    expect(server!.stdout()).toContain(`DynamoDB ${dynamodb.endpoint}`);
    expect(server!.stdout()).toContain(`SQS ${sqs.endpoint}`);
  });

  it('creates the table and queues there and runs jobs on them, keeping no data on disk', async () => {
    const tables = await new DynamoDBClient({ region: 'us-east-1', endpoint: dynamodb.endpoint, credentials }).send(new ListTablesCommand({}));
    expect(tables.TableNames).toContain(LOCAL_NAMES.table);
    const queues = await new SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint, credentials }).send(new ListQueuesCommand({}));
    expect(queues.QueueUrls?.map((url) => url.split('/').pop()).sort()).toEqual(
      [LOCAL_NAMES.dlq, LOCAL_NAMES.jobsQueue, ...['low', 'high', 'urgent'].map((band) => `${LOCAL_NAMES.jobsQueue}-${band}`)].sort(),
    );

    const client = new Client(server!.url, await issueToken(dataDir, `ext-${nonce()}`));
    const created = await client.create({ prompt: `external ${nonce()}` });
    expect(created.status).toBe(202);
    const done = await pollUntil(() => client.job(created.json.id), (job) => job.status === 'COMPLETED');
    expect(done.attempts).toBe(1);
    expect(existsSync(path.join(dataDir, 'dynamodb'))).toBe(false);
  });
});
