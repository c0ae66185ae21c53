/**
 * End to end, through `npm run dev` over HTTP: what a client sees at the edges of the API —
 * the ready line and the token command, authentication, CORS, other users' jobs, bad input and
 * list pagination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  Client,
  JWT,
  UUID,
  call,
  issueToken,
  jwtClaims,
  makeDataDir,
  nonce,
  npmToken,
  pollUntil,
  removeDataDir,
  shell,
  type Answer,
} from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';

/** Fresh users (their job lists start empty), one per purpose, and `alice` of the ready line. */
const USERS = [
  'ready', 'plain', 'cors', 'owner', 'intruder', 'badid', 'badinput', 'lister', 'other-lister', 'query', 'mallory', 'shortlived',
] as const;
const RUN = nonce();
const username = (label: (typeof USERS)[number]) => `${label}-${RUN}`;
const dev = useDevServer({ users: ['alice', ...USERS.map(username)], env: { RETRY_BASE_DELAY_SECONDS: '0' } });
/** A second data folder, with a signing key of its own. */
let otherDataDir: string;
beforeAll(() => {
  otherDataDir = makeDataDir('jobs-e2e-other-');
});
afterAll(() => removeDataDir(otherDataDir));
let url: string;
beforeAll(() => {
  url = dev.server.url;
});
const tokenOf = (name: string): string => dev.token(name);

/** The client of one of USERS. */
function clientOf(label: (typeof USERS)[number]): Client {
  return new Client(url, tokenOf(username(label)));
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  expect(answer.json.requestId).toMatch(UUID);
  // The request id is in the body and in the gateway's header (and the handler's, when one answered).
  expect(answer.headers.get('x-amzn-requestid')).toBe(answer.json.requestId);
  const fromHandler = answer.headers.get('x-request-id');
  if (fromHandler !== null) expect(fromHandler).toBe(answer.json.requestId);
}

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('the ready line and the token command', () => {
  it('prints exactly one stdout line: the URL and a working curl example', async () => {
    // Some traffic first: nothing but the ready line may ever reach stdout.
    const user = clientOf('ready');
    expect((await user.list()).status).toBe(200);

    const stdout = dev.server.stdout();
    const lines = stdout.split('\n');
    expect(lines.at(-1)).toBe(''); // ends with a newline
    expect(lines.length - 1).toBe(1);
    const line = lines[0]!;
    expect(line.startsWith(`Jobs API ready at ${url} `)).toBe(true);
    expect(line).toContain('Bedrock stand-in');
    expect(line).toContain(`curl -s -X POST ${url}/api/jobs`);
    expect(line).toContain(`JOBS_DEV_DATA=${dev.dataDir} npm run --silent token -- alice`);
    // --port 0: a free port was picked, and the line names it.
    expect(dev.server.port).toBeGreaterThan(0);
  });

  it.skipIf(!hasCurl)('the example after "Try:" creates a job when pasted into a shell', async () => {
    const example = /Try: (.*)$/.exec(dev.server.stdout().split('\n')[0]!)?.[1];
    expect(example).toBeDefined();
    const { stdout } = await shell(example!);
    const job = JSON.parse(stdout);
    expect(job).toMatchObject({ id: expect.stringMatching(UUID), type: 'AI_PREVIEW', status: 'PENDING' });
    // It is alice's job, as the example says.
    const alice = new Client(url, tokenOf('alice'));
    expect((await alice.get(job.id)).status).toBe(200);
  }, 60_000);

  it('`npm run --silent token -- alice` prints a JWT and nothing else, and the gateway accepts it', async () => {
    const stdout = await npmToken(dev.dataDir, 'alice');
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.split('\n')).toHaveLength(2);
    const token = stdout.trim();
    expect(token).toMatch(JWT);
    expect(jwtClaims(token)).toMatchObject({ token_use: 'id', 'cognito:username': 'alice', sub: expect.stringMatching(UUID) });

    const answer = await call(url, '/api/jobs', { token });
    expect(answer.status).toBe(200);
    // The same username is the same user, whichever way the token was made.
    const again = jwtClaims(tokenOf('alice'));
    expect(again.sub).toBe(jwtClaims(token).sub);
  }, 60_000);
});

describe('authentication', () => {
  /** A 401 from the gateway itself: problem+json, request id header = body's, no handler header. */
  function expectGateway401(answer: Answer): void {
    expectProblem(answer, 401, 'UNAUTHENTICATED');
    expect(answer.json.requestId).toBe(answer.headers.get('x-amzn-requestid'));
    // Handlers add X-Request-Id to every answer; the gateway's own answers have only x-amzn-RequestId.
    expect(answer.headers.get('x-request-id')).toBeNull();
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  }

  /** Sends every route with this Authorization value (or none) and expects the gateway's 401. */
  async function expectRejectedEverywhere(authorization: string | undefined): Promise<void> {
    const id = crypto.randomUUID();
    const headers: Record<string, string> = authorization === undefined ? {} : { Authorization: authorization };
    const requests: [string, string, unknown?][] = [
      ['POST', '/api/jobs', { type: 'AI_PREVIEW', input: { prompt: 'should never run' } }],
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${id}`],
      ['GET', `/api/jobs/${id}/result`],
      ['POST', `/api/jobs/${id}/cancel`],
      ['POST', `/api/jobs/${id}/retry`],
    ];
    for (const [method, path, body] of requests) {
      expectGateway401(await call(url, path, { method, headers, ...(body ? { body } : {}) }));
    }
  }

  it('answers 401 without a token', async () => {
    await expectRejectedEverywhere(undefined);
    await expectRejectedEverywhere('Bearer ');
  });

  it('answers 401 for a garbage token', async () => {
    await expectRejectedEverywhere('Bearer not-a-token');
    await expectRejectedEverywhere('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl');
  });

  it('answers 401 for a token signed by another key, and its request never creates a job', async () => {
    // Another data folder has another signing key: same user pool claims, wrong signature.
    const forged = await issueToken(otherDataDir, username('mallory'));
    expect(jwtClaims(forged).sub).toBe(jwtClaims(tokenOf(username('mallory'))).sub);
    const kid = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).kid;
    expect(kid(forged)).not.toBe(kid(tokenOf(username('mallory'))));
    await expectRejectedEverywhere(`Bearer ${forged}`);

    expect(await clientOf('mallory').allJobs()).toEqual([]);
  });

  it('accepts a short-lived token until it expires, then answers 401', async () => {
    const token = await issueToken(dev.dataDir, username('shortlived'), { expiresInSeconds: 3 });
    const expMs = Number(jwtClaims(token).exp) * 1000;
    // `exp` is whole seconds after a truncated `iat`: the token was valid for 2 to 3 s when issued.
    expect(expMs - Date.now(), 'the token command took too long to test a still-valid token').toBeGreaterThan(500);
    expect((await call(url, '/api/jobs', { token })).status).toBe(200);

    await pollUntil(async () => Date.now(), (now) => now > expMs + 250, { timeoutMs: 5_000, what: 'the token to expire' });
    await expectRejectedEverywhere(`Bearer ${token}`);
    // The POST above never reached the handler: the user still has no job.
    expect(await clientOf('shortlived').allJobs()).toEqual([]);
  });

  it('accepts the token without the Bearer prefix, as the Cognito authorizer does', async () => {
    const token = tokenOf(username('plain'));
    const answer = await call(url, '/api/jobs', { headers: { Authorization: token } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toMatch(UUID);
  });
});

describe('routing', () => {
  it('answers an unknown path 404 and a wrong method 405 with Allow, as problems with CORS headers', async () => {
    const token = tokenOf(username('plain'));
    const unknown = await call(url, '/api/nothing-here', { token });
    expectProblem(unknown, 404, 'ROUTE_NOT_FOUND');
    expect(unknown.headers.get('access-control-allow-origin')).toBe('*');

    const wrong = await call(url, `/api/jobs/${crypto.randomUUID()}`, { method: 'DELETE', token });
    expectProblem(wrong, 405, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')!.split(',').map((m) => m.trim()).sort()).toEqual(['GET', 'OPTIONS']);
    expect(wrong.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('CORS', () => {
  const browserPreflight = {
    Origin: 'http://localhost:5173',
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'authorization,content-type',
  };

  it('answers the preflight of every route with 204 and the CORS headers, without a token', async () => {
    const id = crypto.randomUUID();
    for (const path of ['/api/jobs', `/api/jobs/${id}`, `/api/jobs/${id}/result`, `/api/jobs/${id}/cancel`, `/api/jobs/${id}/retry`]) {
      const answer = await call(url, path, { method: 'OPTIONS', headers: browserPreflight });
      expect(answer.status, path).toBe(204);
      expect(answer.text).toBe('');
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
      const methods = answer.headers.get('access-control-allow-methods')!.split(',').map((m) => m.trim());
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'OPTIONS']));
      const allowed = answer.headers.get('access-control-allow-headers')!.toLowerCase().split(',').map((h) => h.trim());
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    }
  });

  it('sets Access-Control-Allow-Origin on a 2xx, a 4xx and a 401', async () => {
    const user = clientOf('cors');
    const origin = { Origin: 'http://localhost:5173' };
    const created = await user.call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: `cors ${nonce()}` } }, headers: origin });
    expect(created.status).toBe(202);
    const listed = await user.call('/api/jobs', { headers: origin });
    expect(listed.status).toBe(200);
    const missing = await user.call(`/api/jobs/${crypto.randomUUID()}`, { headers: origin });
    expect(missing.status).toBe(404);
    const unauthenticated = await call(url, '/api/jobs', { headers: origin });
    expect(unauthenticated.status).toBe(401);
    for (const answer of [created, listed, missing, unauthenticated]) {
      expect(answer.headers.get('access-control-allow-origin'), String(answer.status)).toBe('*');
    }
    // A browser script may read Location and Retry-After of the 202.
    const exposed = created.headers.get('access-control-expose-headers')!.toLowerCase();
    expect(exposed).toContain('location');
    expect(exposed).toContain('retry-after');
  });
});

describe("another user's jobs", () => {
  /** The answer with the volatile parts (request ids, dates, the job id) normalized away. */
  function shape(answer: Answer, id: string) {
    const { requestId, ...body } = answer.json ?? {};
    expect(requestId).toMatch(UUID);
    const headers = [...answer.headers.entries()]
      .filter(([name]) => !['date', 'x-amzn-requestid', 'x-request-id', 'content-length'].includes(name))
      .sort();
    return { status: answer.status, headers, body: JSON.parse(JSON.stringify(body).replaceAll(id, '<id>')) };
  }

  it('are 404 JOB_NOT_FOUND for GET, result, cancel and retry, exactly as a job that does not exist', async () => {
    const owner = clientOf('owner');
    const intruder = clientOf('intruder');
    // A job still running (cancellable) and one that has FAILED (retryable).
    const running = await owner.createJob(`owner's slow job ${nonce()} [[delay:3000]]`);
    const failed = await owner.createJob(`owner's failing job ${nonce()} [[fail:ValidationException]]`);
    expect((await owner.waitForFinish(failed)).status).toBe('FAILED');

    const random = crypto.randomUUID();
    const actions = {
      get: (client: Client, id: string) => client.get(id),
      result: (client: Client, id: string) => client.result(id),
      cancel: (client: Client, id: string) => client.cancel(id),
      retry: (client: Client, id: string) => client.retry(id),
    };
    for (const [name, action] of Object.entries(actions)) {
      const target = name === 'retry' ? failed : running;
      const foreign = await action(intruder, target);
      expectProblem(foreign, 404, 'JOB_NOT_FOUND');
      const nonexistent = await action(intruder, random);
      expectProblem(nonexistent, 404, 'JOB_NOT_FOUND');
      expect(shape(foreign, target), name).toEqual(shape(nonexistent, random));
      expect(foreign.json.requestId).not.toBe(nonexistent.json.requestId);
    }

    const triedUntil = Date.now();

    // Nothing the intruder did had any effect.
    expect((await owner.job(failed)).status).toBe('FAILED');
    const finished = await owner.waitForFinish(running);
    expect(finished.status).toBe('COMPLETED');
    // It was still running (so cancellable) while the intruder tried.
    expect(Date.parse(finished.completedAt)).toBeGreaterThan(triedUntil);
    expect((await owner.result(running)).status).toBe(200);
    expectProblem(await intruder.result(running), 404, 'JOB_NOT_FOUND');
    expect(await intruder.allJobs()).toEqual([]);
  }, 30_000);

  it('answers 400 INVALID_JOB_ID for an id that is not a UUID, on every job route', async () => {
    const user = clientOf('badid');
    // An upper-case UUID is the same id.
    const id = await user.createJob(`upper-case id ${nonce()}`);
    const upper = await user.get(id.toUpperCase());
    expect(upper.status).toBe(200);
    expect(upper.json.id).toBe(id);
    for (const answer of [
      await user.get('not-a-uuid'),
      await user.result('12345'),
      await user.cancel('550e8400-e29b-41d4-a716-44665544000'),
      await user.retry('zzzzzzzz-e29b-41d4-a716-446655440000'),
    ]) {
      expectProblem(answer, 400, 'INVALID_JOB_ID');
    }
  });
});

describe('bad input to POST /api/jobs', () => {
  it('answers 400, 413, 415 and 422 problems, and creates nothing', async () => {
    const user = clientOf('badinput');

    expectProblem(await user.call('/api/jobs', { method: 'POST', body: '{"type":"AI_PREVIEW",' }), 400, 'INVALID_JSON');
    expectProblem(await user.call('/api/jobs', { method: 'POST', body: '' , headers: { 'Content-Type': 'application/json' } }), 400, 'INVALID_JSON');

    const unknownType = await user.create({ prompt: 'hello' }, 'NO_SUCH_TYPE');
    expectProblem(unknownType, 422, 'UNKNOWN_JOB_TYPE');
    expect(unknownType.json.errors).toEqual([{ path: 'type', message: expect.stringContaining('AI_PREVIEW') }]);

    const invalid = await user.create({ prompt: '   ', maxTokens: 0 });
    expectProblem(invalid, 422, 'VALIDATION_FAILED');
    const paths = (invalid.json.errors as { path: string }[]).map((error) => error.path).sort();
    expect(paths).toEqual(['input.maxTokens', 'input.prompt']);

    const unknownField = await user.call('/api/jobs', { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: 'x' }, extra: 1 } });
    expectProblem(unknownField, 422, 'VALIDATION_FAILED');

    // Over 256 KB: refused for its size before anything else is looked at.
    const big = JSON.stringify({ type: 'AI_PREVIEW', input: { prompt: 'x'.repeat(300 * 1024) } });
    const tooLarge = await user.call('/api/jobs', { method: 'POST', body: big });
    expectProblem(tooLarge, 413, 'PAYLOAD_TOO_LARGE');
    expect(tooLarge.json.limitBytes).toBe(256 * 1024);

    const wrongType = await user.call('/api/jobs', { method: 'POST', body: 'prompt=hello', headers: { 'Content-Type': 'text/plain' } });
    expectProblem(wrongType, 415, 'UNSUPPORTED_MEDIA_TYPE');

    // Just under the limit is fine as far as size goes (the prompt is then too long: 422).
    const underLimit = JSON.stringify({ type: 'AI_PREVIEW', input: { prompt: 'x'.repeat(250 * 1024) } });
    expectProblem(await user.call('/api/jobs', { method: 'POST', body: underLimit }), 422, 'VALIDATION_FAILED');

    expect(await user.allJobs()).toEqual([]);
  });
});

describe('GET /api/jobs', () => {
  it("walks a user's jobs newest first with ?limit=2 and nextCursor; other users see none of them", async () => {
    const user = clientOf('lister');
    const created: { id: string; createdAt: string }[] = [];
    for (let index = 0; index < 5; index++) {
      const answer = await user.create({ prompt: `list item ${index} ${nonce()}` });
      expect(answer.status).toBe(202);
      created.push({ id: answer.json.id, createdAt: answer.json.createdAt });
    }
    // Sequential creates: strictly increasing creation times, so "newest first" is one order.
    for (let index = 1; index < created.length; index++) {
      expect(Date.parse(created[index]!.createdAt)).toBeGreaterThan(Date.parse(created[index - 1]!.createdAt));
    }
    const expected = created.map((job) => job.id).reverse();

    const pages: string[][] = [];
    let cursor: string | null = null;
    let firstCursor: string | null = null;
    do {
      const answer: Answer = await user.list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(answer.status, answer.text).toBe(200);
      expect(Object.keys(answer.json).sort()).toEqual(['items', 'nextCursor']);
      expect(answer.json.items.length).toBeLessThanOrEqual(2);
      pages.push(answer.json.items.map((job: { id: string }) => job.id));
      cursor = answer.json.nextCursor;
      firstCursor ??= cursor;
      expect(pages.length).toBeLessThanOrEqual(4);
    } while (cursor);
    expect(pages.flat()).toEqual(expected);
    expect(pages[0]).toHaveLength(2);
    expect(firstCursor).toEqual(expect.any(String));

    // Another user sees none of them, and cannot use this user's cursor.
    const other = clientOf('other-lister');
    const theirs = await other.list();
    expect(theirs.status).toBe(200);
    expect(theirs.json).toEqual({ items: [], nextCursor: null });
    expectProblem(await other.list(`?limit=2&cursor=${encodeURIComponent(firstCursor!)}`), 400, 'INVALID_CURSOR');

    // A tampered cursor, or one reused with other filters, is refused.
    const [body, signature] = firstCursor!.split('.');
    const flipped = `${body}.${signature![0] === 'A' ? 'B' : 'A'}${signature!.slice(1)}`;
    expectProblem(await user.list(`?limit=2&cursor=${encodeURIComponent(flipped)}`), 400, 'INVALID_CURSOR');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
    const edited = `${Buffer.from(JSON.stringify({ ...payload, ownerId: 'someone-else' })).toString('base64url')}.${signature}`;
    expectProblem(await user.list(`?limit=2&cursor=${encodeURIComponent(edited)}`), 400, 'INVALID_CURSOR');
    expectProblem(await user.list(`?limit=2&status=PENDING&cursor=${encodeURIComponent(firstCursor!)}`), 400, 'INVALID_CURSOR');
    expectProblem(await user.list('?limit=2&cursor=garbage'), 400, 'INVALID_CURSOR');

    // The untouched cursor still works.
    const second = await user.list(`?limit=2&cursor=${encodeURIComponent(firstCursor!)}`);
    expect(second.status).toBe(200);
    expect(second.json.items.map((job: { id: string }) => job.id)).toEqual(expected.slice(2, 4));
  });

  it('answers 400 INVALID_QUERY for a bad limit or an unknown parameter', async () => {
    const user = clientOf('query');
    expectProblem(await user.list('?limit=0'), 400, 'INVALID_QUERY');
    expectProblem(await user.list('?limit=101'), 400, 'INVALID_QUERY');
    expectProblem(await user.list('?colour=blue'), 400, 'INVALID_QUERY');
    expectProblem(await user.list('?limit=1&limit=2'), 400, 'INVALID_QUERY');
  });

  it('treats parameters and headers named like Object.prototype members as any other name, on every route', async () => {
    const user = clientOf('query');
    const id = await user.createJob(`prototype names ${nonce()}`);
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    for (const name of names) {
      // An unknown list parameter is a 400, whatever its name.
      const list = await user.list(`?${name}=x`);
      expectProblem(list, 400, 'INVALID_QUERY');
      expect(list.json.detail).toContain(name);
      expect(list.headers.get('access-control-allow-origin')).toBe('*');
      // Other routes ignore the query and the header, as they ignore any other.
      const headers = { [name]: 'x' };
      expect((await user.call(`/api/jobs/${id}?${name}=x`, { headers })).status).toBe(200);
      expect((await user.call(`/api/jobs/${id}/result?${name}=x`, { headers })).status).toBeLessThan(500);
      expect((await user.call(`/api/jobs?${name}=x`, { headers: { [name]: 'x' } })).status).toBe(400);
      const created = await user.call(`/api/jobs?${name}=x`, {
        method: 'POST',
        headers,
        body: { type: 'AI_PREVIEW', input: { prompt: `with a ${name} header ${nonce()}` } },
      });
      expect(created.status).toBe(202);
    }
  });

  it('answers a 20,000-character URL with a 414 problem', async () => {
    const answer = await clientOf('query').list(`?status=${'x'.repeat(20_000)}`);
    expectProblem(answer, 414, 'URI_TOO_LONG');
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });
});
