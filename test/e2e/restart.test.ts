/**
 * End to end, through `npm run dev` over HTTP: the dev server stopped in the middle of work — a
 * crash (SIGKILL) and a graceful stop (SIGTERM) — and started again on the same data folder.
 * On start it settles every unfinished job (PENDING re-sent, PROCESSING counted as a lost
 * attempt), so every job still ends COMPLETED; stored jobs and signing keys survive.
 */
import { describe, expect, it } from 'vitest';
import { nonce, pollUntil, startDevServer } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const BATCH = 8;
/** Long enough that the attempts seen PROCESSING are still running when the server goes down. */
const DELAY_MS = 2500;
/** A one-second retry backoff, so a job waiting for its next attempt can be seen. */
const ENV = { RETRY_BASE_DELAY_SECONDS: '1' };

/** Signed in before the first start, and across every restart. */
const USER = `restarter-${nonce()}`;
const dev = useDevServer({ users: [USER], env: ENV });
const client = () => dev.client(USER);

/** Creates the batch (distinct prompts) and waits until at least one job is PROCESSING. */
async function startBatch(label: string): Promise<string[]> {
  const user = client();
  const ids: string[] = [];
  for (let index = 0; index < BATCH; index++) {
    ids.push(await user.createJob(`${label} job ${index} ${nonce()} [[delay:${DELAY_MS}]]`));
  }
  await pollUntil(
    () => user.allJobs(),
    (jobs) => jobs.some((job) => ids.includes(job.id) && job.status === 'PROCESSING'),
    { timeoutMs: 15_000, what: `one of the ${label} jobs to be PROCESSING` },
  );
  return ids;
}

/** Waits until every job of the batch is finished and returns them by id. */
async function finishedBatch(ids: readonly string[]): Promise<Map<string, any>> {
  const user = client();
  const jobs = await pollUntil(
    () => user.allJobs(),
    (all) => ids.every((id) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(all.find((job) => job.id === id)?.status)),
    { timeoutMs: 40_000, what: 'every job of the batch to finish after the restart' },
  );
  return new Map(jobs.filter((job) => ids.includes(job.id)).map((job) => [job.id, job]));
}

async function restart(): Promise<void> {
  await dev.restart();
}

describe('between attempts', () => {
  it('a throttled job waits PENDING with the last error, then its next attempt completes it', async () => {
    const user = client();
    const id = await user.createJob(`throttled once ${nonce()} [[fail:ThrottlingException:1]]`);
    const waiting = await user.waitFor(id, (job) => job.status === 'PENDING' && job.error !== null, 'to wait for its next attempt');
    expect(waiting).toMatchObject({ attempts: 1, progress: null, result: null, completedAt: null });
    expect(waiting.error).toMatch(/ThrottlingException/);

    const job = await user.waitForFinish(id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 2, error: null });
  });
});

describe('a second dev server on the same data folder', () => {
  it('fails to start, and the running one keeps working', async () => {
    const user = client();
    const id = await user.createJob(`before the second server ${nonce()}`);
    await expect(startDevServer({ dataDir: dev.dataDir, env: ENV })).rejects.toThrow(/exited \(code [1-9]/);
    expect(dev.server.running()).toBe(true);
    expect((await user.waitForFinish(id)).status).toBe('COMPLETED');
    expect((await user.list()).status).toBe(200);
  }, 60_000);
});

describe('restarting the dev server on the same data folder', () => {
  it('after a crash (SIGKILL) mid-batch, every job ends COMPLETED, and jobs and tokens survive', async () => {
    const before = client();
    const earlier = await before.createJob(`finished before the crash ${nonce()}`);
    const earlierRecord = await before.waitForFinish(earlier);
    expect(earlierRecord.status).toBe('COMPLETED');
    const existing = (await before.allJobs()).map((job) => job.id);
    expect(existing).toContain(earlier);

    const ids = await startBatch('crash');
    const killedAt = Date.now();
    const exit = await dev.server.kill();
    expect(exit.signal).toBe('SIGKILL');

    await restart();
    // Recovery settles the backlog in the background once the API is up, and says so.
    await pollUntil(async () => dev.server.stderr(), (text) => /recovered \d+ unfinished jobs from the last run/.test(text), {
      what: 'the recovery line',
    });
    expect(dev.server.stdout().trimEnd().split('\n')).toHaveLength(1);

    // The token from before the restart still works (the signing key is kept), and the jobs are there.
    const after = client();
    expect(await after.job(earlier)).toEqual(earlierRecord);
    for (const id of ids) expect((await after.get(id)).status).toBe(200);

    const jobs = await finishedBatch(ids);
    expect(jobs.size).toBe(BATCH);
    let interrupted = 0;
    for (const id of ids) {
      const job = jobs.get(id);
      expect(job, id).toMatchObject({ status: 'COMPLETED', error: null, progress: null });
      expect(job.attempts, id).toBeGreaterThanOrEqual(1);
      expect(job.attempts, id).toBeLessThanOrEqual(3);
      expect(job.result.output, id).toMatch(/^\[Bedrock stand-in/);
      // A job whose first attempt started before the crash and that finished after it lost that
      // attempt: the restart counts it, so it took at least two.
      if (Date.parse(job.startedAt) < killedAt && Date.parse(job.completedAt) > killedAt) {
        interrupted++;
        expect(job.attempts, `attempts of ${id}, interrupted by the crash`).toBeGreaterThanOrEqual(2);
      }
    }
    expect(interrupted).toBeGreaterThanOrEqual(1);

    // Nothing lost, nothing extra: the user's jobs are exactly these.
    const all = await after.allJobs();
    expect(all.map((job) => job.id).sort()).toEqual([...existing, ...ids].sort());
  }, 90_000);

  it('after a graceful stop (SIGTERM) mid-batch, the server exits 0 and every job ends COMPLETED', async () => {
    if (!dev.server.running()) await restart(); // the previous test failed half-way
    const ids = await startBatch('graceful');
    const earlier = (await client().allJobs()).filter((job) => !ids.includes(job.id));

    const stopped = await dev.server.stop(15_000);
    expect(stopped.forced, `the server ignored SIGTERM for ${stopped.ms} ms`).toBe(false);
    expect(stopped.code).toBe(0);
    expect(dev.server.stderr()).toMatch(/stopping…/);

    await restart();
    const jobs = await finishedBatch(ids);
    for (const id of ids) {
      const job = jobs.get(id);
      expect(job, id).toMatchObject({ status: 'COMPLETED', error: null });
      expect(job.attempts, id).toBeGreaterThanOrEqual(1);
      expect(job.attempts, id).toBeLessThanOrEqual(3);
    }

    // The jobs of the first test are still there, unchanged.
    const all = await client().allJobs();
    expect(all.length).toBe(earlier.length + BATCH);
    for (const job of earlier) expect(all.find((candidate) => candidate.id === job.id)).toEqual(job);
  }, 90_000);
});
