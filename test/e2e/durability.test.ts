/**
 * End to end, through `npm run dev`: crashes under load. A restart with a large backlog answers
 * at once and sends each unfinished job's message once; random SIGKILLs under load lose nothing,
 * leave nothing stuck, never run a finished job again, and leave the list agreeing with GET.
 * The long version, with figures, is `npx tsx bench/durability.ts`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  Client,
  issueToken,
  makeDataDir,
  nonce,
  pollUntil,
  removeDataDir,
  startDevServer,
  type DevServer,
} from '../support/dev-server.ts';
import { runLoad } from '../support/load.ts';

/**
 * These suites load the server like bench/durability.ts: with about 15 jobs of a band at once
 * (the default 10 gives normal jobs 3), as before priorities capped the local workers.
 */
const LOAD_ENV = { WORKER_MAX_CONCURRENCY: '40' };

const dirs: string[] = [];
const servers: DevServer[] = [];
afterAll(async () => {
  for (const server of servers) if (server.running()) await server.stop();
  for (const dir of dirs) removeDataDir(dir);
});

/** One user's backlog of 520 unfinished jobs is over the default quota (100): raise it. */
const BACKLOG_ENV = { MAX_ACTIVE_JOBS_PER_CALLER: '1000' };

/** Creates jobs `concurrency` at a time; returns their ids. */
async function createMany(client: Client, prompts: readonly string[], concurrency = 8): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < prompts.length; index = next++) ids.push(await client.createJob(prompts[index]!));
    }),
  );
  return ids;
}

describe('a restart with a backlog', () => {
  it('answers within 10 s after a crash with 520 unfinished jobs, and sends each of their messages once', async () => {
    const dataDir = makeDataDir('jobs-e2e-backlog-');
    dirs.push(dataDir);
    const token = await issueToken(dataDir, `backlog-${nonce()}`);
    const first = await startDevServer({ dataDir, env: { ...LOAD_ENV, ...BACKLOG_ENV } });
    servers.push(first);
    const before = new Client(first.url, token);
    // Twenty slow jobs hold every normal worker; the 500 after them wait in the queue. The slow calls
    // outlast creating the 500 (seconds; tens of seconds on a loaded machine): no job may finish
    // between the list below and the kill.
    const tag = nonce();
    const slow = await createMany(before, Array.from({ length: 20 }, (_, n) => `slow ${n} ${tag} [[delay:30000]]`));
    const waiting = await createMany(before, Array.from({ length: 500 }, (_, n) => `waiting ${n} ${tag}`));
    const unfinished = (await before.allJobs()).filter((job) => job.status === 'PENDING' || job.status === 'PROCESSING');
    expect(unfinished.length).toBeGreaterThanOrEqual(500);
    await first.kill();

    const killedAt = Date.now();
    const second = await startDevServer({ dataDir, env: { ...LOAD_ENV, ...BACKLOG_ENV } });
    servers.push(second);
    const after = new Client(second.url, token);
    expect((await after.get(waiting[0]!)).status).toBe(200);
    expect(Date.now() - killedAt).toBeLessThan(10_000);

    // One message per unfinished job: every PENDING one re-sent, every PROCESSING one requeued.
    const line = await pollUntil(
      async () => /recovered (\d+) unfinished jobs from the last run in [\d.]+ s: (\d+) re-sent, (\d+) kept scheduled, (\d+) requeued, (\d+) failed, (\d+) moved on/.exec(second.stderr()),
      (match) => match !== null,
      { timeoutMs: 30_000, what: 'the recovery line' },
    );
    const [, backlog, resent, scheduled, requeued, failed, movedOn] = line!.map(Number);
    expect(backlog).toBe(unfinished.length);
    expect(resent! + requeued!).toBe(unfinished.length);
    expect(requeued).toBe(unfinished.filter((job) => job.status === 'PROCESSING').length);
    expect([scheduled, failed, movedOn]).toEqual([0, 0, 0]);

    // The slow jobs have done their part: cancelled now, they hold a worker's batch (which waits
    // for its slowest message, as in AWS) only if a worker took one before the cancel.
    for (const id of slow) expect([200, 409]).toContain((await after.cancel(id)).status);

    // Every waiting job runs once: one attempt, COMPLETED. A job created now runs after the
    // backlog (the queue is first in, first out), not minutes later behind duplicates.
    const fresh = await after.createJob(`created after the restart ${tag}`);
    const done = await pollUntil(
      () => after.allJobs(),
      (jobs) => [...waiting, fresh].every((id) => jobs.find((job) => job.id === id)?.status === 'COMPLETED'),
      { timeoutMs: 120_000, intervalMs: 1000, what: 'the 500 waiting jobs and the new one to complete' },
    );
    for (const id of waiting) expect(done.find((job) => job.id === id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    await second.stop();
  }, 200_000);
});

describe('SIGKILLs at random moments under load', () => {
  it('lose no job, leave none stuck, never run a finished job again, and keep list and GET agreeing', async () => {
    const dataDir = makeDataDir('jobs-e2e-load-');
    dirs.push(dataDir);
    // A new seed each run (kill moments, fault mix); a failure names it: pass it to bench/durability.ts --seed.
    const seed = Date.now() % 100_000;
    const report = await runLoad({
      dataDir,
      jobs: 240,
      kills: 3,
      cancels: 10,
      retries: 5,
      seed,
      minKillDelayMs: 1500,
      maxKillDelayMs: 4000,
      settleTimeoutMs: 90_000,
      readyTimeoutMs: 30_000,
      env: LOAD_ENV,
    });
    const summary = `seed ${seed}: ${JSON.stringify({ ...report, disagreements: report.disagreements.slice(0, 5) })}`;
    expect(report.restarts, summary).toHaveLength(3);
    for (const restart of report.restarts) expect(restart.readyMs, summary).toBeLessThan(10_000);
    expect(report.acknowledged).toBe(240);
    expect(report.lost, summary).toEqual([]);
    expect(report.stuck, summary).toEqual([]);
    expect(report.reruns, summary).toEqual([]);
    expect(report.disagreements, summary).toEqual([]);
    expect(report.serverErrors, summary).toEqual([]);
    const finished = (report.statuses.COMPLETED ?? 0) + (report.statuses.FAILED ?? 0) + (report.statuses.CANCELLED ?? 0);
    expect(finished).toBeGreaterThanOrEqual(240);
  }, 240_000);
});
