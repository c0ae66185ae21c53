/**
 * A job type's own limit of unfinished jobs per caller, on top of the caller's overall quota,
 * through the create and retry use cases on the in-memory store; and how the limits are declared
 * (the type's definition) and configured (the variable the functions read).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, TooManyJobsError } from '../../../lambdas/domain/errors.ts';
import { defineJobType, typeQuotaLimits } from '../../../lambdas/domain/job-types.ts';
import type { Job } from '../../../lambdas/domain/job.ts';
import { JOB_TYPE_DEFINITIONS, jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { quotaSettings } from '../../../lambdas/shared/config.ts';
import { ENV } from '../../../lambdas/shared/resources.ts';
import { CreateJob } from '../../../lambdas/use-cases/create-job.ts';
import { RetryJob } from '../../../lambdas/use-cases/retry-job.ts';
import { memoryFakes, silentLogger, testLifecycle } from '../../support/fakes.ts';

let { store, queue, payloads, clock } = memoryFakes();
let create: CreateJob;
let retry: RetryJob;
const QUOTA = 5;
const PARSE_LIMIT = 2;

beforeEach(() => {
  ({ store, queue, payloads, clock } = memoryFakes());
  const quota = { maxActiveJobsPerCaller: QUOTA, maxActiveJobsPerCallerByType: { PARSE_DOCUMENT: PARSE_LIMIT } };
  create = new CreateJob({ store, queue, payloads, types: jobTypeCatalog, settings: testLifecycle, quota, logger: silentLogger, clock: clock.read });
  retry = new RetryJob({ store, queue, quota, logger: silentLogger, clock: clock.read });
});

const preview = (prompt = 'Summarise the risks') => ({ type: 'AI_PREVIEW', input: { prompt } });
const parse = (text = 'The harvest starts in late September.') => ({ type: 'PARSE_DOCUMENT', input: { text } });

async function parsesAtLimit(owner = 'user-a'): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let n = 0; n < PARSE_LIMIT; n++) jobs.push(await create.create(owner, parse(`text ${n}`)));
  return jobs;
}

describe("a job type's own limit of unfinished jobs", () => {
  it('refuses a create of the type at its limit with TooManyJobsError naming the type, and writes nothing', async () => {
    await parsesAtLimit();
    const writes = store.writes;
    const objects = payloads.objects.size;
    queue.sent.length = 0;

    const error = await create.create('user-a', parse('x'.repeat(5000))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TooManyJobsError);
    expect(error).toMatchObject({ limit: PARSE_LIMIT, jobType: 'PARSE_DOCUMENT', retryAfterSeconds: expect.any(Number) });
    expect((error as Error).message).toMatch(/PARSE_DOCUMENT/);
    expect(store.writes).toBe(writes);
    expect(payloads.objects.size).toBe(objects);
    expect(queue.sent).toEqual([]);
  });

  it('still accepts another type, and the type from another caller', async () => {
    await parsesAtLimit();
    await expect(create.create('user-a', preview())).resolves.toMatchObject({ status: 'PENDING', type: 'AI_PREVIEW' });
    await expect(create.create('user-b', parse())).resolves.toMatchObject({ status: 'PENDING', type: 'PARSE_DOCUMENT' });
  });

  it('counts only unfinished jobs of the type: a finished one frees a place', async () => {
    const [first] = await parsesAtLimit();
    store.arrange(first!.id, { status: 'CANCELLED', dueAt: null });
    await expect(create.create('user-a', parse('again'))).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('keeps the overall quota: reached with other types, it is the one reported (no type)', async () => {
    await create.create('user-a', parse());
    for (let n = 1; n < QUOTA; n++) await create.create('user-a', preview(`prompt ${n}`));

    const error = await create.create('user-a', parse('one more')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TooManyJobsError);
    expect(error).toMatchObject({ limit: QUOTA, jobType: undefined });
  });

  it('leaves a type without a limit to the overall quota', async () => {
    for (let n = 0; n < QUOTA - 1; n++) await create.create('user-a', preview(`prompt ${n}`));
    await expect(create.create('user-a', preview('the last place'))).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('refuses a retry of the type at its limit (with or without a key) and leaves the job as it was', async () => {
    const [failed] = await parsesAtLimit();
    store.arrange(failed!.id, { status: 'FAILED', dueAt: null });
    await create.create('user-a', parse('takes the place back'));

    const plain = await retry.retry('user-a', failed!.id).catch((e: unknown) => e);
    const keyed = await retry.retryWith('user-a', failed!.id, { idempotencyKey: 'r-1' }).catch((e: unknown) => e);

    expect(plain).toMatchObject({ limit: PARSE_LIMIT, jobType: 'PARSE_DOCUMENT' });
    expect(keyed).toBeInstanceOf(TooManyJobsError);
    expect(store.jobs.get(failed!.id)).toMatchObject({ status: 'FAILED', generation: 0 });
    expect(store.idempotencyRecords.size).toBe(0);
  });

  it('retries a job of another type while this one is at its limit', async () => {
    const other = await create.create('user-a', preview());
    store.arrange(other.id, { status: 'FAILED', dueAt: null });
    await parsesAtLimit();
    await expect(retry.retry('user-a', other.id)).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('does not refuse an idempotent replay or a reused result of the type at its limit', async () => {
    const keyed = await create.createWith('user-a', parse('keyed'), { idempotencyKey: 'k-1' });
    const earlier = await create.create('user-a', parse('done'));
    const at = clock.read().toISOString();
    store.arrange(earlier.id, { status: 'COMPLETED', result: { title: 'done' }, completedAt: at, updatedAt: at, dueAt: null });
    await create.create('user-a', parse('fills the limit'));

    await expect(create.createWith('user-a', parse('keyed'), { idempotencyKey: 'k-1' })).resolves.toMatchObject({ replayed: true, job: { id: keyed.job.id } });
    await expect(create.create('user-a', { ...parse('done'), reuse: { maxAgeSeconds: 60 } })).resolves.toMatchObject({ status: 'COMPLETED', fromCache: true });
    await expect(create.create('user-a', parse('refused'))).rejects.toBeInstanceOf(TooManyJobsError);
  });
});

describe('declaring and configuring per-type limits', () => {
  it('gives PARSE_DOCUMENT a limit of its own and the other built-in types none', () => {
    expect(typeQuotaLimits(JOB_TYPE_DEFINITIONS, undefined, 'test')).toEqual({ PARSE_DOCUMENT: 10 });
  });

  it('lets a deployment change or add a type’s limit, as an object or its JSON text', () => {
    expect(typeQuotaLimits(JOB_TYPE_DEFINITIONS, { PARSE_DOCUMENT: 3, AI_PREVIEW: 50 }, 'test')).toEqual({ PARSE_DOCUMENT: 3, AI_PREVIEW: 50 });
    expect(typeQuotaLimits(JOB_TYPE_DEFINITIONS, '{"REPORT_GENERATION":4}', 'test')).toEqual({ PARSE_DOCUMENT: 10, REPORT_GENERATION: 4 });
  });

  it('refuses unknown types by name, listing the known ones, and limits that are not positive integers', () => {
    expect(() => typeQuotaLimits(JOB_TYPE_DEFINITIONS, { PARSE_DOC: 3 }, 'The setting')).toThrow(/The setting names unknown job types PARSE_DOC; the types are .*PARSE_DOCUMENT/);
    for (const bad of [0, -1, 1.5, '3', null, 100_001]) {
      expect(() => typeQuotaLimits(JOB_TYPE_DEFINITIONS, { PARSE_DOCUMENT: bad }, 'The setting'), String(bad)).toThrow(/limit of PARSE_DOCUMENT must be an integer from 1 to 100000/);
    }
    for (const bad of ['{not json', '[1]', '7', 'null']) {
      expect(() => typeQuotaLimits(JOB_TYPE_DEFINITIONS, bad, 'The setting'), bad).toThrow(/The setting must be .*object of job type to limit/);
    }
  });

  it('refuses a type definition with a limit that is not a positive integer', () => {
    const spec = { name: 'SOME_TYPE', description: 'x', input: z.object({}), timeoutSeconds: 10 };
    expect(defineJobType({ ...spec, maxActivePerCaller: 4 }).maxActivePerCaller).toBe(4);
    expect(() => defineJobType({ ...spec, maxActivePerCaller: 0 })).toThrow(/SOME_TYPE: maxActivePerCaller must be an integer from 1/);
  });

  it('reads the functions’ variable, and fails fast on a malformed one with its name', () => {
    expect(quotaSettings({})).toEqual({ maxActiveJobsPerCaller: 100, maxActiveJobsPerCallerByType: {} });
    expect(quotaSettings({ [ENV.maxActiveJobsPerCallerByType]: '{"PARSE_DOCUMENT":7}' }).maxActiveJobsPerCallerByType).toEqual({ PARSE_DOCUMENT: 7 });
    const error = (() => {
      try {
        return quotaSettings({ [ENV.maxActiveJobsPerCallerByType]: '{"PARSE_DOCUMENT":0}' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE/);
  });
});
