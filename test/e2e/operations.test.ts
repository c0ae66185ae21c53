/**
 * End to end, through `npm run dev` with WORKER_MAX_CONCURRENCY=8 (one server for both):
 * - the Bedrock cap: a burst of slow jobs in every priority band never has more than 8 model calls
 *   in flight at the Bedrock stand-in, and reaches 8 (the figure is the stand-in's own, read from
 *   its loopback `GET /__stand-in/stats`; its URL is in the runtime state file the dev server
 *   writes into its data folder);
 * - the operator command, `npm run ops` (bin/ops.ts) run as a user would against that server:
 *   its list filters, a dry run that changes nothing, a redrive that makes FAILED jobs complete.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, childEnv, nonce, pollUntil, PROJECT_ROOT, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';
import { runOps } from '../../lib/ops/command.ts';

const CAP = 8;
const USER = `burster-${nonce()}`;
const dev = useDevServer({ users: [USER], env: { WORKER_MAX_CONCURRENCY: String(CAP) } });
let client: Client;
let standIn: string;
beforeAll(() => {
  client = dev.client(USER);
  const state = JSON.parse(readFileSync(path.join(dev.dataDir, 'runtime.json'), 'utf8')) as { bedrockUrl: string; bedrockStandIn: boolean };
  expect(state.bedrockStandIn).toBe(true);
  standIn = state.bedrockUrl;
});

/** Jobs per priority band: five for each of the band's 2 workers. */
const PER_BAND = 10;
const CALL_MS = 1_200;

describe('the Bedrock cap', () => {
  let stats: { calls: number; inFlight: number; maxInFlight: number };

  beforeAll(async () => {
    const reset = await call(standIn, '/__stand-in/stats', { method: 'DELETE' });
    expect(reset.json).toMatchObject({ inFlight: 0, maxInFlight: 0 });
    const tag = nonce();
    const work = ['low', 'normal', 'high', 'urgent'].flatMap((priority) =>
      Array.from({ length: PER_BAND }, (_, n) => ({ priority, prompt: `burst ${priority} ${n} ${tag} [[delay:${CALL_MS}]]` })),
    );
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = work.shift(); next; next = work.shift()) {
          const answer = await client.call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: next.prompt }, priority: next.priority } });
          if (answer.status !== 202) throw new Error(`create answered ${answer.status}: ${answer.text}`);
          ids.push(answer.json.id as string);
        }
      }),
    );
    await pollUntil(
      () => client.allJobs(),
      (jobs) => jobs.length === ids.length && jobs.every((job) => job.status === 'COMPLETED'),
      { timeoutMs: 60_000, intervalMs: 500, what: `the ${ids.length} burst jobs to complete` },
    );
    stats = (await call(standIn, '/__stand-in/stats')).json;
  }, 90_000);

  it('served every job with one model call', () => {
    expect(stats.calls).toBeGreaterThanOrEqual(4 * PER_BAND);
    expect(stats.inFlight).toBe(0);
  });

  it(`never had more than WORKER_MAX_CONCURRENCY (${CAP}) model calls in flight at once`, () => {
    expect(stats.maxInFlight).toBeLessThanOrEqual(CAP);
  });

  it('reached the cap during the burst (every band busy at once)', () => {
    expect(stats.maxInFlight).toBe(CAP);
  });
});

/**
 * The operator command's `runOps(argv)` (what bin/ops.ts runs) in this process, with `--data <the
 * server's folder> --json`: a process start per call would cost seconds; one test runs bin/ops.ts.
 */
async function ops(...args: string[]): Promise<{ code: number; json: any; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runOps([...args, '--data', dev.dataDir, '--json'], childEnv(), { out: (text) => (stdout += text), err: (text) => (stderr += text) });
  return { code, json: stdout ? JSON.parse(stdout) : undefined, stderr };
}

/** `node --import tsx bin/ops.ts <args> --data <folder>`, as `npm run ops --` runs it. */
function opsProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bin/ops.ts', ...args, '--data', dev.dataDir],
      { cwd: PROJECT_ROOT, env: childEnv(), timeout: 30_000, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the operator command against npm run dev', () => {
  const failed: string[] = [];
  let before: string;
  let after: string;

  beforeAll(async () => {
    before = new Date().toISOString();
    const tag = nonce();
    // ValidationException is not retried: each job ends FAILED after its first call; the second call answers.
    for (let n = 0; n < 3; n++) failed.push(await client.createJob(`ops ${n} ${tag} [[fail:ValidationException:1]]`));
    for (const id of failed) await client.waitFor(id, (job) => job.status === 'FAILED', 'to fail');
    after = new Date(Date.now() + 1000).toISOString();
  }, 60_000);

  it('prints one line per FAILED job from bin/ops.ts, and the count', async () => {
    const listed = await opsProcess('list', '--type', 'AI_PREVIEW', '--since', before, '--until', after);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('3 FAILED job(s)');
    for (const id of failed) expect(lines.filter((line) => line.includes(id))).toEqual([expect.stringMatching(/AI_PREVIEW {2}owner=\S+ {2}run=0 {2}attempts=1\/3 {2}Bedrock API error: ValidationException/)]);
  });

  it('lists the FAILED jobs of the type and window, with owner, attempts and error', async () => {
    const listed = await ops('list', '--type', 'AI_PREVIEW', '--since', before, '--until', after);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain('npm run dev on');
    expect(listed.json.jobs.map((job: any) => job.id).sort()).toEqual([...failed].sort());
    expect(listed.json.jobs[0]).toMatchObject({ type: 'AI_PREVIEW', attempts: 1, deadLettered: false, error: expect.stringContaining('ValidationException') });
    expect(listed.json.jobs[0].ownerId).toEqual(expect.any(String));
  });

  it('filters by type, by time and by dead-lettering', async () => {
    expect((await ops('list', '--type', 'PARSE_DOCUMENT', '--since', before)).json.jobs).toEqual([]);
    expect((await ops('list', '--type', 'AI_PREVIEW', '--since', '2000-01-01T00:00:00Z', '--until', before)).json.jobs.map((job: any) => job.id)).not.toEqual(
      expect.arrayContaining([failed[0]]),
    );
    expect((await ops('list', '--since', before, '--dead-lettered')).json.jobs).toEqual([]);
    const limited = await ops('list', '--since', before, '--limit', '2');
    expect(limited.json).toMatchObject({ more: true });
    expect(limited.json.jobs).toHaveLength(2);
  });

  it('refuses a bad option with the usage (exit 2)', async () => {
    const refused = await ops('list', '--since', 'yesterday');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--since must be an ISO 8601 time');
  });

  it('redrives with --dry-run: says what it would do and changes nothing', async () => {
    const dry = await ops('redrive', '--type', 'AI_PREVIEW', '--since', before, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.json.results).toHaveLength(3);
    expect(dry.json.results.every((result: any) => result.outcome === 'would-redrive')).toBe(true);
    for (const id of failed) expect(await client.job(id)).toMatchObject({ status: 'FAILED', attempts: 1 });
  });

  it('redrives the FAILED jobs: each says so, runs again from attempt 1 and completes', async () => {
    const done = await ops('redrive', '--type', 'AI_PREVIEW', '--since', before);
    expect(done.code).toBe(0);
    expect(done.json.results.map((result: any) => [result.id, result.outcome]).sort()).toEqual([...failed].sort().map((id) => [id, 'redriven']));
    for (const id of failed) {
      expect(await client.waitForFinish(id)).toMatchObject({ status: 'COMPLETED', attempts: 1, error: null });
    }
    // Out of the failed jobs now; redriving them by id again skips them.
    expect((await ops('list', '--since', before)).json.jobs).toEqual([]);
    const again = await ops('redrive', '--id', failed[0]!);
    expect(again.json.results).toEqual([expect.objectContaining({ id: failed[0], outcome: 'skipped' })]);
  });
});
