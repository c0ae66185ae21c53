/**
 * Idempotency keys, result reuse, the quota and a type's own limit through the real handlers on
 * the embedded engines (dynalite has no transactions: the design needs none).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { idempotencyRecordId } from '../../lambdas/domain/fingerprints.ts';
import { deleteMessages, queueCounts, receive } from '../support/event-source.ts';
import { useHarness, type JobsClient } from '../support/harness.ts';
import { ScriptedModel } from '../support/scripted-model.ts';

const QUOTA = 3;
const PARSE_LIMIT = 2;
const h = useHarness({ env: { MAX_ACTIVE_JOBS_PER_CALLER: String(QUOTA), MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE: JSON.stringify({ PARSE_DOCUMENT: PARSE_LIMIT }) } });

const preview = { type: 'AI_PREVIEW', input: { prompt: 'Summarise the risks' } };
const keyed = (key: string) => ({ headers: { 'Idempotency-Key': key } });

async function messages(): Promise<number> {
  const counts = await queueCounts(h.infra.sqs, h.infra.queueUrl);
  return counts.visible + counts.inFlight + counts.delayed;
}

async function objects(prefix: string): Promise<number> {
  const listed = await h.infra.s3.send(new ListObjectsV2Command({ Bucket: h.infra.bucket, Prefix: prefix }));
  return listed.KeyCount ?? listed.Contents?.length ?? 0;
}

async function listedIds(user: JobsClient): Promise<string[]> {
  return (await user.list({ limit: '100' })).json.items.map((item: { id: string }) => item.id);
}

describe('Idempotency-Key on POST /api/jobs', () => {
  it('makes exactly one job and one message for ten concurrent creates with one key; the others are replays', async () => {
    const user = h.newUser();

    const responses = await Promise.all(Array.from({ length: 10 }, () => user.create(preview, keyed('ten-at-once'))));

    const ids = new Set(responses.map((response) => response.json.id));
    expect(ids.size).toBe(1);
    expect(responses.filter((response) => response.status === 202)).toHaveLength(1);
    const replays = responses.filter((response) => response.status === 200);
    expect(replays).toHaveLength(9);
    for (const replay of replays) expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(await listedIds(user)).toEqual([...ids]);
    const received = await receive(h.infra.sqs, h.infra.queueUrl, 10);
    expect(received).toHaveLength(1);
    await deleteMessages(h.infra.sqs, h.infra.queueUrl, received);
  });

  it('answers the same key with a different body 422 IDEMPOTENCY_KEY_REUSED, and a malformed key 400, writing nothing', async () => {
    const user = h.newUser();
    const first = await user.create(preview, keyed('k-1'));

    const reused = await user.create({ ...preview, input: { prompt: 'Something else' } }, keyed('k-1'));
    const malformed = await user.create(preview, keyed('has spaces'));
    const tooLong = await user.create(preview, keyed('k'.repeat(256)));

    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toBe('application/problem+json');
    expect(reused.json.code).toBe('IDEMPOTENCY_KEY_REUSED');
    for (const response of [malformed, tooLong]) {
      expect(response.status).toBe(400);
      expect(response.json.code).toBe('INVALID_IDEMPOTENCY_KEY');
    }
    expect(await listedIds(user)).toEqual([first.json.id]);
    expect(await messages()).toBe(1);
  });

  it('keeps the key record out of every job read: not listed, not a job id, no owner or index keys', async () => {
    const user = h.newUser();
    await user.create(preview, keyed('k-1'));
    const id = idempotencyRecordId(user.sub!, 'k-1');

    const { Item } = await h.infra.doc.send(new GetCommand({ TableName: h.infra.tableName, Key: { id }, ConsistentRead: true }));
    const asJob = await user.call('get-job', { id });

    expect(Object.keys(Item ?? {}).sort()).toEqual(['expiresAt', 'generation', 'id', 'jobId', 'requestHash']);
    expect(asJob.status).toBe(400);
    expect(await listedIds(user)).toHaveLength(1);
  });
});

describe('Idempotency-Key on POST /api/jobs/{id}/retry', () => {
  it('runs a cancelled job once for concurrent retries with one key, and replays the job as it is now', async () => {
    const user = h.newUser();
    const job = await user.createPreview();
    expect((await user.cancel(job.id)).status).toBe(200);
    await deleteMessages(h.infra.sqs, h.infra.queueUrl, await receive(h.infra.sqs, h.infra.queueUrl, 10));

    const responses = await Promise.all(Array.from({ length: 5 }, () => user.call('retry-job', { id: job.id, ...keyed('retry-1') })));

    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(responses.every((response) => response.json.id === job.id && response.json.status === 'PENDING')).toBe(true);
    expect(await messages()).toBe(1);
  });
});

describe('the quota of unfinished jobs', () => {
  it('answers 429 TOO_MANY_JOBS with Retry-After beyond it, writing no record, object or message; retries too', async () => {
    const user = h.newUser();
    const jobs = [];
    for (let n = 0; n < QUOTA; n++) jobs.push(await user.createPreview(`prompt ${n}`));
    const before = { messages: await messages(), inputs: await objects('inputs/') };

    const refused = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'x'.repeat(5000) } });

    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_JOBS', limit: QUOTA, scope: 'caller' });
    expect(await listedIds(user)).toHaveLength(QUOTA);
    expect({ messages: await messages(), inputs: await objects('inputs/') }).toEqual(before);

    await user.cancel(jobs[0]!.id);
    expect((await user.createPreview('room again')).status).toBe('PENDING');
    const retry = await user.retry(jobs[0]!.id);
    expect(retry.status).toBe(429);
    expect((await user.job(jobs[0]!.id)).status).toBe('CANCELLED');
  });
});

describe("a job type's own limit", () => {
  it("answers 429 TOO_MANY_JOBS naming the type beyond PARSE_DOCUMENT's limit, writing nothing; another type is accepted", async () => {
    const user = h.newUser();
    const parse = (text: string) => ({ type: 'PARSE_DOCUMENT', input: { text } });
    const jobs = [];
    for (let n = 0; n < PARSE_LIMIT; n++) jobs.push((await user.create(parse(`document ${n}`))).json);
    const before = { messages: await messages(), inputs: await objects('inputs/') };

    const refused = await user.create(parse('x'.repeat(5000)));

    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_JOBS', type: 'urn:async-jobs:problem:too-many-jobs', scope: 'type', jobType: 'PARSE_DOCUMENT', limit: PARSE_LIMIT });
    expect(refused.json.detail).toMatch(/PARSE_DOCUMENT/);
    expect(await listedIds(user)).toHaveLength(PARSE_LIMIT);
    expect({ messages: await messages(), inputs: await objects('inputs/') }).toEqual(before);

    const other = await user.create(preview);
    expect(other.status).toBe(202);
    await user.cancel(other.json.id);
    await user.cancel(jobs[0]!.id);
    expect((await user.create(parse('room again'))).status).toBe(202);
    const retry = await user.retry(jobs[0]!.id);
    expect(retry.status).toBe(429);
    expect(retry.json).toMatchObject({ scope: 'type', jobType: 'PARSE_DOCUMENT' });
    expect((await user.job(jobs[0]!.id)).status).toBe('CANCELLED');
  });
});

describe('result reuse', () => {
  it('creates the job COMPLETED from a stored result: fromCache, the result copied, no message, no model call', async () => {
    const user = h.newUser();
    const text = `# Plan\n\n${'The harvest may be late. '.repeat(200)}`;
    const model = new ScriptedModel();
    const sections = Array.from({ length: 40 }, (_, n) => ({ heading: `Section ${n}`, text: 'words '.repeat(40) }));
    model.structuredValue = () => ({ title: 'Plan', summary: 'A plan.', sections });
    const first = await user.create({ type: 'PARSE_DOCUMENT', input: { text } });
    await h.drainJobs(h.worker(model));
    const original = await user.job(first.json.id);
    const calls = model.calls;

    const reused = await user.create({ input: { text }, type: 'PARSE_DOCUMENT', reuse: { maxAgeSeconds: 600 } });

    expect(reused.status).toBe(201);
    expect(reused.headers.location).toContain(`/api/jobs/${reused.json.id}`);
    expect(reused.json).toMatchObject({ status: 'COMPLETED', fromCache: true, attempts: 0 });
    expect(reused.json.id).not.toBe(first.json.id);
    const read = await user.job(reused.json.id);
    expect(read).toMatchObject({ fromCache: true, result: original.result });
    expect(original.fromCache).toBe(false);
    const { Item } = await h.infra.doc.send(new GetCommand({ TableName: h.infra.tableName, Key: { id: reused.json.id }, ConsistentRead: true }));
    expect(Item?.resultRef.key).toBe(`results/${reused.json.id}/from-${first.json.id}.json`);
    expect(await messages()).toBe(0);
    expect(model.calls).toBe(calls);

    const optedOut = await user.create({ ...preview, reuse: { maxAgeSeconds: 600 } });
    expect(optedOut.status).toBe(422);
    expect(optedOut.json.errors[0].path).toBe('reuse');
  });
});
