/**
 * The Bedrock stand-in's server: Converse on loopback, each call read (`converse-validation.ts`),
 * counted and faulted by its directives (`directives.ts`) and answered (`answer.ts`).
 *
 * Transport: the SDK's Bedrock Runtime client sends over HTTP/2 by default (NodeHttp2Handler; for
 * an `http://` endpoint that is cleartext HTTP/2 with prior knowledge), while curl, fetch and
 * HTTP/1 request handlers send HTTP/1.1. One port serves both: each connection is routed by its
 * first bytes (the HTTP/2 connection preface or not).
 *
 * Wire format (AWS REST-JSON, as the SDK's `AwsRestJsonProtocol` expects):
 * - `POST /model/{modelId}/converse` (modelId URL-encoded; any id is accepted), JSON body;
 * - 200 `application/json`: `{ output: { message: { role: 'assistant', content: [{ text }] } },
 *   stopReason, usage: { inputTokens, outputTokens, totalTokens }, metrics: { latencyMs } }`, or
 *   with a toolConfig `content: [{ toolUse: { toolUseId, name, input } }]`; `metrics.latencyMs` is
 *   the real time spent answering;
 * - errors: the HTTP status Bedrock uses for that error, header `x-amzn-errortype: <Name>` and body
 *   `{ "message": "..." }` (ModelErrorException also carries `originalStatusCode` and
 *   `resourceName`). The SDK reads the error code from that header, so the thrown error's `name` is
 *   `<Name>` (an instance of the SDK's class for known names, a `BedrockRuntimeServiceException`
 *   named `<Name>` otherwise), its `message` is the body's, and `$metadata.httpStatusCode` the
 *   status. Unknown paths answer 404 `UnknownOperationException`.
 * - the stand-in's own `GET /__stand-in/stats` (DELETE resets the most at once): see StandInStats.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { MAX_DOCUMENT_BYTES, MAX_DOCUMENTS } from '../../../lambdas/domain/bedrock-limits.ts';
import { buildAnswer } from './answer.ts';
import { type ConverseCall, decodeModelId, parseConverse } from './converse-validation.ts';
import { CallCounters, failsCall, injectedError } from './directives.ts';
import { StandInError, validation } from './errors.ts';

export interface BedrockStandInOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Loopback only. */
  readonly host?: '127.0.0.1';
  /** One line per call; silent by default. */
  readonly log?: (line: string) => void;
}

export interface BedrockStandIn {
  /** Base URL, e.g. `http://127.0.0.1:4567`: the client's `endpoint`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections (SDK clients keep sockets alive). */
  close(): Promise<void>;
  /** Converse calls received so far (any outcome, SDK retries included). */
  readonly calls: number;
  /** Converse calls being served now, and the most served at once (also `GET /__stand-in/stats`). */
  stats(): StandInStats;
}

/**
 * What `GET /__stand-in/stats` answers (loopback only, as the whole stand-in): calls received,
 * calls being served now (received, not yet answered or dropped) and the most at once since the
 * start or the last `DELETE /__stand-in/stats`, which resets the most to the calls in flight.
 */
export interface StandInStats {
  readonly calls: number;
  readonly inFlight: number;
  readonly maxInFlight: number;
}

/** The stand-in's own path (not a Bedrock operation): its figures. */
export const STATS_PATH = '/__stand-in/stats';


/** Room for the most documents of the largest size, base64-encoded in the JSON body, and 2 MB more: 32 MB. */
const MAX_BODY_BYTES = Math.ceil((MAX_DOCUMENTS * MAX_DOCUMENT_BYTES * 4) / 3) + 2 * 1024 * 1024;
const CONVERSE_PATH = /^\/model\/([^/]+)\/converse$/;
/** What an HTTP/2 client sends first (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

type Request = IncomingMessage | Http2ServerRequest;
type Reply = ServerResponse | Http2ServerResponse;

/** True once the client's connection or stream is gone: nothing can be sent any more. */
function isGone(res: Reply): boolean {
  return 'stream' in res ? res.stream.destroyed : res.destroyed;
}

/**
 * Reads a connection's first bytes, puts them back and hands the socket to the HTTP/2 server if
 * they are the HTTP/2 connection preface, to the HTTP/1.1 server otherwise.
 */
function routeByPreface(socket: Socket, http1: { emit(event: 'connection', socket: Socket): boolean }, http2: { emit(event: 'connection', socket: Socket): boolean }): void {
  let received = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    received = Buffer.concat([received, chunk]);
    const length = Math.min(received.length, HTTP2_PREFACE.length);
    const isPrefix = received.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
    if (isPrefix && received.length < HTTP2_PREFACE.length) return; // undecided: wait for more
    socket.off('data', onData);
    socket.pause();
    socket.unshift(received);
    (isPrefix ? http2 : http1).emit('connection', socket);
    process.nextTick(() => socket.resume());
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

export async function startBedrockStandIn(options: BedrockStandInOptions = {}): Promise<BedrockStandIn> {
  const host = options.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`Bedrock stand-in: binds loopback only, not ${String(host)}`);
  const log = options.log ?? (() => {});
  const counters = new CallCounters();
  const pendingWaits = new Set<() => void>();
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const stats = (): StandInStats => ({ calls, inFlight, maxInFlight });

  const onRequest = (req: Request, res: Reply): void => {
    void handle(req, res).catch((error: unknown) => {
      log(`bedrock stand-in: internal failure: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent && !isGone(res)) {
        sendError(res, new StandInError('InternalServerException', 500, 'Stand-in internal failure'));
      }
    });
  };
  // The SDK's Bedrock Runtime client speaks HTTP/2 (cleartext, prior knowledge, for an http://
  // endpoint); curl, fetch and HTTP/1 request handlers speak HTTP/1.1. One port serves both: each
  // connection goes to the server its first bytes call for.
  const http1 = createHttp1Server(onRequest);
  const http2 = createHttp2Server(onRequest);
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    routeByPreface(socket, http1, http2);
  });

  async function handle(req: Request, res: Reply): Promise<void> {
    const startedAt = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === STATS_PATH && (req.method === 'GET' || req.method === 'DELETE')) {
      req.resume();
      if (req.method === 'DELETE') maxInFlight = inFlight;
      sendJson(res, 200, stats(), {});
      return;
    }
    const route = CONVERSE_PATH.exec(path);
    if (req.method !== 'POST' || route === null) {
      req.resume();
      sendError(res, new StandInError('UnknownOperationException', 404, `No such operation: ${req.method} ${path}`));
      log(`bedrock stand-in: ${req.method} ${path} → 404 UnknownOperationException`);
      return;
    }
    calls += 1;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await converse(req, res, route[1] ?? '', path, startedAt);
    } finally {
      inFlight -= 1;
    }
  }

  async function converse(req: Request, res: Reply, encodedModelId: string, path: string, startedAt: number): Promise<void> {
    const attempt = headerValue(req.headers['amz-sdk-request']);

    let call: ConverseCall;
    try {
      const body = await readBody(req);
      call = parseConverse(decodeModelId(encodedModelId), body);
    } catch (error) {
      if (!(error instanceof StandInError)) throw error;
      sendError(res, error);
      log(`bedrock stand-in: POST ${path} → ${error.status} ${error.errorType}: ${error.message}`);
      return;
    }

    const callNumber = counters.count(call.key);
    const where = `${call.modelId} job ${call.key.slice(0, 8)} call #${callNumber}${attempt ? ` (${attempt})` : ''}`;

    if (call.directives.delayMs !== undefined && call.directives.delayMs > 0) {
      const completed = await waitUnlessGone(res, call.directives.delayMs, pendingWaits);
      if (!completed) {
        log(`bedrock stand-in: ${where} → dropped during the ${call.directives.delayMs} ms delay (client went away or stand-in closing)`);
        return;
      }
    }

    const fail = call.directives.fail;
    if (fail !== undefined && failsCall(fail, callNumber)) {
      const error = injectedError(fail, call.modelId);
      sendError(res, error);
      log(`bedrock stand-in: ${where} → ${error.status} ${error.errorType} (injected)`);
      return;
    }

    const answer = buildAnswer(call, Math.round(performance.now() - startedAt));
    sendJson(res, 200, answer, {});
    log(`bedrock stand-in: ${where} → 200 ${answer.stopReason} (${answer.usage.outputTokens} words)`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  log(`bedrock stand-in: listening on ${url} (Converse only, answers are not from a model)`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    get calls() {
      return calls;
    },
    stats,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const cancel of [...pendingWaits]) cancel();
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections (and HTTP/2 sessions) open; close() would wait for them.
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: Request): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Past the limit, keep draining (so the client gets the 400) but keep nothing.
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  if (size > MAX_BODY_BYTES) throw validation(`The request body exceeds ${MAX_BODY_BYTES} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

/** Sets an own property whatever its name (an assignment to `__proto__` would set the prototype). */

/**
 * Resolves true after `ms`, or false as soon as the client closes the connection or the stand-in
 * closes (`cancels` holds the way to end each pending wait).
 */
function waitUnlessGone(res: Reply, ms: number, cancels: Set<() => void>): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    if (isGone(res)) {
      resolve(false);
      return;
    }
    const finish = (completed: boolean): void => {
      clearTimeout(timer);
      res.off('close', onClose);
      cancels.delete(onClose);
      resolve(completed);
    };
    const onClose = (): void => finish(false);
    const timer = setTimeout(() => finish(true), ms);
    cancels.add(onClose);
    res.once('close', onClose);
  });
}

function sendError(res: Reply, error: StandInError): void {
  sendJson(res, error.status, { message: error.message, ...error.extra }, { 'x-amzn-errortype': error.errorType });
}

function sendJson(res: Reply, status: number, body: unknown, headers: Readonly<Record<string, string>>): void {
  if (isGone(res)) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(payload);
}
