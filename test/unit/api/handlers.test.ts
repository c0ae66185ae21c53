import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as cancelJob } from '../../../lambdas/api/handlers/cancel-job.ts';
import { handler as createJob } from '../../../lambdas/api/handlers/create-job.ts';
import { handler as getJobResult } from '../../../lambdas/api/handlers/get-job-result.ts';
import { handler as getJob } from '../../../lambdas/api/handlers/get-job.ts';
import { handler as listJobs } from '../../../lambdas/api/handlers/list-jobs.ts';
import { handler as retryJob } from '../../../lambdas/api/handlers/retry-job.ts';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { getJob as getJobLogic, wire as wireGetJob } from '../../../lambdas/api/logic/get-job.ts';
import { localStackTokenCaller } from '../../../lambdas/api/localstack-tokens.ts';
import { routeHandler } from '../../../lambdas/api/wiring.ts';
import { HttpError } from '../../../lambdas/http/problem.ts';
import { callerId } from '../../../lambdas/http/request.ts';
import { ENV } from '../../../lambdas/shared/resources.ts';
import { issueIdToken, loadOrCreateSigningKey, localSub, type SigningKey } from '../../../lib/local/tokens.ts';
import { apiEvent as gatewayEvent, invoke, type ApiHandler } from '../../support/api-events.ts';
import { JOB_ID, jobItem, writtenValues } from '../../support/items.ts';
import { fingerprint } from '../../../lambdas/domain/fingerprints.ts';

interface Spec {
  readonly method?: 'GET' | 'POST';
  readonly id?: string;
  readonly path?: string;
  readonly query?: Record<string, string> | string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly sub?: string | null;
}

/** A request from user-a through a custom domain (no stage in the path). */
function apiEvent(spec: Spec = {}): APIGatewayProxyEvent {
  return gatewayEvent({
    method: spec.method ?? 'GET',
    path: spec.path ?? (spec.id ? `/api/jobs/${spec.id}` : '/api/jobs'),
    ...(spec.id !== undefined ? { pathParameters: { id: spec.id } } : {}),
    ...(spec.query ? { query: spec.query } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(spec.headers ? { headers: spec.headers } : {}),
    sub: spec.sub === undefined ? 'user-a' : spec.sub,
    basePath: '',
  });
}

const call = (handler: ApiHandler, event: APIGatewayProxyEvent) => invoke(handler, event);

const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);

const ID = JOB_ID;

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  // The quota's count of the caller's unfinished jobs (byActive): none.
  ddb.on(QueryCommand).resolves({ Count: 0, Items: [] });
});
afterEach(() => {
  ddb.reset();
  sqs.reset();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  apiEvent({ method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });

describe('POST /api/jobs', () => {
  it('answers 202 with the PENDING record, Location and Retry-After, and sends the job id and request id to SQS', async () => {
    ddb.on(PutCommand).resolves({});
    const response = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'Summarise' } })));
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ type: 'AI_PREVIEW', status: 'PENDING', attempts: 0, maxAttempts: 3, result: null, error: null });
    expect(response.headers['location']).toBe(`/api/jobs/${response.json.id}`);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.headers['x-request-id']).toBeTruthy();
    const put = ddb.commandCalls(PutCommand)[0]!.args[0].input;
    const requestId = response.headers['x-request-id'];
    expect(put.Item).toMatchObject({ id: response.json.id, ownerId: 'user-a', input: { prompt: 'Summarise' }, dueShard: expect.stringMatching(/^due-\d\d$/), requestId });
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody).toBe(JSON.stringify({ jobId: response.json.id, generation: 0, requestId }));
  });

  it('keeps the stage in Location when called through the execute-api URL', async () => {
    ddb.on(PutCommand).resolves({});
    const event = gatewayEvent({ method: 'POST', path: '/api/jobs', body: { type: 'AI_PREVIEW', input: { prompt: 'x' } }, sub: 'user-a', basePath: '/prod' });
    const response = (await call(createJob, event));
    expect(response.headers['location']).toBe(`/prod/api/jobs/${response.json.id}`);
  });

  it('answers 400 problem+json for malformed JSON', async () => {
    const response = (await call(createJob, post('{"type": ')));
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.json).toMatchObject({ status: 400, code: 'INVALID_JSON', title: expect.any(String), detail: expect.any(String), type: expect.stringContaining('invalid-json') });
    expect(response.json.requestId).toBe(response.headers['x-request-id']);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 422 with field errors for an unknown type', async () => {
    const response = (await call(createJob, post({ type: 'MINE_BITCOIN', input: {} })));
    expect(response.status).toBe(422);
    expect(response.json).toMatchObject({ code: 'UNKNOWN_JOB_TYPE', errors: [{ path: 'type' }] });
  });

  it('answers 422 with field errors for input failing the schema', async () => {
    const response = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: '', maxTokens: 'lots' } })));
    expect(response.status).toBe(422);
    expect(response.json.code).toBe('VALIDATION_FAILED');
    expect(response.json.errors.map((e: { path: string }) => e.path).sort()).toEqual(['input.maxTokens', 'input.prompt']);
  });

  it('answers 413 for a body over 256 KB', async () => {
    const response = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x'.repeat(300 * 1024) } })));
    expect(response.status).toBe(413);
    expect(response.json.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 415 for a non-JSON content type', async () => {
    const response = (await call(createJob, post('type=AI_PREVIEW', { 'Content-Type': 'application/x-www-form-urlencoded' })));
    expect(response.status).toBe(415);
  });

  it('answers 401 when the authorizer passed no caller', async () => {
    const response = (await call(createJob, apiEvent({ method: 'POST', body: JSON.stringify({ type: 'AI_PREVIEW', input: { prompt: 'x' } }), sub: null })));
    expect(response.status).toBe(401);
    expect(response.json.code).toBe('UNAUTHENTICATED');
  });

  it.each(['', 'has space', 'k'.repeat(256), 'naïve'])('answers 400 INVALID_IDEMPOTENCY_KEY for the key %j, touching nothing', async (key) => {
    const response = await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x' } }, { 'Idempotency-Key': key }));
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.json.code).toBe('INVALID_IDEMPOTENCY_KEY');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 429 TOO_MANY_JOBS with Retry-After and writes nothing when the caller is at the quota', async () => {
    ddb.on(QueryCommand).resolves({ Count: 100 });
    const response = await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x' } }));
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('15');
    expect(response.json).toMatchObject({ code: 'TOO_MANY_JOBS', limit: 100 });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('answers a replay 200 with Idempotent-Replayed and the job as stored now', async () => {
    const now = Math.floor(Date.now() / 1000);
    ddb.on(GetCommand).callsFake((input: { Key: { id: string } }) =>
      input.Key.id.startsWith('idem#')
        ? { Item: { id: input.Key.id, requestHash: fingerprint('create', { type: 'AI_PREVIEW', input: { prompt: 'x' } }), jobId: ID, generation: 0, expiresAt: now + 60 } }
        : { Item: jobItem({ status: 'PROCESSING' }) },
    );
    const response = await call(createJob, post({ input: { prompt: 'x' }, type: 'AI_PREVIEW' }, { 'Idempotency-Key': 'k-1' }));
    expect(response.status).toBe(200);
    expect(response.headers['idempotent-replayed']).toBe('true');
    expect(response.headers['access-control-expose-headers']).toContain('Idempotent-Replayed');
    expect(response.json).toMatchObject({ id: ID, status: 'PROCESSING', fromCache: false });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
    // The job's current ETag: what a GET of it answers, so a client can revalidate from the replay.
    const read = await call(getJob, apiEvent({ id: ID }));
    expect(response.headers.etag).toMatch(/^"[\w-]{22}"$/);
    expect(response.headers.etag).toBe(read.headers.etag);
  });

  it('still answers 202 when SQS is down, leaving the job for the reconciler', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: jobItem() });
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    const response = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x' } })));
    expect(response.status).toBe(202);
    // Marked due at once, so the reconciler's next run sends it.
    const marks = ddb.commandCalls(UpdateCommand).map((update) => update.args[0].input);
    expect(marks.map((update) => update.Key)).toEqual([{ id: response.json.id }]);
  });

  it('answers 503 without internals when DynamoDB throttles', async () => {
    ddb.on(PutCommand).rejects(Object.assign(new Error('Rate exceeded for table arn:aws:dynamodb:...'), { name: 'ProvisionedThroughputExceededException' }));
    const response = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x' } })));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(JSON.stringify(response.json)).not.toContain('arn:aws');
  });

  it('answers 500 with no stack trace or message for an unexpected error', async () => {
    ddb.on(PutCommand).rejects(new TypeError('secret internal detail at line 42'));
    const response = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x' } })));
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.json)).not.toMatch(/secret internal|at line|TypeError/);
  });

  it('sends CORS headers on success and on errors', async () => {
    ddb.on(PutCommand).resolves({});
    const ok = (await call(createJob, post({ type: 'AI_PREVIEW', input: { prompt: 'x' } })));
    const bad = (await call(createJob, post('nope')));
    for (const response of [ok, bad]) {
      expect(response.headers['access-control-allow-origin']).toBe('*');
      expect(response.headers['access-control-expose-headers']).toContain('Location');
    }
  });
});

describe('GET /api/jobs/{id}', () => {
  it('returns exactly the public fields of the record', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem() });
    const response = (await call(getJob, apiEvent({ id: ID })));
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      id: ID, type: 'AI_PREVIEW', status: 'PENDING', result: null, error: null, attempts: 0, maxAttempts: 3,
      progress: null, createdAt: '2026-03-04T12:00:00.000Z', startedAt: null, completedAt: null, updatedAt: '2026-03-04T12:00:00.000Z',
      priority: 'normal', fromCache: false,
      scheduledAt: null, timings: { queuedMs: null, runMs: null, totalMs: null },
      // A record from before workspaces: a personal job created by its owner.
      workspaceId: null, createdBy: 'user-a',
    });
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const response = (await call(getJob, apiEvent({ id: 'not-a-uuid' })));
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('INVALID_JOB_ID');
    expect(ddb.calls()).toHaveLength(0);
  });

  it("answers 404 for another user's job, identical to a missing one", async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ ownerId: 'user-b' }) });
    const foreign = (await call(getJob, apiEvent({ id: ID })));
    ddb.on(GetCommand).resolves({});
    const missing = (await call(getJob, apiEvent({ id: ID })));
    expect(foreign.status).toBe(404);
    expect({ ...foreign.json, requestId: '' }).toEqual({ ...missing.json, requestId: '' });
  });

  it('treats an expired record (TTL not yet applied) as missing', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'COMPLETED', expiresAt: 1_000 }) });
    expect((await call(getJob, apiEvent({ id: ID }))).status).toBe(404);
  });
});

describe('GET /api/jobs/{id}/result', () => {
  it('returns id, status and result when COMPLETED', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'COMPLETED', result: { output: 'hello' }, dueAt: undefined }) });
    const response = (await call(getJobResult, apiEvent({ id: ID, path: `/api/jobs/${ID}/result` })));
    expect(response).toMatchObject({ status: 200, json: { id: ID, status: 'COMPLETED', result: { output: 'hello' } } });
  });

  it('answers 409 naming the current status otherwise', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'PROCESSING' }) });
    const response = (await call(getJobResult, apiEvent({ id: ID, path: `/api/jobs/${ID}/result` })));
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({ code: 'JOB_NOT_COMPLETED', currentStatus: 'PROCESSING' });
    expect(response.json.detail).toContain('PROCESSING');
  });
});

describe('POST /api/jobs/{id}/cancel and /retry', () => {
  it('cancels the job with one update and answers the CANCELLED record', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem() });
    ddb.on(UpdateCommand).resolves({ Attributes: jobItem({ status: 'CANCELLED', completedAt: '2026-03-04T12:01:00.000Z' }) });
    const response = (await call(cancelJob, apiEvent({ method: 'POST', id: ID, path: `/api/jobs/${ID}/cancel` })));
    expect(response).toMatchObject({ status: 200, json: { status: 'CANCELLED' } });
    const updates = ddb.commandCalls(UpdateCommand).map((update) => update.args[0].input);
    expect(updates.map((update) => update.Key)).toEqual([{ id: ID }]);
    expect(writtenValues(updates[0]!)).toContain('CANCELLED');
  });

  it('answers 409 for cancelling a finished job', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'COMPLETED' }) });
    const response = (await call(cancelJob, apiEvent({ method: 'POST', id: ID, path: `/api/jobs/${ID}/cancel` })));
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({ code: 'INVALID_TRANSITION', currentStatus: 'COMPLETED' });
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers 409 with the new status when the job changed between read and write', async () => {
    ddb.on(GetCommand).resolvesOnce({ Item: jobItem({ status: 'PROCESSING', runId: 'r1' }) }).resolves({ Item: jobItem({ status: 'COMPLETED' }) });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    const response = (await call(cancelJob, apiEvent({ method: 'POST', id: ID, path: `/api/jobs/${ID}/cancel` })));
    expect(response.status).toBe(409);
    expect(response.json.currentStatus).toBe('COMPLETED');
  });

  it('retries a failed job: 202 PENDING and the message sent again', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'FAILED', attempts: 3, error: 'boom', dueAt: undefined }) });
    ddb.on(UpdateCommand).resolves({ Attributes: jobItem({ status: 'PENDING', attempts: 0 }) });
    const response = (await call(retryJob, apiEvent({ method: 'POST', id: ID, path: `/api/jobs/${ID}/retry` })));
    expect(response).toMatchObject({ status: 202, json: { status: 'PENDING', attempts: 0 } });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('answers 409 for retrying a job that is still pending', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem() });
    const response = (await call(retryJob, apiEvent({ method: 'POST', id: ID, path: `/api/jobs/${ID}/retry` })));
    expect(response.status).toBe(409);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('GET /api/jobs', () => {
  /** The owner index holds keys and type; the records come from BatchGetItem. */
  const indexEntry = (job: ReturnType<typeof jobItem>) => ({ id: job.id, ownerId: job.ownerId, createdAt: job.createdAt, type: job.type });
  const records = (jobs: ReturnType<typeof jobItem>[]) =>
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { id: string }[] }> }) => {
      const [table, { Keys }] = Object.entries(input.RequestItems)[0]!;
      return { Responses: { [table]: jobs.filter((job) => Keys.some((key) => key.id === job.id)) } };
    });

  it('queries the owner index newest first, reads the records and filters them by status', async () => {
    const pending = jobItem();
    const done = jobItem({ id: '550e8400-e29b-41d4-a716-446655440009', status: 'COMPLETED', createdAt: '2026-03-04T11:00:00.000Z' });
    ddb.on(QueryCommand).resolves({ Items: [indexEntry(pending), indexEntry(done)] });
    records([pending, done]);
    const response = (await call(listJobs, apiEvent({ query: { status: 'PENDING' } })));
    expect(response).toMatchObject({ status: 200, json: { items: [{ id: ID, status: 'PENDING' }], nextCursor: null } });
    expect(response.json.items).toHaveLength(1);
    const query = ddb.commandCalls(QueryCommand)[0]!.args[0].input;
    expect(query).toMatchObject({ IndexName: 'byOwner', ScanIndexForward: false, ExpressionAttributeValues: { ':owner': 'user-a' } });
    const batch = ddb.commandCalls(BatchGetCommand)[0]!.args[0].input.RequestItems!;
    expect(Object.values(batch)[0]).toMatchObject({ Keys: [{ id: pending.id }, { id: done.id }], ConsistentRead: true });
  });

  it('keeps only the priorities asked for, the parameter repeated', async () => {
    const jobs = (['high', 'low', 'urgent'] as const).map((priority, i) =>
      jobItem({ id: `550e8400-e29b-41d4-a716-44665544000${i}`, createdAt: `2026-03-04T12:00:0${9 - i}.000Z`, priority }),
    );
    ddb.on(QueryCommand).resolves({ Items: jobs.map(indexEntry) });
    records(jobs);
    const response = await call(listJobs, apiEvent({ query: 'priority=high&priority=urgent' }));
    expect(response.status).toBe(200);
    expect(response.json.items.map((item: { id: string }) => item.id)).toEqual([jobs[0]!.id, jobs[2]!.id]);
  });

  it('returns a cursor that continues the list, and refuses it once modified', async () => {
    const items = [0, 1, 2].map((i) => jobItem({ id: `550e8400-e29b-41d4-a716-44665544000${i}`, createdAt: `2026-03-04T12:00:0${i}.000Z` }));
    ddb.on(QueryCommand).resolves({ Items: items.map(indexEntry) });
    records(items);
    const first = (await call(listJobs, apiEvent({ query: { limit: '2' } })));
    expect(first.json.items).toHaveLength(2);
    const cursor: string = first.json.nextCursor;
    expect(cursor).toBeTypeOf('string');
    const tampered = cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);
    const refused = (await call(listJobs, apiEvent({ query: { cursor: tampered } })));
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe('INVALID_CURSOR');
    await listJobs(apiEvent({ query: { cursor } }));
    expect(ddb.commandCalls(QueryCommand).at(-1)!.args[0].input.ExclusiveStartKey).toEqual({
      id: items[1]!.id, ownerId: 'user-a', createdAt: items[1]!.createdAt,
    });
  });

  it.each([
    [{ limit: '0' }], [{ limit: '101' }], [{ limit: 'ten' }], [{ limit: '2.5' }],
    [{ status: 'DONE' }], [{ sort: 'asc' }], [{ type: 'lower-case' }],
    [{ priority: 'critical' }], [{ sort: 'priority' }], [{ order: 'up' }], ['priority=high&priority='], ['sort=createdAt&sort=updatedAt'],
  ])('answers 400 for %j', async (query) => {
    const response = (await call(listJobs, apiEvent({ query })));
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('INVALID_QUERY');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('defaults to 20 items per page', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    await listJobs(apiEvent());
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input.Limit).toBe(21);
  });
});

/** The event as a proxy integration behind a Lambda (TOKEN) authorizer receives it: context, no claims. */
function lambdaAuthorizerEvent(sub: string | undefined, spec: Spec = {}): APIGatewayProxyEvent {
  const event = apiEvent({ ...spec, sub: null });
  const authorizer = { principalId: sub ?? 'someone', integrationLatency: 12, ...(sub !== undefined ? { sub, username: 'alice' } : {}) };
  return { ...event, requestContext: { ...event.requestContext, authorizer } };
}

function unauthenticated(run: () => unknown): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(HttpError);
  expect(thrown).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
}

describe('the caller', () => {
  it("is the Cognito authorizer's sub claim", () => {
    expect(callerId(apiEvent({ sub: 'cognito-sub' }))).toBe('cognito-sub');
  });

  it("is the sub of a Lambda authorizer's context", () => {
    expect(callerId(lambdaAuthorizerEvent('lambda-sub'))).toBe('lambda-sub');
  });

  it('prefers the Cognito claims when both are present', () => {
    const event = apiEvent({ sub: 'cognito-sub' });
    const authorizer = { ...event.requestContext.authorizer, sub: 'context-sub' };
    expect(callerId({ ...event, requestContext: { ...event.requestContext, authorizer } })).toBe('cognito-sub');
  });

  it('is nobody (401) without either, or with an empty sub', () => {
    unauthenticated(() => callerId(apiEvent({ sub: null })));
    unauthenticated(() => callerId(lambdaAuthorizerEvent(undefined)));
    unauthenticated(() => callerId(lambdaAuthorizerEvent('')));
    unauthenticated(() => callerId(apiEvent({ sub: '' })));
  });

  it('is not read from the Authorization header unless a verifier is given', () => {
    unauthenticated(() => callerId(apiEvent({ sub: null, headers: { Authorization: 'Bearer anything' } })));
  });

  it('reaches a route through a Lambda authorizer context: the own job answers 200', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ ownerId: 'user-a' }) });
    expect((await call(getJob, lambdaAuthorizerEvent('user-a', { id: ID }))).status).toBe(200);
    expect((await call(getJob, lambdaAuthorizerEvent('user-b', { id: ID }))).status).toBe(404);
  });

  it('answers 401 on a route when the Lambda authorizer context has no sub', async () => {
    const response = await call(getJob, lambdaAuthorizerEvent(undefined, { id: ID }));
    expect(response.status).toBe(401);
    expect(response.json.code).toBe('UNAUTHENTICATED');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('the caller on LocalStack (LOCAL_JWKS set, no authorizer ran)', () => {
  let dir: string;
  let key: SigningKey;
  let other: SigningKey;
  let localGetJob: ApiHandler;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'handlers-local-key-'));
    key = loadOrCreateSigningKey(join(dir, 'ours'));
    other = loadOrCreateSigningKey(join(dir, 'theirs'));
    localGetJob = await routeHandler('get-job', getJobLogic, wireGetJob, { ...process.env, [ENV.localJwks]: JSON.stringify(key.jwks) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const withToken = (token: string) => apiEvent({ id: ID, sub: null, headers: { Authorization: `Bearer ${token}` } });

  it('builds no verifier without LOCAL_JWKS', async () => {
    const { [ENV.localJwks]: _, ...env } = process.env;
    expect(await localStackTokenCaller(env)).toBeUndefined();
    expect(await localStackTokenCaller({ ...env, [ENV.localJwks]: JSON.stringify(key.jwks) })).toBeTypeOf('function');
  });

  it('verifies the bearer token itself and uses its sub', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ ownerId: localSub('alice') }) });
    expect((await call(localGetJob, withToken(issueIdToken(key, 'alice')))).status).toBe(200);
    expect((await call(localGetJob, withToken(issueIdToken(key, 'bob')))).status).toBe(404);
  });

  it.each([
    ['no token', () => apiEvent({ id: ID, sub: null, headers: { Authorization: '' } })],
    ['a forged token', () => withToken(issueIdToken(other, 'alice', { headerOverrides: { kid: key.kid } }))],
    ['an expired token', () => withToken(issueIdToken(key, 'alice', { now: new Date(Date.now() - 7_200_000) }))],
    ['an access token', () => withToken(issueIdToken(key, 'alice', { overrides: { token_use: 'access' } }))],
  ])('answers 401 for %s', async (_, event) => {
    const response = await call(localGetJob, event());
    expect(response.status).toBe(401);
    expect(response.json.code).toBe('UNAUTHENTICATED');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('still prefers an authorizer context when one reached the function', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ ownerId: 'user-a' }) });
    const event = lambdaAuthorizerEvent('user-a', { id: ID, headers: { Authorization: `Bearer ${issueIdToken(key, 'alice')}` } });
    expect((await call(localGetJob, event)).status).toBe(200);
  });
});
