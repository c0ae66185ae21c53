import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handler as getJobResult } from '../../../lambdas/api/handlers/get-job-result.ts';
import { handler as getJobStatus } from '../../../lambdas/api/handlers/get-job-status.ts';
import { handler as getJob } from '../../../lambdas/api/handlers/get-job.ts';
import { handler as listJobs } from '../../../lambdas/api/handlers/list-jobs.ts';
import { apiEvent, invoke, type ApiHandler } from '../../support/api-events.ts';
import { JOB_ID, jobItem } from '../../support/items.ts';

const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => ddb.reset());
afterEach(() => ddb.reset());

function get(path: string, headers: Record<string, string> = {}, sub = 'user-a'): APIGatewayProxyEvent {
  return apiEvent({ method: 'GET', path, pathParameters: { id: JOB_ID }, headers: { Origin: 'https://app.example.com', ...headers }, sub, basePath: '' });
}

const soon = (ms: number) => new Date(Date.now() + ms).toISOString();

describe('ETag and If-None-Match', () => {
  it.each<[string, ApiHandler, string]>([
    ['GET /api/jobs/{id}', getJob, `/api/jobs/${JOB_ID}`],
    ['GET /api/jobs/{id}/status', getJobStatus, `/api/jobs/${JOB_ID}/status`],
  ])('%s: 200 with an ETag; the same ETag in If-None-Match answers 304 with no body, the ETag and CORS', async (_, handler, path) => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'PROCESSING', startedAt: '2026-03-04T12:00:01.000Z' }) });
    const first = await invoke(handler, get(path));
    expect(first.status).toBe(200);
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(first.headers['access-control-expose-headers']).toContain('ETag');

    const second = await handler(get(path, { 'If-None-Match': first.headers.etag! }));
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe('');
    expect(second.headers).toMatchObject({ ETag: first.headers.etag, 'Retry-After': '3', 'Access-Control-Allow-Origin': '*' });
    expect(second.headers).not.toHaveProperty('Content-Type');
  });

  it('answers 200 with the new body and ETag once the job has changed', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'PROCESSING', startedAt: '2026-03-04T12:00:01.000Z' }) });
    const before = await invoke(getJob, get(`/api/jobs/${JOB_ID}`));
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'PROCESSING', startedAt: '2026-03-04T12:00:01.000Z', progress: { percent: 50, message: null } }) });
    const after = await invoke(getJob, get(`/api/jobs/${JOB_ID}`, { 'If-None-Match': before.headers.etag! }));
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.json).toMatchObject({ progress: { percent: 50 } });
  });

  it('takes a list of tags and weak tags (weak comparison), and * ', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem() });
    const { headers } = await invoke(getJob, get(`/api/jobs/${JOB_ID}`));
    for (const ifNoneMatch of [`"nope", ${headers.etag}`, `W/${headers.etag}`, '*']) {
      expect((await getJob(get(`/api/jobs/${JOB_ID}`, { 'If-None-Match': ifNoneMatch }))).statusCode).toBe(304);
    }
    expect((await getJob(get(`/api/jobs/${JOB_ID}`, { 'If-None-Match': '"nope"' }))).statusCode).toBe(200);
  });

  it('does not reveal another caller\'s job through a matching tag: 404 as for a missing job', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem() });
    const { headers } = await invoke(getJob, get(`/api/jobs/${JOB_ID}`));
    const foreign = await invoke(getJob, get(`/api/jobs/${JOB_ID}`, { 'If-None-Match': headers.etag! }, 'user-b'));
    expect(foreign.status).toBe(404);
    expect(foreign.headers).not.toHaveProperty('etag');
  });

  it('puts an ETag on the result and on a list page too', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'COMPLETED', result: { output: 'x' }, completedAt: '2026-03-04T12:00:05.000Z' }) });
    const result = await invoke(getJobResult, get(`/api/jobs/${JOB_ID}/result`));
    expect(result.headers.etag).toBeDefined();
    expect((await getJobResult(get(`/api/jobs/${JOB_ID}/result`, { 'If-None-Match': result.headers.etag! }))).statusCode).toBe(304);
    ddb.on(QueryCommand).resolves({ Items: [] });
    const list = await invoke(listJobs, apiEvent({ method: 'GET', path: '/api/jobs', sub: 'user-a', basePath: '' }));
    expect(list.status).toBe(200);
    expect(list.headers.etag).toBeDefined();
  });
});

describe('Retry-After on polls', () => {
  it('is 3 while PENDING or PROCESSING and absent once finished', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'PENDING' }) });
    expect((await invoke(getJob, get(`/api/jobs/${JOB_ID}`))).headers['retry-after']).toBe('3');
    ddb.on(GetCommand).resolves({ Item: jobItem({ status: 'COMPLETED', result: { output: 'x' }, completedAt: '2026-03-04T12:00:05.000Z' }) });
    expect((await invoke(getJob, get(`/api/jobs/${JOB_ID}`))).headers).not.toHaveProperty('retry-after');
  });

  it('is the seconds until a scheduled job starts (at most 300), on GET and on /status', async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ scheduledAt: soon(40_500) }) });
    for (const path of [`/api/jobs/${JOB_ID}`, `/api/jobs/${JOB_ID}/status`]) {
      const seconds = Number((await invoke(path.endsWith('status') ? getJobStatus : getJob, get(path))).headers['retry-after']);
      expect(seconds).toBeGreaterThanOrEqual(40);
      expect(seconds).toBeLessThanOrEqual(41);
    }
    ddb.on(GetCommand).resolves({ Item: jobItem({ scheduledAt: soon(7 * 86_400_000) }) });
    expect((await invoke(getJob, get(`/api/jobs/${JOB_ID}`))).headers['retry-after']).toBe('300');
  });
});

describe('GET /api/jobs/{id}/status', () => {
  it('answers exactly { id, status, progress, updatedAt } from one GetItem', async () => {
    ddb.on(GetCommand).resolves({
      Item: jobItem({ status: 'PROCESSING', progress: { percent: 30, message: 'reading' }, updatedAt: '2026-03-04T12:00:02.000Z', result: undefined }),
    });
    const response = await invoke(getJobStatus, get(`/api/jobs/${JOB_ID}/status`));
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ id: JOB_ID, status: 'PROCESSING', progress: { percent: 30, message: 'reading' }, updatedAt: '2026-03-04T12:00:02.000Z' });
    expect(ddb.calls()).toHaveLength(1);
    expect(ddb.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({ Key: { id: JOB_ID }, ConsistentRead: true });
  });

  it("answers 404 for another caller's job, as for a missing one, and 400 for an id that is not a UUID", async () => {
    ddb.on(GetCommand).resolves({ Item: jobItem({ ownerId: 'user-b' }) });
    const foreign = await invoke(getJobStatus, get(`/api/jobs/${JOB_ID}/status`));
    expect(foreign).toMatchObject({ status: 404, json: { code: 'JOB_NOT_FOUND' } });
    const bad = await invoke(
      getJobStatus,
      apiEvent({ method: 'GET', path: '/api/jobs/nope/status', pathParameters: { id: 'nope' }, sub: 'user-a', basePath: '' }),
    );
    expect(bad).toMatchObject({ status: 400, json: { code: 'INVALID_JOB_ID' } });
  });
});
