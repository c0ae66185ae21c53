/**
 * The API's contract on the real engines: what a create puts on the queue, who may see which
 * job, and listing with signed cursors over the byOwner index.
 */
import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../support/api-events.ts';
import { deleteMessages, queueCounts, receive } from '../support/event-source.ts';
import { useHarness, type JobsClient } from '../support/harness.ts';
import { encodeJobMessage } from '../../lambdas/shared/messages.ts';

const h = useHarness();

/** Creates a job and waits until the clock has moved on, so createdAt values are distinct. */
async function createDistinct(user: JobsClient, prompt: string): Promise<string> {
  const job = await user.createPreview(prompt);
  while (Date.now() <= Date.parse(job.createdAt)) await new Promise((resolve) => setTimeout(resolve, 1));
  return job.id;
}

/** Walks every page of a listing; returns the ids page by page and the last nextCursor. */
async function listAll(user: JobsClient, query: Record<string, string>): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const response: ApiResult = await user.list(cursor ? { ...query, cursor } : query);
    expect(response.status).toBe(200);
    pages.push(response.json.items.map((item: { id: string }) => item.id));
    cursor = response.json.nextCursor;
    if (pages.length > 20) throw new Error('listing does not end');
  } while (cursor !== null);
  return pages;
}

/** A problem response with what legitimately differs between two requests taken out. */
function comparable(response: ApiResult, id: string) {
  const { requestId, detail, ...rest } = response.json as Record<string, unknown>;
  return {
    status: response.status,
    contentType: response.headers['content-type'],
    body: rest,
    detail: String(detail).replaceAll(id, '<id>'),
    requestIdMatchesHeader: requestId === response.headers['x-request-id'],
  };
}

describe('POST /api/jobs', () => {
  it('stores the job and sends exactly its id to the jobs queue', async () => {
    const user = h.newUser();

    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'hello' } }, { basePath: '' });

    expect(created.status).toBe(202);
    expect(created.headers.location).toBe(`/api/jobs/${created.json.id}`);
    expect(created.headers['retry-after']).toBe('3');
    const messages = await receive(h.infra.sqs, h.infra.queueUrl, 10);
    const requestId = created.headers['x-request-id'];
    expect(requestId).toBeTruthy();
    expect(messages.map((message) => message.Body)).toEqual([encodeJobMessage({ jobId: created.json.id, generation: 0, requestId })]);
    await deleteMessages(h.infra.sqs, h.infra.queueUrl, messages);
    expect(await user.job(created.json.id)).toEqual(created.json);
  });

  it('refuses an unknown job type with 422 and stores and sends nothing', async () => {
    const user = h.newUser();
    const before = await queueCounts(h.infra.sqs, h.infra.queueUrl);

    const response = await user.create({ type: 'NO_SUCH_TYPE', input: {} });

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.json).toMatchObject({ code: 'UNKNOWN_JOB_TYPE', status: 422 });
    expect(await queueCounts(h.infra.sqs, h.infra.queueUrl)).toEqual(before);
    expect((await user.list()).json).toEqual({ items: [], nextCursor: null });
  });

  it('answers 401 without authorizer claims', async () => {
    const response = await h.as(null).create({ type: 'AI_PREVIEW', input: { prompt: 'hi' } });

    expect(response.status).toBe(401);
    expect(response.json).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe("another user's job", () => {
  it('answers 404 JOB_NOT_FOUND to GET, cancel, retry and result, exactly as for a job that does not exist', async () => {
    const owner = h.newUser();
    const stranger = h.newUser();
    const job = await owner.createPreview();
    const missing = crypto.randomUUID();
    const actions = {
      get: (user: JobsClient, id: string) => user.get(id),
      cancel: (user: JobsClient, id: string) => user.cancel(id),
      retry: (user: JobsClient, id: string) => user.retry(id),
      result: (user: JobsClient, id: string) => user.result(id),
    };

    for (const [name, act] of Object.entries(actions)) {
      const theirs = await act(stranger, job.id);
      const nothing = await act(stranger, missing);

      expect(theirs.status, name).toBe(404);
      expect(theirs.headers['content-type'], name).toBe('application/problem+json');
      expect(theirs.json.code, name).toBe('JOB_NOT_FOUND');
      expect(comparable(theirs, job.id), name).toEqual(comparable(nothing, missing));
      expect(JSON.stringify(theirs.json), name).not.toContain(owner.sub!);
    }
    // The stranger's cancel and retry changed nothing.
    expect(await owner.job(job.id)).toEqual(job);
  });
});

describe('GET /api/jobs', () => {
  it("pages through exactly the caller's jobs, newest first, without duplicates", async () => {
    const a = h.newUser();
    const b = h.newUser();
    const aIds: string[] = [];
    // Interleaved, so the other user's jobs sit between the caller's in time.
    for (let i = 0; i < 7; i++) {
      aIds.push(await createDistinct(a, `a${i}`));
      if (i < 3) await createDistinct(b, `b${i}`);
    }

    const pages = await listAll(a, { limit: '3' });

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual([...aIds].reverse());
    const bPages = await listAll(b, { limit: '3' });
    expect(bPages.flat()).toHaveLength(3);
    expect(bPages.flat().some((id) => aIds.includes(id))).toBe(false);
  });

  it('returns nextCursor null on a last page that is exactly full', async () => {
    const a = h.newUser();
    for (let i = 0; i < 3; i++) await createDistinct(a, `p${i}`);

    const first = await a.list({ limit: '3' });

    expect(first.json.items).toHaveLength(3);
    expect(first.json.nextCursor).toBeNull();
  });

  it("refuses another user's cursor and a tampered cursor with 400 INVALID_CURSOR", async () => {
    const a = h.newUser();
    const b = h.newUser();
    for (let i = 0; i < 2; i++) {
      await createDistinct(a, `a${i}`);
      await createDistinct(b, `b${i}`);
    }
    const bCursor: string = (await b.list({ limit: '1' })).json.nextCursor;
    const aCursor: string = (await a.list({ limit: '1' })).json.nextCursor;
    expect(bCursor).toEqual(expect.any(String));
    expect(aCursor).toEqual(expect.any(String));

    // B's cursor, as is.
    const borrowed = await a.list({ limit: '1', cursor: bCursor });
    // B's cursor with its payload rewritten to name A, keeping B's signature.
    const [body, signature] = bCursor.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, ownerId: a.sub })).toString('base64url');
    const forged = await a.list({ limit: '1', cursor: `${forgedBody}.${signature}` });
    // A's own cursor with the first signature character changed (the last one may carry only
    // padding bits, which base64url decoding ignores).
    const dot = aCursor.indexOf('.');
    const flipped = `${aCursor.slice(0, dot + 1)}${aCursor[dot + 1] === 'A' ? 'B' : 'A'}${aCursor.slice(dot + 2)}`;
    const tampered = await a.list({ limit: '1', cursor: flipped });
    // A's own cursor, but for another query.
    const otherQuery = await a.list({ limit: '1', status: 'PENDING', cursor: aCursor });

    for (const [name, response] of Object.entries({ borrowed, forged, tampered, otherQuery })) {
      expect(response.status, name).toBe(400);
      expect(response.headers['content-type'], name).toBe('application/problem+json');
      expect(response.json.code, name).toBe('INVALID_CURSOR');
    }
    // The cursor itself still works for its owner and query.
    expect((await a.list({ limit: '1', cursor: aCursor })).status).toBe(200);
  });

  it('filters by status across pages', async () => {
    const a = h.newUser();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await createDistinct(a, `s${i}`));
    const cancelledIds = [ids[1]!, ids[4]!];
    for (const id of cancelledIds) expect((await a.cancel(id)).status).toBe(200);

    const cancelled = await listAll(a, { status: 'CANCELLED', limit: '1' });
    const pending = await listAll(a, { status: 'PENDING', limit: '2' });

    expect(cancelled.flat()).toEqual([...cancelledIds].reverse());
    expect(pending.flat()).toEqual(ids.filter((id) => !cancelledIds.includes(id)).reverse());
    const everything = await listAll(a, {});
    expect(everything.flat()).toEqual([...ids].reverse());

    const invalid = await a.list({ status: 'DONE' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.code).toBe('INVALID_QUERY');
  });
});
