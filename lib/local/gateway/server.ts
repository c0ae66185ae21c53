/**
 * The HTTP side of the local gateway: the loopback server, each request's way through routing,
 * preflight, the body limit, authorization and the integration, and the log line.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ROUTES, type RouteName } from '../../../lambdas/api/routes.ts';
import { PROBLEM_CONTENT_TYPE, problem, type ProblemCode } from '../../../lambdas/http/problem.ts';
import { corsHeaders } from '../../../lambdas/http/responses.ts';
import { collectHeaders, proxyEvent } from '../api-gateway-events.ts';
import { authorize, type TokenVerifier } from './auth.ts';
import { documentReply } from './documents.ts';
import { preflight } from './cors.ts';
import { INTEGRATION_TIMEOUT_MS, invoke, type Handler } from './invoke.ts';
import { answerUnparsed, type ClientError } from './refusals.ts';
import { problemReply, REQUEST_ID_HEADER, write, type Reply } from './reply.ts';
import { buildResources, matchResource, splitUrl, type Resource } from './router.ts';
import type { Site } from '../console-site.ts';
import { readBody } from './body.ts';
import { describe, truncate } from './text.ts';

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
  /** Pages served beside the API (the web console): asked first for every path outside /api/. */
  readonly site?: Site;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** API Gateway REST's maximum payload: 10 MB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

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
  server.on('clientError', (error: ClientError, socket) => {
    const line = answerUnparsed(error, socket, options.allowedOrigins);
    if (line) options.log?.(line);
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
  if (options.site && path !== undefined && !path.startsWith('/api/')) {
    const status = await options.site(req, res, { method, path });
    if (status !== undefined) {
      options.log?.(`${method} ${truncate(req.url ?? '', 200)} ${status} ${Date.now() - started}ms`);
      return;
    }
  }
  const headers = collectHeaders(req.rawHeaders);
  // corsHeaders only reads the request's headers.
  const cors = corsHeaders({ headers: headers.single } as unknown as APIGatewayProxyEvent, options.allowedOrigins);
  const fail = (status: number, code: ProblemCode, detail: string, note?: string, extra: OutgoingHttpHeaders = {}): Reply =>
    problemReply(status, code, detail, requestId, { ...cors, ...extra }, note);

  const reply = await (async (): Promise<Reply | undefined> => {
    const document = await documentReply(method, path, cors);
    if (document) return document;
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
      method,
      path,
      resource: match.resource.path,
      pathParameters: match.pathParameters,
      headers,
      query: new URLSearchParams(query),
      body,
      claims: auth.claims,
      requestId,
      requestTimeEpoch: started,
      stage: options.stage ?? 'local',
      // No stage prefix locally: the base URL has none (see lib/local/gateway.ts).
      basePath: '',
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      port: req.socket.localPort,
      httpVersion: req.httpVersion,
    });
    const integration = { timeoutMs: options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS, log: options.log ?? console.error };
    return invoke(options.handlers[routeName], routeName, event, integration, (status, code, detail, note) =>
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

