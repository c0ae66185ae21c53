/**
 * A child process for test/integration/engine-crash.test.ts: the embedded DynamoDB on a data
 * folder, written to as hard as it goes by job-like writers (create, claim, progress, finish,
 * through DynamoJobStore), until the parent kills it with SIGKILL. Prints `ready <endpoint>` once
 * writing has begun.
 *
 *   node --import tsx test/support/engine-writer.ts <data folder> [plain]
 *
 * `plain` uses dynalite as published (separate writes for items and index entries), to show what
 * the crash test catches; the default is the engine the product uses (lib/local/engines.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { createJob } from '../../lambdas/domain/job.ts';
import { startDynamoEngine } from '../../lib/local/engines.ts';
import { ensureJobsTable } from '../../lib/local/resources.ts';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: engine-writer.ts <data folder> [plain]');
process.env.AWS_REGION ||= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ||= 'local';
process.env.AWS_SECRET_ACCESS_KEY ||= 'local';

async function plainEngine(): Promise<string> {
  const server: Server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const endpoint = mode === 'plain' ? await plainEngine() : (await startDynamoEngine({ path: dataDir })).endpoint;
const TABLE = 'engine-crash';
const ddb = new DynamoDBClient({ endpoint, maxAttempts: 1 });
await ensureJobsTable(ddb, TABLE);
const settings = { stalePendingMs: 300_000, leaseGraceMs: 60_000, retentionMs: 86_400_000 };
const store = new DynamoJobStore({ tableName: TABLE, lifecycle: settings, client: createDocumentClient(ddb) });

let announced = false;
async function writer(worker: number): Promise<never> {
  for (let n = 0; ; n++) {
    const job = createJob(
      { id: crypto.randomUUID(), ownerId: `owner-${worker % 3}`, type: 'AI_PREVIEW', input: { prompt: `p${n}` }, priority: 'normal', maxAttempts: 3 },
      new Date(),
      settings,
    );
    await store.create(job);
    const now = new Date();
    const runId = crypto.randomUUID();
    await store.claim(job.id, {
      runId,
      generation: 0,
      now: now.toISOString(),
      leaseExpiresAt: new Date(now.getTime() + 60_000).toISOString(),
    });
    const attempt = { runId };
    await store.reportProgress(job.id, attempt, { percent: 50, message: 'half' }, new Date());
    // Moves the job in the due index; then half of them finish (and leave it).
    await store.postpone(job.id, attempt, new Date(now.getTime() + 120_000 + n));
    if (n % 2 === 0) await store.complete(job.id, attempt, { result: { ok: true } }, new Date());
    if (!announced) {
      announced = true;
      process.stdout.write(`ready ${endpoint}\n`);
    }
  }
}
await Promise.all(Array.from({ length: 16 }, (_, worker) => writer(worker)));
