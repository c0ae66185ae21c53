/**
 * End to end, through `npm run dev` over HTTP: a job's life from create to its outcome, with the
 * Bedrock stand-in's fault directives driving throttling, validation errors and slow calls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ISO, UUID, nonce, pollUntil, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

const JOB_FIELDS = [
  'id',
  'type',
  'status',
  'result',
  'error',
  'attempts',
  'maxAttempts',
  'progress',
  'createdAt',
  'startedAt',
  'completedAt',
  'updatedAt',
  'priority',
  'fromCache',
  'scheduledAt',
  'timings',
  'workspaceId',
  'createdBy',
].sort();
const MODEL_ID = 'amazon.nova-lite-v1:0';
const LABEL = `[Bedrock stand-in · ${MODEL_ID}] `;

const ALICE = `alice-${nonce()}`;
// Retries at once, so that three attempts take well under a second of backoff.
const dev = useDevServer({ users: [ALICE], env: { RETRY_BASE_DELAY_SECONDS: '0' } });
let alice: Client;
beforeAll(() => {
  alice = dev.client(ALICE);
});

function expectIso(value: unknown): number {
  expect(value).toMatch(ISO);
  expect(new Date(value as string).toISOString()).toBe(value);
  return Date.parse(value as string);
}

describe('a job through the local API', () => {
  it('is accepted with 202, Location and Retry-After, and polls to COMPLETED with exactly the record fields', async () => {
    const prompt = `List three risks of a late harvest ${nonce()}`;
    const created = await alice.create({ prompt, maxTokens: 300 });

    expect(created.status).toBe(202);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    const id: string = created.json.id;
    expect(id).toMatch(UUID);
    expect(created.headers.get('location')).toBe(`/api/jobs/${id}`);
    expect(created.headers.get('retry-after')).toBe('3');
    expect(Object.keys(created.json).sort()).toEqual(JOB_FIELDS);
    expect(created.json).toMatchObject({
      id,
      type: 'AI_PREVIEW',
      status: 'PENDING',
      result: null,
      error: null,
      attempts: 0,
      maxAttempts: 3,
      progress: null,
      startedAt: null,
      completedAt: null,
    });
    expectIso(created.json.createdAt);

    // The Location header is where to poll.
    const job = await pollUntil(
      async () => (await alice.call(created.headers.get('location')!)).json,
      (record) => record?.status === 'COMPLETED' || record?.status === 'FAILED',
      { timeoutMs: 20_000, what: `job ${id} to finish` },
    );

    expect(Object.keys(job).sort()).toEqual(JOB_FIELDS);
    expect(job).toMatchObject({
      id,
      type: 'AI_PREVIEW',
      status: 'COMPLETED',
      error: null,
      attempts: 1,
      maxAttempts: 3,
      progress: null,
      createdAt: created.json.createdAt,
    });
    expect(Object.keys(job.result).sort()).toEqual(['latencyMs', 'model', 'output', 'stopReason', 'usage']);
    expect(job.result.output.startsWith(LABEL)).toBe(true);
    expect(job.result.output).toContain('List three risks of a late harvest');
    expect(job.result.model).toBe(MODEL_ID);
    expect(job.result.stopReason).toBe('end_turn');
    expect(job.result.usage).toEqual({ inputTokens: prompt.split(/\s+/).length, outputTokens: expect.any(Number) });
    expect(job.result.usage.outputTokens).toBeGreaterThan(0);
    expect(Number.isInteger(job.result.latencyMs) && job.result.latencyMs >= 0).toBe(true);

    const createdAt = expectIso(job.createdAt);
    const startedAt = expectIso(job.startedAt);
    const completedAt = expectIso(job.completedAt);
    const updatedAt = expectIso(job.updatedAt);
    expect(createdAt).toBeLessThanOrEqual(startedAt);
    expect(startedAt).toBeLessThanOrEqual(completedAt);
    expect(completedAt).toBeLessThanOrEqual(updatedAt);

    const result = await alice.result(id);
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ id, status: 'COMPLETED', result: job.result });

    // A finished job can be neither cancelled nor retried.
    for (const action of [alice.cancel(id), alice.retry(id)]) {
      const refused = await action;
      expect(refused.status).toBe(409);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.json).toMatchObject({ status: 409, code: 'INVALID_TRANSITION', currentStatus: 'COMPLETED' });
    }
    expect((await alice.job(id)).status).toBe('COMPLETED');
  });

  it('[[fail:ThrottlingException:2]]: two throttled attempts are retried and the third completes', async () => {
    const id = await alice.createJob(`Throttled twice ${nonce()} [[fail:ThrottlingException:2]]`);
    const job = await alice.waitForFinish(id);

    expect(job.status).toBe('COMPLETED');
    expect(job.attempts).toBe(3);
    expect(job.error).toBeNull();
    expect(job.result.output.startsWith(LABEL)).toBe(true);
    expect((await alice.result(id)).status).toBe(200);
  });

  it('[[fail:ThrottlingException:5]]: throttled on every attempt, it ends FAILED after 3 attempts', async () => {
    const id = await alice.createJob(`Throttled five times ${nonce()} [[fail:ThrottlingException:5]]`);
    const job = await alice.waitForFinish(id);

    expect(job.status).toBe('FAILED');
    expect(job.attempts).toBe(3);
    expect(job.maxAttempts).toBe(3);
    expect(job.error).toMatch(/ThrottlingException/);
    expect(job.result).toBeNull();
    expect(job.progress).toBeNull();
    expect(Date.parse(job.completedAt)).toBeGreaterThanOrEqual(Date.parse(job.startedAt));

    const result = await alice.result(id);
    expect(result.status).toBe(409);
    expect(result.json).toMatchObject({ code: 'JOB_NOT_COMPLETED', currentStatus: 'FAILED' });
  });

  it('[[fail:ValidationException]]: a non-retryable error fails the job after one attempt', async () => {
    const id = await alice.createJob(`Rejected by the model ${nonce()} [[fail:ValidationException]]`);
    const job = await alice.waitForFinish(id);

    expect(job.status).toBe('FAILED');
    expect(job.attempts).toBe(1);
    expect(job.error).toMatch(/^Bedrock API error: ValidationException - /);
    expect(job.result).toBeNull();
  });

  it('shows progress { percent, message } while PROCESSING, and none once COMPLETED', async () => {
    const id = await alice.createJob(`Slow enough to watch ${nonce()} [[delay:2000]]`);

    const processing = await alice.waitFor(id, (job) => job.status === 'PROCESSING' && job.progress !== null, 'to report progress');
    expect(Object.keys(processing.progress).sort()).toEqual(['message', 'percent']);
    expect(processing.progress.percent).toBeGreaterThanOrEqual(0);
    expect(processing.progress.percent).toBeLessThanOrEqual(100);
    expect(typeof processing.progress.message).toBe('string');
    expect(processing.progress.message.length).toBeGreaterThan(0);
    expect(processing.attempts).toBe(1);
    expectIso(processing.startedAt);
    expect(processing.completedAt).toBeNull();

    const done = await alice.waitForFinish(id);
    expect(done.status).toBe('COMPLETED');
    expect(done.progress).toBeNull();
  });

  it('cancels a job while PROCESSING, and it stays CANCELLED after the model would have answered', async () => {
    const delayMs = 4000;
    const id = await alice.createJob(`Cancel me mid-call ${nonce()} [[delay:${delayMs}]]`);

    // Progress is reported just before the model call, so the call is under way from here on.
    await alice.waitFor(id, (job) => job.status === 'PROCESSING' && job.progress !== null, 'to be processing');
    const callStartedBy = Date.now();

    const cancelled = await alice.cancel(id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ id, status: 'CANCELLED', result: null, progress: null, attempts: 1 });
    expectIso(cancelled.json.completedAt);

    // Keep reading until well after the stand-in has answered the attempt's call.
    const reads: string[] = [];
    await pollUntil(
      async () => {
        const job = await alice.job(id);
        reads.push(job.status);
        expect(job).toMatchObject({ status: 'CANCELLED', result: null, progress: null, completedAt: cancelled.json.completedAt });
        return Date.now();
      },
      (now) => now > callStartedBy + delayMs + 2500,
      { timeoutMs: delayMs + 10_000, what: 'the slow call to be over' },
    );
    expect(reads.length).toBeGreaterThan(5);

    const again = await alice.cancel(id);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'INVALID_TRANSITION', currentStatus: 'CANCELLED' });
    const result = await alice.result(id);
    expect(result.status).toBe(409);
    expect(result.json).toMatchObject({ code: 'JOB_NOT_COMPLETED', currentStatus: 'CANCELLED' });
  }, 30_000);

  it('retries a FAILED job: 202 PENDING with attempts reset, then it runs again to COMPLETED', async () => {
    // Three throttled calls exhaust the first run; the fourth call (the retry's) succeeds.
    const id = await alice.createJob(`Fails a whole run ${nonce()} [[fail:ThrottlingException:3]]`);
    const failed = await alice.waitForFinish(id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(failed.error).toMatch(/ThrottlingException/);

    const retried = await alice.retry(id);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('location')).toBe(`/api/jobs/${id}`);
    expect(retried.headers.get('retry-after')).toBe('3');
    expect(retried.json).toMatchObject({
      id,
      status: 'PENDING',
      attempts: 0,
      result: null,
      error: null,
      progress: null,
      startedAt: null,
      completedAt: null,
      createdAt: failed.createdAt,
    });

    const job = await alice.waitForFinish(id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1, error: null });
    expect(Date.parse(job.startedAt)).toBeGreaterThanOrEqual(Date.parse(retried.json.updatedAt));
    expect(job.result.output.startsWith(LABEL)).toBe(true);
  });

  it('retries a CANCELLED job, and the cancelled attempt cannot overwrite the new run', async () => {
    const delayMs = 2500;
    const id = await alice.createJob(`Cancel then retry ${nonce()} [[delay:${delayMs}]]`);
    await alice.waitFor(id, (job) => job.status === 'PROCESSING' && job.progress !== null, 'to be processing');

    expect((await alice.cancel(id)).status).toBe(200);
    const retried = await alice.retry(id);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ status: 'PENDING', attempts: 0 });

    const job = await alice.waitForFinish(id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1, error: null });
    // The new run started after the retry and took the full delay: the result is its own, not
    // the abandoned attempt's (which would have finished about delayMs after the first start).
    const newStart = Date.parse(job.startedAt);
    expect(newStart).toBeGreaterThanOrEqual(Date.parse(retried.json.updatedAt));
    expect(Date.parse(job.completedAt) - newStart).toBeGreaterThanOrEqual(delayMs - 50);
  }, 30_000);
});
