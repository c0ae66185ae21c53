/**
 * The local API gateway: an HTTP server on loopback that plays API Gateway (REST API, Lambda proxy
 * integrations, Cognito user-pool authorizer, CORS) in front of the route handlers, routing with
 * the same route table the CDK stack builds the API from.
 *
 * What it does as API Gateway does:
 * - OPTIONS on a route's path is the CORS preflight of `defaultCorsPreflightOptions` in
 *   lib/constructs/jobs-api.ts: 204, no authorizer.
 * - Every other method needs `Authorization: <ID token>` (with or without `Bearer `), verified as
 *   the Cognito authorizer does; otherwise 401 with the problem+json body of the stack's
 *   UNAUTHORIZED gateway response (detail `Unauthorized`, as API Gateway's message), CORS headers,
 *   and the handler is never called.
 * - The handler gets an APIGatewayProxyEvent like a REST proxy integration's: `resource` is the
 *   template, claims are strings (see `claimsAsStrings`), single-value headers and query keep the
 *   last value, `path` is the path as sent (still percent-encoded), path parameters are decoded.
 * - Bodies over 10 MB get 413; a handler that throws or answers a malformed proxy result gets 502;
 *   one that takes longer than the 29 s integration timeout gets 504.
 * - Every answer carries `x-amzn-RequestId` = `requestContext.requestId`.
 *
 * Where it differs, on purpose:
 * - There is no stage in the URL (the base URL is `http://127.0.0.1:<port>`), so
 *   `requestContext.path` equals `path` and Location headers are `/api/jobs/<id>`, as behind a
 *   custom domain. `requestContext.stage` is `local`.
 * - An unknown path answers 404 `ROUTE_NOT_FOUND`, and a known path with another method 405
 *   `METHOD_NOT_ALLOWED` with `Allow`: API Gateway answers both with 403 "Missing Authentication
 *   Token", which misleads more than it helps. Both are problem+json with CORS headers.
 * - Its own errors (401, 404, 405, 413, 502, 504, and 414, 431 or 400 for a URL or headers too
 *   large for Node's parser or malformed HTTP) are problem+json; API Gateway's 5xx bodies are
 *   `{"message": …}`. CORS headers on them come from `corsHeaders` (the handlers' rule), which
 *   allows the same origins as the stack's gateway responses.
 * - The body is base64 (`isBase64Encoded`) only when it is not text: a binary content type or
 *   bytes that are not UTF-8. The stack declares no binary media types, so API Gateway would pass
 *   such bytes through as (mangled) text.
 */
import { randomUUID } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ROUTES, type RouteName } from '../../lambdas/api/routes.ts';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemCode } from '../../lambdas/http/problem.ts';
import { corsHeaders } from '../../lambdas/http/responses.ts';
import { LOCAL_REGION } from './tokens.ts';

/** A route's Lambda handler, as the handler modules export it. */
export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Verifies a token and returns its claims; rejects when the token is not acceptable. */
export interface TokenVerifier {
  verify(token: string): Promise<Record<string, unknown>>;
}

export interface GatewayOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Loopback only. */
  readonly host?: '127.0.0.1';
  readonly handlers: Readonly<Record<RouteName, Handler>>;
  readonly verifier: TokenVerifier;
  /** CORS origins, as given to the stack; `['*']` allows any. */
  readonly allowedOrigins: readonly string[];
  /** `requestContext.stage`. @default 'local' */
  readonly stage?: string;
  /** Receives one line per request, and handler failures. */
  readonly log?: (line: string) => void;
  /** @default 10 MB, API Gateway's payload limit */
  readonly maxBodyBytes?: number;
  /** @default 29 s, API Gateway's default integration timeout */
  readonly integrationTimeoutMs?: number;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** API Gateway REST's maximum payload: 10 MB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
export const INTEGRATION_TIMEOUT_MS = 29_000;

/**
 * The preflight answer of `defaultCorsPreflightOptions` in lib/constructs/jobs-api.ts:
 * methods GET, POST, OPTIONS; aws-cdk-lib's `Cors.DEFAULT_HEADERS`; max age one hour; 204.
 */
export const PREFLIGHT = {
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent'],
  maxAgeSeconds: 3600,
  status: 204,
} as const;

const REQUEST_ID_HEADER = 'x-amzn-RequestId';

/** A route template, e.g. `/api/jobs/{id}`, with the methods defined on it. */
interface Resource {
  readonly path: string;
  readonly segments: readonly ({ readonly literal: string } | { readonly param: string })[];
  readonly methods: ReadonlyMap<string, RouteName>;
}

interface Match {
  readonly resource: Resource;
  readonly pathParameters: Record<string, string> | null;
}

/** A response the gateway writes. */
interface Reply {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
  /** Why, for the log line. */
  readonly note?: string;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (options.allowedOrigins.length === 0) throw new Error('The gateway needs at least one allowed origin');
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('The local gateway binds loopback (127.0.0.1) only');
  const resources = buildResources();
  for (const route of ROUTES) {
    if (typeof options.handlers[route.name] !== 'function') throw new Error(`No handler for route ${route.name}`);
  }

  const server = createServer((req, res) => {
    res.on('error', () => {}); // the client went away; nothing to do
    req.on('error', () => {});
    serve(req, res, resources, options).catch((error: unknown) => {
      // A bug of the gateway itself: answer if still possible.
      (options.log ?? console.error)(`gateway error: ${describe(error)}`);
      if (!res.headersSent && !res.destroyed) {
        const requestId = randomUUID();
        res.writeHead(500, { 'Content-Type': PROBLEM_CONTENT_TYPE, [REQUEST_ID_HEADER]: requestId });
        res.end(JSON.stringify(problem(500, 'INTERNAL_ERROR', 'The local gateway failed', requestId)));
      } else {
        res.destroy();
      }
    });
  });
  // Requests Node's HTTP parser refuses never reach the handler above: answer them with a problem
  // too (Node would write a bare status line and close).
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    if (!socket.writable || (error.code !== undefined && ['ECONNRESET', 'EPIPE'].includes(error.code))) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const [status, code, detail] = refusal(error);
    const reply = problemReply(status, code, detail, requestId, gatewayCors(error.rawPacket, options.allowedOrigins));
    const head = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
      ...Object.entries(reply.headers).map(([name, value]) => `${name}: ${String(value)}`),
      `${REQUEST_ID_HEADER}: ${requestId}`,
      `Content-Length: ${reply.body.length}`,
      'Connection: close',
    ];
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), reply.body]));
    options.log?.(`(unparsed request) ${status} (${error.code ?? error.message})`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  resources: readonly Resource[],
  options: GatewayOptions,
): Promise<void> {
  const started = Date.now();
  const requestId = randomUUID();
  const method = (req.method ?? 'GET').toUpperCase();
  const { path, query } = splitUrl(req.url ?? '/');
  const headers = collectHeaders(req.rawHeaders);
  // corsHeaders only reads the request's headers.
  const cors = corsHeaders({ headers: headers.single } as unknown as APIGatewayProxyEvent, options.allowedOrigins);
  const fail = (status: number, code: ProblemCode, detail: string, note?: string, extra: OutgoingHttpHeaders = {}): Reply =>
    problemReply(status, code, detail, requestId, { ...cors, ...extra }, note);

  const reply = await (async (): Promise<Reply | undefined> => {
    const match = path === undefined ? undefined : matchResource(resources, path);
    if (!match || path === undefined) return fail(404, 'ROUTE_NOT_FOUND', `No route matches ${method} ${truncate(req.url ?? '', 200)}`);
    if (method === 'OPTIONS') return preflight(headers.single, options.allowedOrigins);
    const routeName = match.resource.methods.get(method);
    if (!routeName) {
      const allow = [...match.resource.methods.keys(), 'OPTIONS'].join(', ');
      return fail(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${match.resource.path}; allowed: ${allow}`, undefined, {
        Allow: allow,
      });
    }

    const maxBytes = options.maxBodyBytes ?? MAX_PAYLOAD_BYTES;
    const body = await readBody(req, maxBytes);
    if (body === 'aborted') return undefined;
    if (body === 'too-large') {
      return fail(413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBytes} bytes`, undefined, { Connection: 'close' });
    }

    const auth = await authorize(headers.single, options.verifier);
    if ('reason' in auth) return fail(401, 'UNAUTHENTICATED', 'Unauthorized', `unauthenticated: ${auth.reason}`);

    const event = proxyEvent({
      req,
      method,
      path,
      query,
      headers,
      body,
      match,
      claims: auth.claims,
      requestId,
      requestTimeEpoch: started,
      stage: options.stage ?? 'local',
    });
    return invoke(options.handlers[routeName], routeName, event, options, (status, code, detail, note) =>
      fail(status, code, detail, note),
    );
  })();

  if (!reply) {
    options.log?.(`${method} ${truncate(req.url ?? '', 200)} - ${Date.now() - started}ms (client aborted)`);
    return;
  }
  const failure = write(res, reply, requestId);
  const [status, note] = failure ? [502, failure] : [reply.status, reply.note];
  options.log?.(`${method} ${truncate(req.url ?? '', 200)} ${status} ${Date.now() - started}ms${note ? ` (${note})` : ''}`);
}

async function invoke(
  handler: Handler,
  name: RouteName,
  event: APIGatewayProxyEvent,
  options: GatewayOptions,
  fail: (status: number, code: ProblemCode, detail: string, note: string) => Reply,
): Promise<Reply> {
  const timeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let result: unknown;
  try {
    result = await Promise.race([Promise.resolve().then(() => handler(event, lambdaContext(name, deadline))), timedOut]);
  } catch (error) {
    (options.log ?? console.error)(`handler ${name} failed (requestId ${event.requestContext.requestId}): ${describe(error)}`);
    return fail(502, 'INTERNAL_ERROR', 'Internal server error', `handler ${name} threw`);
  } finally {
    clearTimeout(timer);
  }
  if (result === 'timeout') {
    return fail(504, 'SERVICE_UNAVAILABLE', 'Endpoint request timed out', `handler ${name} took over ${timeoutMs}ms`);
  }
  const reply = fromProxyResult(result);
  if (typeof reply === 'string') {
    (options.log ?? console.error)(`handler ${name} answered a malformed Lambda proxy response: ${reply}`);
    return fail(502, 'INTERNAL_ERROR', 'Internal server error', `malformed proxy response: ${reply}`);
  }
  return reply;
}

/** Longest request line (method, URL, version) the gateway reads; API Gateway takes 10 KB of URL and headers. */
const MAX_REQUEST_LINE_BYTES = 8 * 1024;

/** The problem for a request Node's parser refused: a URL or headers too large, or malformed HTTP. */
function refusal(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): [number, ProblemCode, string] {
  if (error.code === 'HPE_HEADER_OVERFLOW' || error.code === 'HPE_URI_TOO_LONG') {
    const raw = error.rawPacket ?? Buffer.alloc(0);
    const lineEnd = raw.indexOf('\r\n');
    if (error.code === 'HPE_URI_TOO_LONG' || lineEnd < 0 || lineEnd > MAX_REQUEST_LINE_BYTES) {
      return [414, 'URI_TOO_LONG', `The request URL is too long; keep the URL under ${MAX_REQUEST_LINE_BYTES} bytes`];
    }
    return [431, 'HEADERS_TOO_LARGE', 'The request headers are too large'];
  }
  return [400, 'MALFORMED_REQUEST', 'The request is not valid HTTP'];
}

/** CORS headers for an answer to a request whose headers were not parsed. */
function gatewayCors(raw: Buffer | undefined, allowedOrigins: readonly string[]): OutgoingHttpHeaders {
  const exposed = { 'Access-Control-Expose-Headers': REQUEST_ID_HEADER };
  if (allowedOrigins.includes('*')) return { 'Access-Control-Allow-Origin': '*', ...exposed };
  const origin = /\r\norigin:[ \t]*([^\r\n]*?)[ \t]*\r\n/i.exec(raw?.toString('latin1') ?? '')?.[1];
  if (origin && allowedOrigins.includes(origin)) return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...exposed };
  return { Vary: 'Origin' };
}

// ---------------------------------------------------------------------------------------------
// Routing

function buildResources(): Resource[] {
  const byPath = new Map<string, Map<string, RouteName>>();
  for (const route of ROUTES) {
    const methods = byPath.get(route.path) ?? new Map<string, RouteName>();
    methods.set(route.method, route.name);
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    path,
    methods,
    segments: path
      .split('/')
      .slice(1)
      .map((part) => {
        const param = /^\{(\w+)\}$/.exec(part)?.[1];
        return param ? { param } : { literal: part };
      }),
  }));
}

/**
 * The resource for a path; a literal segment wins over a parameter, as in API Gateway. One
 * trailing slash is ignored; empty segments match nothing.
 */
function matchResource(resources: readonly Resource[], path: string): Match | undefined {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.split('/').slice(1).map(decodeSegment);
  let best: { match: Match; score: string } | undefined;
  for (const resource of resources) {
    if (resource.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let score = '';
    let matches = true;
    for (const [index, segment] of resource.segments.entries()) {
      const part = parts[index]!;
      if (part === '') {
        matches = false;
      } else if ('literal' in segment) {
        matches = part === segment.literal;
        score += '1';
      } else {
        params[segment.param] = part;
        score += '0';
      }
      if (!matches) break;
    }
    if (!matches) continue;
    if (!best || score > best.score) {
      best = { score, match: { resource, pathParameters: Object.keys(params).length > 0 ? params : null } };
    }
  }
  return best?.match;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function splitUrl(url: string): { path: string | undefined; query: string } {
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`) or `*`
    try {
      const parsed = new URL(target);
      target = `${parsed.pathname}${parsed.search}`;
    } catch {
      return { path: undefined, query: '' };
    }
  }
  const at = target.indexOf('?');
  return at < 0 ? { path: target, query: '' } : { path: target.slice(0, at), query: target.slice(at + 1) };
}

// ---------------------------------------------------------------------------------------------
// CORS preflight and authorization

function preflight(headers: Readonly<Record<string, string>>, allowedOrigins: readonly string[]): Reply {
  const out: OutgoingHttpHeaders = {
    'Content-Type': 'application/json',
    'Access-Control-Allow-Headers': PREFLIGHT.allowHeaders.join(','),
    'Access-Control-Allow-Methods': PREFLIGHT.allowMethods.join(','),
    'Access-Control-Max-Age': String(PREFLIGHT.maxAgeSeconds),
  };
  if (allowedOrigins.includes('*')) {
    out['Access-Control-Allow-Origin'] = '*';
  } else {
    // As the stack's mock integration: the first origin, or the request's Origin when it is one
    // of the others.
    const origin = headerValue(headers, 'origin');
    out['Access-Control-Allow-Origin'] = origin && allowedOrigins.includes(origin) ? origin : allowedOrigins[0];
    out.Vary = 'Origin';
  }
  return { status: PREFLIGHT.status, headers: out, body: Buffer.alloc(0) };
}

async function authorize(
  headers: Readonly<Record<string, string>>,
  verifier: TokenVerifier,
): Promise<{ claims: Record<string, string> } | { reason: string }> {
  const value = headerValue(headers, 'authorization')?.trim();
  if (!value) return { reason: 'no Authorization header' };
  // The Cognito authorizer takes the header's value as the token; a `Bearer ` prefix is accepted too.
  const token = /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '') : value;
  if (!token) return { reason: 'empty token' };
  try {
    const payload = await verifier.verify(token);
    return { claims: claimsAsStrings(payload) };
  } catch (error) {
    return { reason: truncate(error instanceof Error ? error.message : String(error), 200) };
  }
}

/**
 * Claims as API Gateway's Cognito authorizer passes them to a REST proxy integration: every value
 * a string; `exp` and `iat` as `Wed May 01 13:10:22 UTC 2024`; other numbers and booleans as
 * text (`"1714565422"`, `"true"`); arrays comma-joined (`cognito:groups`: `"a,b"`); objects as JSON.
 */
export function claimsAsStrings(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  const claims: [string, string][] = [];
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if ((name === 'exp' || name === 'iat') && typeof value === 'number') claims.push([name, javaDate(value)]);
    else if (typeof value === 'string') claims.push([name, value]);
    else if (typeof value === 'number' || typeof value === 'boolean') claims.push([name, String(value)]);
    else if (Array.isArray(value)) claims.push([name, value.map(String).join(',')]);
    else claims.push([name, JSON.stringify(value)]);
  }
  // Own properties only, whatever the names (a claim named `__proto__` stays a claim).
  return Object.fromEntries(claims);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');

/** Epoch seconds as Java's `Date.toString()` in UTC. */
function javaDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${time} UTC ${d.getUTCFullYear()}`;
}

/** `22/Nov/2026:09:53:28 +0000`, as `requestContext.requestTime`. */
function clfDate(epochMs: number): string {
  const d = new Date(epochMs);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${time} +0000`;
}

// ---------------------------------------------------------------------------------------------
// The request: headers, body, the proxy event

interface RequestHeaders {
  /** Last value per name, names as first sent. */
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

function collectHeaders(rawHeaders: readonly string[]): RequestHeaders {
  // Names are the client's: collect them in Maps, so that `__proto__` or `constructor` are names
  // like any other, and build the objects with own properties only (as JSON.parse would in AWS).
  const names = new Map<string, string>(); // lower-case → as first sent
  const values = new Map<string, string[]>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const sent = rawHeaders[index]!;
    const value = rawHeaders[index + 1]!;
    const name = names.get(sent.toLowerCase()) ?? sent;
    names.set(sent.toLowerCase(), name);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return {
    single: Object.fromEntries([...values].map(([name, list]) => [name, list[list.length - 1]!])),
    multi: Object.fromEntries(values),
  };
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** Reads the body up to `maxBytes`; a declared Content-Length over it is refused unread. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too-large' | 'aborted') => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle('too-large'); // the rest is read and dropped; the answer closes the connection
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks, size)));
    req.on('aborted', () => settle('aborted'));
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle(req.complete ? Buffer.concat(chunks, size) : 'aborted'));
  });
}

/** Content types whose bodies API Gateway hands over as text. */
const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml))\b)/i;

function encodeBody(body: Buffer, contentType: string | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  const textual = contentType === undefined || TEXT_TYPE.test(contentType.trim());
  if (textual && isUtf8(body)) return { body: body.toString('utf8'), isBase64Encoded: false };
  return { body: body.toString('base64'), isBase64Encoded: true };
}

interface EventInput {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: RequestHeaders;
  readonly body: Buffer;
  readonly match: Match;
  readonly claims: Record<string, string>;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly stage: string;
}

function proxyEvent(input: EventInput): APIGatewayProxyEvent {
  const { req, method, path, match, requestId, stage } = input;
  const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  const headers = { ...input.headers.single };
  const multiValueHeaders = Object.fromEntries(Object.entries(input.headers.multi).map(([k, v]) => [k, [...v]]));
  // API Gateway appends the caller to X-Forwarded-For and sets the port and protocol it served.
  const forwarded: Record<string, string> = {
    'X-Forwarded-For': [headerValue(headers, 'x-forwarded-for'), sourceIp].filter(Boolean).join(', '),
    'X-Forwarded-Port': String(req.socket.localPort ?? ''),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    for (const key of Object.keys(multiValueHeaders)) if (key.toLowerCase() === name.toLowerCase()) delete multiValueHeaders[key];
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  const { single: query, multi: multiQuery } = parseQuery(input.query);
  const { body, isBase64Encoded } = encodeBody(input.body, headerValue(headers, 'content-type'));
  const resourcePath = match.resource.path;
  return {
    resource: resourcePath,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: match.pathParameters ? { ...match.pathParameters } : null,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: { claims: input.claims },
      domainName: headerValue(headers, 'host') ?? `127.0.0.1:${req.socket.localPort ?? ''}`,
      domainPrefix: 'local',
      extendedRequestId: requestId,
      httpMethod: method,
      identity: callerIdentity(sourceIp, headerValue(headers, 'user-agent') ?? null),
      // No stage prefix locally: the base URL has none (see the note at the top).
      path,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: clfDate(input.requestTimeEpoch),
      requestTimeEpoch: input.requestTimeEpoch,
      resourceId: 'local',
      resourcePath,
      stage,
    },
  };
}

/** Query parameters decoded; the single-value map keeps the last value, as API Gateway REST. */
function parseQuery(raw: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(raw)) values.set(key, [...(values.get(key) ?? []), value]);
  if (values.size === 0) return { single: null, multi: null };
  return {
    single: Object.fromEntries([...values].map(([key, list]) => [key, list[list.length - 1]!])),
    multi: Object.fromEntries(values),
  };
}

function lambdaContext(name: RouteName, deadline: number): Context {
  const functionName = `local-${name}`;
  const unsupported = () => {
    throw new Error('Callback-style completion is not supported by the local gateway');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

// ---------------------------------------------------------------------------------------------
// The response

/** Headers the gateway sets itself; a handler's values for them are dropped. */
const HOP_BY_HOP = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);

/** A Lambda proxy result as a reply, or why it is malformed. */
function fromProxyResult(result: unknown): Reply | string {
  if (typeof result !== 'object' || result === null) return 'not an object';
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Partial<APIGatewayProxyResult>;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return `statusCode ${JSON.stringify(statusCode)}`;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body is not a string';
  const out: OutgoingHttpHeaders = {};
  const names = new Map<string, string>();
  const put = (name: string, value: string | string[]) => {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) return;
    const previous = names.get(lower);
    if (previous !== undefined) delete out[previous];
    names.set(lower, name);
    out[name] = value;
  };
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    put(name, String(value));
  }
  // As API Gateway: for a name in both, multiValueHeaders wins.
  for (const [name, values] of Object.entries(multiValueHeaders ?? {})) {
    if (!Array.isArray(values)) continue;
    put(name, values.map(String));
  }
  if (!names.has('content-type')) out['Content-Type'] = 'application/json';
  const text = body ?? '';
  return {
    status: statusCode,
    headers: out,
    body: isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}

function problemReply(
  status: number,
  code: ProblemCode,
  detail: string,
  requestId: string,
  headers: OutgoingHttpHeaders,
  note?: string,
): Reply {
  return {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...headers },
    body: Buffer.from(JSON.stringify(problem(status, code, detail, requestId))),
    ...(note ? { note } : {}),
  };
}

/** Writes the reply; returns why it had to answer 502 instead, if it did. */
function write(res: ServerResponse, reply: Reply, requestId: string): string | undefined {
  if (res.headersSent || res.destroyed) return undefined;
  const noBody = reply.status === 204 || reply.status === 304 || (reply.status >= 100 && reply.status < 200);
  const headers: OutgoingHttpHeaders = { ...reply.headers };
  for (const name of Object.keys(headers)) if (name.toLowerCase() === REQUEST_ID_HEADER.toLowerCase()) delete headers[name];
  headers[REQUEST_ID_HEADER] = requestId;
  if (!noBody) headers['Content-Length'] = String(reply.body.length);
  try {
    res.writeHead(reply.status, headers);
  } catch (error) {
    // A header Node refuses (e.g. a control character in a handler's value).
    const fallback = problemReply(502, 'INTERNAL_ERROR', 'Internal server error', requestId, {});
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.writeHead(502, { ...fallback.headers, [REQUEST_ID_HEADER]: requestId, 'Content-Length': String(fallback.body.length) });
    res.end(fallback.body);
    return `unsendable response: ${error instanceof Error ? error.message : String(error)}`;
  }
  res.end(noBody ? undefined : reply.body);
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `requestContext.identity` of a request authorized by a user-pool token (no IAM caller). */
export function callerIdentity(sourceIp: string, userAgent: string | null): APIGatewayProxyEvent['requestContext']['identity'] {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}
