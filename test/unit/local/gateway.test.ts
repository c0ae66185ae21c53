import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basePath } from '../../../lambdas/api/http-adapter.ts';
import { ROUTES, type RouteName } from '../../../lambdas/api/routes.ts';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TITLES, problemType } from '../../../lambdas/http/problem.ts';
import { claimsAsStrings, PREFLIGHT, startGateway, type Gateway, type Handler } from '../../../lib/local/gateway.ts';
import {
  createLocalVerifier,
  issueIdToken,
  LOCAL_CLIENT_ID,
  LOCAL_ISSUER,
  loadOrCreateSigningKey,
  localSub,
  type SigningKey,
} from '../../../lib/local/tokens.ts';

const ORIGINS = ['http://localhost:5173', 'http://app.test'];
const JOB_ID = '0b9e5a4c-6d2f-4f43-9a51-3f1e2d7c8b90';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Call {
  readonly route: RouteName;
  readonly event: APIGatewayProxyEvent;
  readonly context: Context;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly json: any;
}

interface RequestSpec {
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: Buffer | string;
  /** Sends the body in chunked encoding (no Content-Length). */
  readonly chunked?: boolean;
}

describe('local gateway', () => {
  let dir: string;
  let key: SigningKey;
  let otherKey: SigningKey;
  let gateway: Gateway;
  let token: string;
  const calls: Call[] = [];
  const lines: string[] = [];
  /** What the fake handlers do; reset before each test. */
  let behaviour: (call: Call) => Promise<unknown>;

  const ok = async ({ route }: Call): Promise<APIGatewayProxyResult> => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'from-handler' },
    body: JSON.stringify({ route }),
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'local-gateway-'));
    key = loadOrCreateSigningKey(join(dir, 'keys'));
    otherKey = loadOrCreateSigningKey(join(dir, 'other-keys'));
    token = issueIdToken(key, 'alice');
    const handlers = Object.fromEntries(
      ROUTES.map((route) => [
        route.name,
        (async (event, context) => {
          const call = { route: route.name, event, context };
          calls.push(call);
          return (await behaviour(call)) as APIGatewayProxyResult;
        }) satisfies Handler,
      ]),
    ) as Record<RouteName, Handler>;
    gateway = await startGateway({
      port: 0,
      handlers,
      verifier: createLocalVerifier(key.jwks),
      allowedOrigins: ORIGINS,
      log: (line) => lines.push(line),
      integrationTimeoutMs: 1_000,
    });
  });

  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    calls.length = 0;
    lines.length = 0;
    behaviour = ok;
  });

  function send(path: string, spec: RequestSpec = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${gateway.url}${path}`, { method: spec.method ?? 'GET', headers: spec.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json: unknown;
          try {
            json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      });
      req.on('error', reject);
      if (spec.chunked) req.setHeader('Transfer-Encoding', 'chunked');
      if (spec.body !== undefined) req.write(spec.body);
      req.end();
    });
  }

  const authorized = (extra: Record<string, string | string[]> = {}) => ({
    Authorization: `Bearer ${token}`,
    Origin: ORIGINS[0]!,
    ...extra,
  });

  function expectProblem(answer: Answer, status: number, code: keyof typeof PROBLEM_TITLES) {
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe(PROBLEM_CONTENT_TYPE);
    expect(answer.json).toEqual({
      type: problemType(code),
      title: PROBLEM_TITLES[code],
      status,
      detail: expect.any(String),
      code,
      requestId: answer.headers['x-amzn-requestid'],
    });
    expect(answer.headers['x-amzn-requestid']).toMatch(UUID);
  }

  it('listens on loopback only', async () => {
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
    expect(gateway.port).toBeGreaterThan(0);
    await expect(
      startGateway({
        port: 0,
        host: '0.0.0.0' as '127.0.0.1',
        handlers: {} as Record<RouteName, Handler>,
        verifier: createLocalVerifier(key.jwks),
        allowedOrigins: ORIGINS,
      }),
    ).rejects.toThrow(/loopback/);
  });

  it('hands a GET to its route with the event API Gateway REST builds', async () => {
    const answer = await send(`/api/jobs/${JOB_ID}`, { headers: authorized({ 'User-Agent': 'gateway-test' }) });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ route: 'get-job' });
    expect(calls).toHaveLength(1);
    const { route, event, context } = calls[0]!;
    expect(route).toBe('get-job');
    expect(event).toMatchObject({
      httpMethod: 'GET',
      path: `/api/jobs/${JOB_ID}`,
      resource: '/api/jobs/{id}',
      pathParameters: { id: JOB_ID },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({ Authorization: `Bearer ${token}`, Origin: ORIGINS[0], 'User-Agent': 'gateway-test' });
    expect(event.multiValueHeaders).toMatchObject({ Authorization: [`Bearer ${token}`], Origin: [ORIGINS[0]] });
    const rc = event.requestContext;
    expect(rc).toMatchObject({
      httpMethod: 'GET',
      path: `/api/jobs/${JOB_ID}`,
      resourcePath: '/api/jobs/{id}',
      stage: 'local',
      identity: { sourceIp: '127.0.0.1', userAgent: 'gateway-test' },
    });
    expect(rc.requestId).toMatch(UUID);
    expect(rc.requestId).toBe(answer.headers['x-amzn-requestid']);
    expect(Math.abs(rc.requestTimeEpoch - Date.now())).toBeLessThan(10_000);
    // No stage before the path locally: Location headers are /api/jobs/<id>.
    expect(basePath(event)).toBe('');
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.functionName).toBe('local-get-job');
  });

  it('passes the verified claims as strings, as the Cognito authorizer does', async () => {
    await send(`/api/jobs/${JOB_ID}`, { headers: authorized() });
    const claims = calls[0]!.event.requestContext.authorizer?.claims as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: localSub('alice'),
      'cognito:username': 'alice',
      aud: LOCAL_CLIENT_ID,
      iss: LOCAL_ISSUER,
      token_use: 'id',
      email: 'alice@local.test',
      email_verified: 'true',
      auth_time: expect.stringMatching(/^\d+$/),
      exp: expect.stringMatching(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/),
      iat: expect.stringMatching(/ UTC \d{4}$/),
    });
    for (const value of Object.values(claims)) expect(typeof value).toBe('string');
  });

  it('formats claims like API Gateway: Java dates, text numbers and booleans, comma-joined lists', () => {
    expect(
      claimsAsStrings({ exp: 1714569022, iat: 1714565422, auth_time: 1714565422, email_verified: false, 'cognito:groups': ['a', 'b'] }),
    ).toEqual({
      exp: 'Wed May 01 13:10:22 UTC 2024',
      iat: 'Wed May 01 12:10:22 UTC 2024',
      auth_time: '1714565422',
      email_verified: 'false',
      'cognito:groups': 'a,b',
    });
  });

  it('routes every method and path of the route table to its handler', async () => {
    for (const route of ROUTES) {
      calls.length = 0;
      const values: Record<string, string> = { id: JOB_ID, wid: 'a1b2c3d4-0000-4000-8000-000000000001', principalId: 'user-b' };
      const parameters = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name!, values[name!]!]));
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
      const answer = await send(path, { method: route.method, headers: authorized() });
      expect(answer.json, `${route.method} ${path}`).toEqual({ route: route.name });
      expect(calls[0]?.event.resource).toBe(route.path);
      expect(calls[0]?.event.pathParameters).toEqual(Object.keys(parameters).length > 0 ? parameters : null);
    }
  });

  it('passes a JSON body as text and the query as single and multi values', async () => {
    const body = JSON.stringify({ type: 'AI_PREVIEW', input: { prompt: 'Grüße 👋' } });
    await send('/api/jobs?status=FAILED&tag=a&tag=b%20c&empty', {
      method: 'POST',
      headers: authorized({ 'Content-Type': 'application/json', 'X-Multi': ['one', 'two'] }),
      body,
    });
    const { route, event } = calls[0]!;
    expect(route).toBe('create-job');
    expect(event.body).toBe(body);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.queryStringParameters).toEqual({ status: 'FAILED', tag: 'b c', empty: '' });
    expect(event.multiValueQueryStringParameters).toEqual({ status: ['FAILED'], tag: ['a', 'b c'], empty: [''] });
    expect(event.headers['X-Multi']).toBe('two');
    expect(event.multiValueHeaders['X-Multi']).toEqual(['one', 'two']);
    expect(event.headers['X-Forwarded-Proto']).toBe('http');
    expect(event.headers['X-Forwarded-For']).toBe('127.0.0.1');
  });

  it('passes query parameters and headers named like Object.prototype members as plain values', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const query = names.map((name, index) => `${name}=v${index}&${name}=w${index}`).join('&');
    // fromEntries: own properties, even `__proto__` (an assignment would set the prototype).
    const headers = { ...authorized(), ...Object.fromEntries(names.map((name, index) => [name, [`h${index}`, `i${index}`]])) };
    const answer = await send(`/api/jobs?${query}`, { headers });
    expect(answer.status).toBe(200);
    const { event } = calls[0]!;
    for (const [index, name] of names.entries()) {
      expect(Object.hasOwn(event.queryStringParameters!, name)).toBe(true);
      expect(event.queryStringParameters![name]).toBe(`w${index}`);
      expect(event.multiValueQueryStringParameters![name]).toEqual([`v${index}`, `w${index}`]);
      expect(Object.hasOwn(event.headers, name)).toBe(true);
      expect(event.headers[name]).toBe(`i${index}`);
      expect(event.multiValueHeaders[name]).toEqual([`h${index}`, `i${index}`]);
    }
    // The event is what API Gateway hands a Lambda: it survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(event.queryStringParameters))).toEqual(
      Object.fromEntries(names.map((name, index) => [name, `w${index}`])),
    );
  });

  it('base64-encodes binary bodies and bodies that are not UTF-8', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    await send('/api/jobs', { method: 'POST', headers: authorized({ 'Content-Type': 'application/octet-stream' }), body: bytes });
    await send('/api/jobs', { method: 'POST', headers: authorized({ 'Content-Type': 'application/json' }), body: bytes });
    for (const { event } of calls) {
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body!, 'base64')).toEqual(bytes);
    }
  });

  it('writes the handler answer: status, headers, multi-value headers, base64 bodies', async () => {
    behaviour = async () => ({
      statusCode: 202,
      headers: { Location: `/api/jobs/${JOB_ID}`, 'Content-Type': 'image/png', 'x-amzn-RequestId': 'spoofed' },
      multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
      body: Buffer.from([1, 2, 3]).toString('base64'),
      isBase64Encoded: true,
    });
    const answer = await send('/api/jobs', { method: 'POST', headers: authorized(), body: '{}' });
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe(`/api/jobs/${JOB_ID}`);
    expect(answer.headers['content-type']).toBe('image/png');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.body).toEqual(Buffer.from([1, 2, 3]));
    expect(answer.headers['x-amzn-requestid']).toBe(calls[0]!.event.requestContext.requestId);

    behaviour = async () => ({ statusCode: 200, body: '{"a":1}' });
    const plain = await send(`/api/jobs/${JOB_ID}`, { headers: authorized() });
    expect(plain.headers['content-type']).toBe('application/json');
    expect(plain.json).toEqual({ a: 1 });
  });

  it('ignores one trailing slash and decodes path parameters', async () => {
    await send('/api/jobs/', { headers: authorized() });
    await send('/api/jobs/a%20b/result', { headers: authorized() });
    expect(calls.map((call) => call.route)).toEqual(['list-jobs', 'get-job-result']);
    expect(calls[0]!.event.path).toBe('/api/jobs/');
    expect(calls[1]!.event.path).toBe('/api/jobs/a%20b/result');
    expect(calls[1]!.event.pathParameters).toEqual({ id: 'a b' });
  });

  describe('CORS preflight', () => {
    it('answers OPTIONS on a route path with 204 and the stack preflight headers, without a token', async () => {
      const { Cors } = await import('aws-cdk-lib/aws-apigateway');
      // The stack allows the Idempotency-Key and If-None-Match headers too (lib/constructs/jobs-api.ts).
      expect(PREFLIGHT.allowHeaders).toEqual([...Cors.DEFAULT_HEADERS, 'Idempotency-Key', 'If-None-Match']);
      const answer = await send(`/api/jobs/${JOB_ID}/cancel`, {
        method: 'OPTIONS',
        headers: { Origin: ORIGINS[1]!, 'Access-Control-Request-Method': 'POST' },
      });
      expect(answer.status).toBe(204);
      expect(answer.body.length).toBe(0);
      expect(answer.headers).toMatchObject({
        'access-control-allow-origin': ORIGINS[1],
        'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE,OPTIONS',
        'access-control-allow-headers': 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,Idempotency-Key,If-None-Match',
        'access-control-max-age': '3600',
        vary: 'Origin',
      });
      expect(answer.headers['x-amzn-requestid']).toMatch(UUID);
      expect(calls).toHaveLength(0);
    });

    it('answers an unknown origin with the first allowed origin, as the stack mock integration', async () => {
      const answer = await send('/api/jobs', { method: 'OPTIONS', headers: { Origin: 'http://evil.test' } });
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-origin']).toBe(ORIGINS[0]);
    });

    it('allows any origin with *, on preflights and on its own errors', async () => {
      const open = await startGateway({
        port: 0,
        handlers: Object.fromEntries(ROUTES.map((route) => [route.name, ok])) as unknown as Record<RouteName, Handler>,
        verifier: createLocalVerifier(key.jwks),
        allowedOrigins: ['*'],
      });
      try {
        const preflight = await fetch(`${open.url}/api/jobs`, { method: 'OPTIONS', headers: { Origin: 'http://any.test' } });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
        expect(preflight.headers.get('vary')).toBeNull();
        const refused = await fetch(`${open.url}/api/jobs`, { headers: { Origin: 'http://any.test' } });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('access-control-allow-origin')).toBe('*');
      } finally {
        await open.close();
      }
    });
  });

  describe('errors of the gateway itself', () => {
    it('answers an unknown path with a 404 problem with CORS headers', async () => {
      for (const path of ['/', '/api', '/api/jobs/x/y/z', '/api//jobs', '/nope?x=1']) {
        const answer = await send(path, { headers: authorized() });
        expectProblem(answer, 404, 'ROUTE_NOT_FOUND');
        expect(answer.headers['access-control-allow-origin']).toBe(ORIGINS[0]);
      }
      const preflight = await send('/nope', { method: 'OPTIONS', headers: { Origin: ORIGINS[0]! } });
      expectProblem(preflight, 404, 'ROUTE_NOT_FOUND');
      expect(calls).toHaveLength(0);
    });

    it('answers another method on a known path with 405 and Allow', async () => {
      const del = await send(`/api/jobs/${JOB_ID}`, { method: 'DELETE', headers: authorized() });
      expectProblem(del, 405, 'METHOD_NOT_ALLOWED');
      expect(del.headers.allow).toBe('GET, OPTIONS');
      const put = await send('/api/jobs', { method: 'PUT', headers: authorized() });
      expect(put.headers.allow).toBe('POST, GET, OPTIONS');
      expect(put.headers['access-control-allow-origin']).toBe(ORIGINS[0]);
      expect(calls).toHaveLength(0);
    });

    it('refuses a body over 10 MB with 413, declared or streamed', async () => {
      const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x61);
      const declared = await send('/api/jobs', { method: 'POST', headers: authorized({ 'Content-Type': 'application/json' }), body: big });
      expectProblem(declared, 413, 'PAYLOAD_TOO_LARGE');
      expect(declared.headers['access-control-allow-origin']).toBe(ORIGINS[0]);
      const streamed = await send('/api/jobs', {
        method: 'POST',
        headers: authorized({ 'Content-Type': 'application/json' }),
        body: big,
        chunked: true,
      });
      expectProblem(streamed, 413, 'PAYLOAD_TOO_LARGE');
      expect(calls).toHaveLength(0);
      // Exactly 10 MB passes.
      await send('/api/jobs', { method: 'POST', headers: authorized({ 'Content-Type': 'application/json' }), body: big.subarray(1) });
      expect(calls).toHaveLength(1);
      expect(calls[0]!.event.body).toHaveLength(10 * 1024 * 1024);
    });

    it('answers a URL too long for it with a 414 problem, and oversized headers with a 431 problem', async () => {
      const longUrl = await send(`/api/jobs?status=${'x'.repeat(20_000)}`, { headers: authorized() });
      expectProblem(longUrl, 414, 'URI_TOO_LONG');
      expect(longUrl.json.detail).toMatch(/URL/);
      const bigHeader = await send('/api/jobs', { headers: authorized({ 'X-Padding': 'y'.repeat(20_000) }) });
      expectProblem(bigHeader, 431, 'HEADERS_TOO_LARGE');
      expect(calls).toHaveLength(0);
      // The gateway keeps serving afterwards.
      expect((await send(`/api/jobs/${JOB_ID}`, { headers: authorized() })).status).toBe(200);
    });

    it('answers malformed HTTP with a 400 problem, with CORS headers for an allowed Origin', async () => {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(gateway.port, '127.0.0.1', () =>
          socket.end(`GET /api/jobs HTTP/1.1\r\nHost: localhost\r\nOrigin: ${ORIGINS[1]}\r\nnot a header line\r\n\r\n`),
        );
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', reject);
      });
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
      expectProblem({ status: 400, headers, body: Buffer.from(body), json: JSON.parse(body) }, 400, 'MALFORMED_REQUEST');
      expect(headers['access-control-allow-origin']).toBe(ORIGINS[1]);
      expect(headers['access-control-expose-headers']).toBe('x-amzn-RequestId');
      expect(headers.connection).toBe('close');
      expect(calls).toHaveLength(0);
      expect(lines.at(-1)).toMatch(/^\(unparsed request\) 400 \(HPE_/);
    });

    it('answers 502 when the handler throws, and logs it', async () => {
      behaviour = async () => {
        throw new Error('boom in handler');
      };
      const answer = await send(`/api/jobs/${JOB_ID}`, { headers: authorized() });
      expectProblem(answer, 502, 'INTERNAL_ERROR');
      expect(answer.json.detail).toBe('Internal server error');
      expect(answer.headers['access-control-allow-origin']).toBe(ORIGINS[0]);
      expect(lines.some((line) => line.includes('boom in handler') && line.includes(answer.json.requestId))).toBe(true);
    });

    it('answers 502 to a malformed Lambda proxy response', async () => {
      for (const result of [undefined, 'text', { statusCode: '200', body: '' }, { statusCode: 200, body: { a: 1 } }]) {
        behaviour = async () => result;
        const answer = await send(`/api/jobs/${JOB_ID}`, { headers: authorized() });
        expectProblem(answer, 502, 'INTERNAL_ERROR');
      }
    });

    it('answers 504 when the handler outlives the integration timeout', async () => {
      behaviour = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '' }), 1_500));
      const answer = await send(`/api/jobs/${JOB_ID}`, { headers: authorized() });
      expectProblem(answer, 504, 'SERVICE_UNAVAILABLE');
    });
  });

  describe('authorization', () => {
    const refused: [string, () => Record<string, string>][] = [
      ['no Authorization header', () => ({})],
      ['an empty bearer', () => ({ Authorization: 'Bearer ' })],
      ['a malformed token', () => ({ Authorization: 'Bearer not.a.jwt' })],
      ['an expired token', () => ({ Authorization: `Bearer ${issueIdToken(key, 'alice', { now: new Date(Date.now() - 7_200_000) })}` })],
      ['another audience', () => ({ Authorization: `Bearer ${issueIdToken(key, 'alice', { overrides: { aud: 'other-client' } })}` })],
      [
        'an access token',
        () => ({ Authorization: `Bearer ${issueIdToken(key, 'alice', { overrides: { token_use: 'access', client_id: LOCAL_CLIENT_ID } })}` }),
      ],
      ['a token signed by another key', () => ({ Authorization: `Bearer ${issueIdToken(otherKey, 'alice')}` })],
      [
        'another key under our kid',
        () => ({ Authorization: `Bearer ${issueIdToken(otherKey, 'alice', { headerOverrides: { kid: key.kid } })}` }),
      ],
      ['another scheme', () => ({ Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` })],
    ];

    it.each(refused)('refuses %s with a 401 problem and CORS headers, never calling the handler', async (_name, headers) => {
      const answer = await send('/api/jobs', {
        method: 'POST',
        headers: { Origin: ORIGINS[1]!, 'Content-Type': 'application/json', ...headers() },
        body: '{"type":"AI_PREVIEW"}',
      });
      expectProblem(answer, 401, 'UNAUTHENTICATED');
      expect(answer.json.detail).toBe('Unauthorized');
      expect(answer.headers['access-control-allow-origin']).toBe(ORIGINS[1]);
      expect(answer.headers.vary).toBe('Origin');
      expect(calls).toHaveLength(0);
      expect(lines.at(-1)).toMatch(/^POST \/api\/jobs 401 \d+ms \(unauthenticated: .+\)$/);
    });

    it('accepts the token without the Bearer prefix, as the Cognito authorizer does', async () => {
      const answer = await send(`/api/jobs/${JOB_ID}`, { headers: { Authorization: token } });
      expect(answer.status).toBe(200);
      expect((calls[0]!.event.requestContext.authorizer?.claims as Record<string, string>).sub).toBe(localSub('alice'));
    });

    it('gives a 401 without CORS headers to an origin that is not allowed', async () => {
      const answer = await send('/api/jobs', { headers: { Origin: 'http://evil.test' } });
      expectProblem(answer, 401, 'UNAUTHENTICATED');
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('logs one line per request: method, path, status, duration', async () => {
    await send(`/api/jobs/${JOB_ID}?x=1`, { headers: authorized() });
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^GET /api/jobs/${JOB_ID}\\?x=1 200 \\d+ms$`))]);
  });

  it('survives clients that go away mid-body or mid-handler', async () => {
    // Mid-body: declare more than is sent, then drop the connection.
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${gateway.url}/api/jobs`, {
        method: 'POST',
        headers: { ...authorized(), 'Content-Type': 'application/json', 'Content-Length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"type":');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    // Mid-handler: the handler answers after the client left.
    let release: () => void = () => {};
    behaviour = () =>
      new Promise((resolve) => {
        release = () => resolve({ statusCode: 200, body: '{}' });
      });
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${gateway.url}/api/jobs/${JOB_ID}`, { headers: authorized() });
      req.on('error', () => resolve());
      req.end();
      const wait = setInterval(() => {
        if (calls.length > 0) {
          clearInterval(wait);
          req.destroy();
          setTimeout(() => {
            release();
            resolve();
          }, 50);
        }
      }, 5);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    behaviour = ok;
    const answer = await send(`/api/jobs/${JOB_ID}`, { headers: authorized() });
    expect(answer.status).toBe(200);
    expect(lines.some((line) => line.includes('client aborted'))).toBe(true);
  });
});
