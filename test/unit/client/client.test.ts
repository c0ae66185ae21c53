import { describe, expect, it } from 'vitest';
import { JobsClient, ProblemError, WaitTimeoutError, type Job, type JobStatusSnapshot, type Sleep } from '../../../client/index.ts';

/** A fake API: answers each request from a script, and records what was asked. */
function fakeApi(answer: (request: Request) => Response | Promise<Response>) {
  const requests: Request[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    if (request.signal.aborted) throw request.signal.reason;
    return answer(request);
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: `urn:x:${code}`, title: code, status, detail: `${code} detail`, code, requestId: 'r-1' }), {
    status,
    headers: { 'Content-Type': 'application/problem+json', ...headers },
  });

const JOB_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
function job(status: Job['status'], extra: Partial<Job> = {}): Job {
  return {
    id: JOB_ID, type: 'AI_PREVIEW', status, result: null, error: null, attempts: 0, maxAttempts: 3, progress: null,
    createdAt: '2026-01-01T00:00:00.000Z', startedAt: null, completedAt: null, updatedAt: '2026-01-01T00:00:00.000Z',
    priority: 'normal', fromCache: false, scheduledAt: null, timings: { queuedMs: null, runMs: null, totalMs: null },
    workspaceId: null, createdBy: 'u', ...extra,
  };
}
const snapshot = (status: Job['status'], percent?: number): JobStatusSnapshot => ({
  id: JOB_ID, status, progress: percent === undefined ? null : { percent, message: `at ${percent}` }, updatedAt: '2026-01-01T00:00:00.000Z',
});

/** A sleep that records the waits asked for and returns at once. */
function recordingSleep() {
  const waits: number[] = [];
  const sleep: Sleep = async (ms, signal) => {
    if (signal.aborted) throw signal.reason;
    waits.push(ms);
  };
  return { sleep, waits };
}

describe('JobsClient requests', () => {
  it('sends the token from the provider as a bearer, asked before every request', async () => {
    const api = fakeApi(() => json(200, job('PENDING')));
    let calls = 0;
    const client = new JobsClient({ baseUrl: 'http://api.test/prod/', token: async () => `t${++calls}`, fetch: api.fetch });
    await client.getJob(JOB_ID);
    await client.getJob(JOB_ID);
    expect(api.requests.map((r) => [r.url, r.headers.get('Authorization')])).toEqual([
      [`http://api.test/prod/api/jobs/${JOB_ID}`, 'Bearer t1'],
      [`http://api.test/prod/api/jobs/${JOB_ID}`, 'Bearer t2'],
    ]);
  });

  it('creates a job with its Idempotency-Key and reads the answer: status, replay, Retry-After', async () => {
    const api = fakeApi(() => json(200, job('PENDING'), { 'Idempotent-Replayed': 'true', 'Retry-After': '3' }));
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    const accepted = await client.createJob({ type: 'AI_PREVIEW', input: { prompt: 'hi' }, priority: 'high' }, { idempotencyKey: 'k-1' });
    expect(accepted).toMatchObject({ status: 200, replayed: true, retryAfterSeconds: 3, job: { id: JOB_ID } });
    const [request] = api.requests;
    expect(request!.method).toBe('POST');
    expect(request!.headers.get('Idempotency-Key')).toBe('k-1');
    expect(await request!.json()).toEqual({ type: 'AI_PREVIEW', input: { prompt: 'hi' }, priority: 'high' });
  });

  it('throws the problem details of an error answer, typed', async () => {
    const api = fakeApi(() => problem(404, 'JOB_NOT_FOUND'));
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    const error = await client.getResult(JOB_ID).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProblemError);
    expect(ProblemError.is(error, 'JOB_NOT_FOUND')).toBe(true);
    expect(error).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND', problem: { requestId: 'r-1', detail: 'JOB_NOT_FOUND detail' } });
  });

  it('turns an answer that is not a problem into a ProblemError with its status', async () => {
    const api = fakeApi(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    await expect(client.cancelJob(JOB_ID)).rejects.toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE' });
  });

  it('lists page after page with the filters, following nextCursor until the last', async () => {
    const api = fakeApi((request) => {
      const cursor = new URL(request.url).searchParams.get('cursor');
      return json(200, { items: [job('FAILED')], nextCursor: cursor === null ? 'c1' : cursor === 'c1' ? 'c2' : null });
    });
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    const pages = [];
    for await (const page of client.listJobs({ status: 'FAILED', type: 'AI_PREVIEW', priority: ['low', 'high'], sort: 'updatedAt', limit: 1 })) pages.push(page);
    expect(pages.map((page) => page.nextCursor)).toEqual(['c1', 'c2', null]);
    const queries = api.requests.map((r) => new URL(r.url).search);
    expect(queries[0]).toBe('?status=FAILED&type=AI_PREVIEW&priority=low&priority=high&sort=updatedAt&limit=1');
    expect(queries[2]).toBe('?status=FAILED&type=AI_PREVIEW&priority=low&priority=high&sort=updatedAt&limit=1&cursor=c2');
  });

  it('scopes the job routes to a workspace', async () => {
    const api = fakeApi(() => json(202, job('PENDING')));
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch }).workspace('ws 1');
    await client.retryJob(JOB_ID, { idempotencyKey: 'r' });
    await client.getStatus(JOB_ID).catch(() => {});
    expect(api.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      `POST /api/workspaces/ws%201/jobs/${JOB_ID}/retry`,
      `GET /api/workspaces/ws%201/jobs/${JOB_ID}/status`,
    ]);
  });

  it('uploads a document: asks for a ticket, then PUTs the bytes to its URL with its headers and no token', async () => {
    const api = fakeApi((request) =>
      request.url.endsWith('/api/uploads')
        ? json(201, { uploadId: 'up-1', url: 'http://s3.test/bucket/key?sig', method: 'PUT', headers: { 'Content-Type': 'text/plain' }, expiresAt: 'x', maxBytes: 10 })
        : new Response(null, { status: 200 }),
    );
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    const uploadId = await client.uploadDocument(new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    expect(uploadId).toBe('up-1');
    expect(await api.requests[0]!.json()).toEqual({ name: 'a.txt', contentType: 'text/plain', size: 5 });
    const put = api.requests[1]!;
    expect([put.method, put.url, put.headers.get('Authorization'), await put.text()]).toEqual(['PUT', 'http://s3.test/bucket/key?sig', null, 'hello']);
  });
});

describe('JobsClient.waitForJob', () => {
  it('polls /status as Retry-After says, reports each change once, and returns the finished record', async () => {
    const answers = [
      json(200, snapshot('PENDING'), { 'Retry-After': '3' }),
      json(200, snapshot('PROCESSING', 10), { 'Retry-After': '3' }),
      json(200, snapshot('PROCESSING', 10), { 'Retry-After': '5' }),
      json(200, snapshot('PROCESSING', 60), { 'Retry-After': '3' }),
      json(200, snapshot('COMPLETED')),
      json(200, job('COMPLETED', { result: { text: 'done' } })),
    ];
    const api = fakeApi(() => answers.shift()!);
    const { sleep, waits } = recordingSleep();
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch, sleep });
    const seen: string[] = [];
    const done = await client.waitForJob(JOB_ID, { onProgress: (s) => seen.push(`${s.status}:${s.progress?.percent ?? '-'}`) });
    expect(done.result).toEqual({ text: 'done' });
    expect(seen).toEqual(['PENDING:-', 'PROCESSING:10', 'PROCESSING:60', 'COMPLETED:-']);
    expect(waits).toEqual([3000, 3000, 5000, 3000]);
    expect(api.requests.map((r) => new URL(r.url).pathname.split('/').pop())).toEqual(['status', 'status', 'status', 'status', 'status', JOB_ID]);
  });

  it('waits the Retry-After of a 429 or 503, and backs off with jitter when there is none', async () => {
    const answers = [
      problem(429, 'TOO_MANY_JOBS', { 'Retry-After': '7' }),
      problem(503, 'SERVICE_UNAVAILABLE'),
      problem(503, 'SERVICE_UNAVAILABLE'),
      problem(429, 'TOO_MANY_JOBS'),
      json(200, snapshot('FAILED')),
      json(200, job('FAILED', { error: 'boom' })),
    ];
    const api = fakeApi(() => answers.shift()!);
    const { sleep, waits } = recordingSleep();
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch, sleep, random: () => 0.5 });
    const done = await client.waitForJob(JOB_ID);
    expect(done).toMatchObject({ status: 'FAILED', error: 'boom' });
    // 7 s as told; then half (the jitter) of 2 s, 4 s and 8 s: the ceiling doubles with each failure.
    expect(waits).toEqual([7000, 1000, 2000, 4000]);
  });

  it('throws any other error at once', async () => {
    const api = fakeApi(() => problem(404, 'JOB_NOT_FOUND'));
    const { sleep, waits } = recordingSleep();
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch, sleep });
    await expect(client.waitForJob(JOB_ID)).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect([api.requests.length, waits.length]).toEqual([1, 0]);
  });

  it("stops when the signal aborts, with the signal's reason, and sends nothing more", async () => {
    const controller = new AbortController();
    const api = fakeApi(() => json(200, snapshot('PROCESSING', 5), { 'Retry-After': '3' }));
    const sleep: Sleep = (_ms, signal) => {
      controller.abort(new Error('user left the page'));
      return Promise.reject(signal.reason);
    };
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch, sleep });
    await expect(client.waitForJob(JOB_ID, { signal: controller.signal })).rejects.toThrow('user left the page');
    expect(api.requests).toHaveLength(1);
  });

  it('aborts the request in flight when the signal aborts', async () => {
    const controller = new AbortController();
    let inFlight: AbortSignal | undefined;
    const api = fakeApi(
      (request) =>
        new Promise<Response>((_resolve, reject) => {
          inFlight = request.signal;
          request.signal.addEventListener('abort', () => reject(request.signal.reason));
          controller.abort(new Error('gone'));
        }),
    );
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    await expect(client.waitForJob(JOB_ID, { signal: controller.signal })).rejects.toThrow('gone');
    expect(inFlight?.aborted).toBe(true);
  });

  it('does not start when the signal is already aborted', async () => {
    const api = fakeApi(() => json(200, snapshot('PENDING')));
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    await expect(client.waitForJob(JOB_ID, { signal: AbortSignal.abort(new Error('already')) })).rejects.toThrow('already');
    expect(api.requests).toHaveLength(0);
  });

  it('rejects with a WaitTimeoutError once timeoutMs has passed', async () => {
    const api = fakeApi(() => json(200, snapshot('PROCESSING', 1), { 'Retry-After': '3' }));
    // The real timer sleep: the 1 ms timeout fires during the first 3 s wait.
    const client = new JobsClient({ baseUrl: 'http://api.test', token: 'tok', fetch: api.fetch });
    const error = await client.waitForJob(JOB_ID, { timeoutMs: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ name: 'TimeoutError', jobId: JOB_ID, timeoutMs: 1 });
  });
});
