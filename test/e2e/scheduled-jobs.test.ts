/**
 * End to end, through `npm run dev` over HTTP: scheduled jobs (within the queue's delay, and
 * beyond it: this server is started with SCHEDULE_HORIZON_SECONDS=4 and a reconciler every
 * second, so "beyond 15 minutes" takes seconds), across a restart, cancelled before their
 * time; and the cheaper polls: Retry-After, ETag / 304, /status.
 */
import { describe, expect, it } from 'vitest';
import { call, nonce } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const USER = `scheduler-${nonce()}`;
const HORIZON_SECONDS = 4;
const dev = useDevServer({ users: [USER], env: { SCHEDULE_HORIZON_SECONDS: String(HORIZON_SECONDS), RECONCILE_INTERVAL_SECONDS: '1' } });
const client = () => dev.client(USER);

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

/** Creates an AI_PREVIEW job to run at `runAt`; returns its id after checking the 202. */
async function schedule(prompt: string, runAt: string): Promise<string> {
  const answer = await client().call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: `${prompt} ${nonce()}` }, runAt } });
  expect(answer.status, answer.text).toBe(202);
  expect(answer.json).toMatchObject({ status: 'PENDING', scheduledAt: runAt });
  return answer.json.id as string;
}

/** How long after its scheduled time the job started (ms); fails if it started before. */
function lateness(job: { scheduledAt: string; startedAt: string }): number {
  const late = Date.parse(job.startedAt) - Date.parse(job.scheduledAt);
  expect(late, `started ${job.startedAt}, scheduled ${job.scheduledAt}`).toBeGreaterThanOrEqual(0);
  return late;
}

describe('a scheduled job in npm run dev', () => {
  it('within the queue delay: PENDING until its time, polled with Retry-After until it starts, then started soon after it', async () => {
    const runAt = inSeconds(3);
    const id = await schedule('in three seconds', runAt);
    const early = await client().get(id);
    expect(early.json.status).toBe('PENDING');
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(early.headers.get('retry-after'))).toBeLessThanOrEqual(3);
    const job = await client().waitForFinish(id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(lateness(job)).toBeLessThan(3_000);
    expect(job.timings.queuedMs).toBe(lateness(job));
  });

  it('beyond the queue delay: sent by the reconciler, started on time', async () => {
    const runAt = inSeconds(HORIZON_SECONDS + 6);
    const id = await schedule('beyond the horizon', runAt);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await client().job(id)).status).toBe('PENDING');
    const job = await client().waitForFinish(id, 30_000);
    expect(job.status).toBe('COMPLETED');
    expect(lateness(job)).toBeLessThan(3_000);
  });

  it('cancelled before its time: stays CANCELLED and never runs', async () => {
    const id = await schedule('cancel me', inSeconds(2));
    expect((await client().cancel(id)).json).toMatchObject({ status: 'CANCELLED' });
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    expect(await client().job(id)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null });
  });

  it('survives a restart of npm run dev before its time and starts on time after it', async () => {
    const far = await schedule('across a restart', inSeconds(HORIZON_SECONDS + 14));
    const near = await schedule('near across a restart', inSeconds(HORIZON_SECONDS));
    await dev.server.stop();
    await dev.restart();
    const nearJob = await client().waitForFinish(near, 30_000);
    expect(nearJob.status).toBe('COMPLETED');
    lateness(nearJob);
    const farJob = await client().job(far);
    expect(farJob.status, 'the far job must not run at once after the restart').toBe('PENDING');
    const finished = await client().waitForFinish(far, 40_000);
    expect(finished.status).toBe('COMPLETED');
    expect(lateness(finished)).toBeLessThan(3_000);
  }, 90_000);
});

describe('cheaper polls over HTTP', () => {
  it('/status: { id, status, progress, updatedAt }, an ETag, 304 with it (no body, CORS kept), 200 once the job changed', async () => {
    const id = await schedule('poll me', inSeconds(2));
    const first = await client().call(`/api/jobs/${id}/status`, { headers: { Origin: 'https://app.example.com' } });
    expect(first.status).toBe(200);
    expect(Object.keys(first.json).sort()).toEqual(['id', 'progress', 'status', 'updatedAt']);
    expect(first.json).toMatchObject({ id, status: 'PENDING', progress: null });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);

    const same = await client().call(`/api/jobs/${id}/status`, { headers: { 'If-None-Match': etag, Origin: 'https://app.example.com' } });
    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('access-control-allow-origin')).toBe('*');
    expect(same.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(Number(same.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    await client().waitForFinish(id);
    const changed = await client().call(`/api/jobs/${id}/status`, { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.json.status).toBe('COMPLETED');
    expect(changed.headers.get('retry-after')).toBeNull();

    const full = await client().get(id);
    expect((await client().call(`/api/jobs/${id}`, { headers: { 'If-None-Match': full.headers.get('etag')! } })).status).toBe(304);
  });

  it('lets a browser send If-None-Match (the preflight allows it)', async () => {
    const preflight = await call(dev.server.url, '/api/jobs/00000000-0000-4000-8000-000000000000/status', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,if-none-match' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('If-None-Match');
  });

  it('refuses a runAt in the past with a 422 problem', async () => {
    const answer = await client().call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: 'x' }, runAt: inSeconds(-60) } });
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'runAt' }] });
  });
});
