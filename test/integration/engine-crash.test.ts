/**
 * The local DynamoDB engine across crashes: a process writing jobs as hard as it can (create,
 * claim, progress, finish) is killed with SIGKILL at random moments, again and again, on the same
 * data folder. After every kill the table's indexes must agree with its records exactly: no list
 * entry without a job, no unfinished job missing from the due index, no stale status in the list.
 * (dynalite as published fails this: it writes index entries and the item separately.)
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, describe, expect, it } from 'vitest';
import { createDocumentClient, DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.ts';
import { createJob } from '../../lambdas/domain/job.ts';
import { installAtomicDynalite, repairIndexes, storeOf } from '../../lib/local/atomic-dynalite.ts';
import { ensureJobsTable } from '../../lib/local/resources.ts';
import { makeDataDir, PROJECT_ROOT, removeDataDir } from '../support/dev-server.ts';
import { indexProblems } from '../support/index-consistency.ts';

const KILLS = 8;
const TABLE = 'engine-crash';
const dataDir = makeDataDir('engine-crash-');
const damagedDir = makeDataDir('engine-crash-damaged-');
afterAll(() => {
  removeDataDir(dataDir);
  removeDataDir(damagedDir);
});

/** dynalite on a data folder, on loopback; `repair` rebuilds the indexes first, as the runtime does. */
async function openFolder(dir: string, repair = false) {
  installAtomicDynalite();
  const options = { path: dir };
  const server: Server = dynalite(options);
  const repaired = repair ? await repairIndexes(storeOf(options).db) : undefined;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const ddb = new DynamoDBClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  return {
    ddb,
    repaired,
    async close() {
      ddb.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Starts the writer, lets it write for `ms` after its first finished job, then kills it. */
async function writeAndKill(ms: number, dir = dataDir, engine: 'product' | 'plain' = 'product'): Promise<void> {
  const args = ['--import', 'tsx', 'test/support/engine-writer.ts', dir, ...(engine === 'plain' ? ['plain'] : [])];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_ENDPOINT_URL: '', AWS_ENDPOINT_URL_DYNAMODB: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the writer did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the writer exited (${code}): ${err}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGKILL');
  await exited;
}

describe('the embedded DynamoDB killed in the middle of writes', () => {
  it(`keeps indexes and records in agreement across ${KILLS} kills at random moments`, async () => {
    let records = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await writeAndKill(100 + Math.random() * 400);
      // Read the folder back as the kill left it (no repair), whatever endpoint the suite runs against.
      const folder = await openFolder(dataDir);
      try {
        const found = await indexProblems(folder.ddb, TABLE);
        expect(found.problems, `after kill ${kill + 1}`).toEqual([]);
        expect(found.records).toBeGreaterThan(records);
        records = found.records;
      } finally {
        await folder.close();
      }
    }
  }, 120_000);

  it('rebuilds the indexes of a folder damaged by separate writes from its records', async () => {
    // dynalite as published, killed until its indexes disagree with the records.
    let damage: Awaited<ReturnType<typeof indexProblems>> | undefined;
    for (let kill = 0; kill < 20 && !damage?.problems.length; kill++) {
      await writeAndKill(100 + Math.random() * 400, damagedDir, 'plain');
      const folder = await openFolder(damagedDir);
      try {
        damage = await indexProblems(folder.ddb, TABLE);
      } finally {
        await folder.close();
      }
    }
    expect(damage?.problems.length, 'the published engine should have been damaged by one of 20 kills').toBeGreaterThan(0);

    const repaired = await openFolder(damagedDir, true);
    try {
      expect(repaired.repaired!.written + repaired.repaired!.deleted).toBeGreaterThan(0);
      expect(repaired.repaired!.items).toBe(damage!.records);
      const after = await indexProblems(repaired.ddb, TABLE);
      expect(after).toEqual({ records: damage!.records, problems: [] });
    } finally {
      await repaired.close();
    }
    // A consistent folder is left as it is.
    const again = await openFolder(damagedDir, true);
    try {
      expect(again.repaired).toMatchObject({ written: 0, deleted: 0 });
    } finally {
      await again.close();
    }
  }, 120_000);
});

describe('index entries of the embedded DynamoDB', () => {
  it('keeps both of two jobs due in the same millisecond whose ids dynalite hashes alike', async () => {
    // dynalite keys an index entry by the index key and 6 hex digits of md5("Outliers" + id):
    // these two ids share them (found by search), so with its own keys one entry replaced the other.
    const ids = ['00000000-0000-4000-8000-000000003373', '00000000-0000-4000-8000-000000007887'];
    const dir = makeDataDir('engine-keys-');
    const folder = await openFolder(dir);
    try {
      await ensureJobsTable(folder.ddb, TABLE);
      const settings = { stalePendingMs: 300_000, leaseGraceMs: 60_000, retentionMs: 86_400_000 };
      const store = new DynamoJobStore({ tableName: TABLE, lifecycle: settings, client: createDocumentClient(folder.ddb) });
      const now = new Date();
      for (const id of ids) {
        await store.create(createJob({ id, ownerId: 'owner', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, now, settings));
      }
      const due = await store.findDue('9999-12-31T23:59:59.999Z', 10);
      expect(due.jobs.map((job) => job.id).sort()).toEqual(ids);
      expect(new Set(due.jobs.map((job) => job.dueAt)).size).toBe(1);
      // Finishing one leaves the other due, and pages of one walk both.
      const claimed = await store.claim(ids[0]!, { runId: 'r', generation: 0, now: now.toISOString(), leaseExpiresAt: '9999-01-01T00:00:00.000Z' });
      await store.complete(ids[0]!, { runId: claimed!.runId! }, { result: { ok: true } }, now);
      expect((await store.findDue('9999-12-31T23:59:59.999Z', 10)).jobs.map((job) => job.id)).toEqual([ids[1]]);
      await store.create(createJob({ id: ids[0]!.replace(/3$/, '4'), ownerId: 'owner', type: 'AI_PREVIEW', input: {}, priority: 'normal', maxAttempts: 3 }, now, settings));
      const first = await store.findDue('9999-12-31T23:59:59.999Z', 1);
      const second = await store.findDue('9999-12-31T23:59:59.999Z', 1, first.next!);
      expect([...first.jobs, ...second.jobs].map((job) => job.id).sort()).toEqual([ids[0]!.replace(/3$/, '4'), ids[1]].sort());
      expect(await indexProblems(folder.ddb, TABLE)).toMatchObject({ records: 3, problems: [] });
    } finally {
      await folder.close();
      removeDataDir(dir);
    }
  });
});
