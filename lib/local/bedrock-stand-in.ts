/**
 * A local stand-in for Amazon Bedrock Runtime that speaks the Converse wire API on loopback, so
 * the real `BedrockModel` adapter and the real `@aws-sdk/client-bedrock-runtime` client run
 * unchanged: point the client at it with `endpoint` (see `standInClientConfig`) or with the
 * environment variable `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. No model is called: every answer is
 * derived deterministically from the request and starts with `[Bedrock stand-in · <modelId>] `.
 *
 * Transport: the SDK's Bedrock Runtime client sends over HTTP/2 by default (NodeHttp2Handler; for
 * an `http://` endpoint that is cleartext HTTP/2 with prior knowledge), while curl, fetch and
 * HTTP/1 request handlers send HTTP/1.1. One port serves both: each connection is routed by its
 * first bytes (the HTTP/2 connection preface or not).
 *
 * Wire format (AWS REST-JSON, as the SDK's `AwsRestJsonProtocol` expects):
 * - `POST /model/{modelId}/converse` (modelId URL-encoded; any id is accepted), JSON body
 *   `{ messages, system?, inferenceConfig? }`;
 * - 200 `application/json`: `{ output: { message: { role: 'assistant', content: [{ text }] } },
 *   stopReason, usage: { inputTokens, outputTokens, totalTokens }, metrics: { latencyMs } }`;
 * - errors: the HTTP status Bedrock uses for that error, header `x-amzn-errortype: <Name>` and body
 *   `{ "message": "..." }` (ModelErrorException also carries `originalStatusCode` and
 *   `resourceName`). The SDK reads the error code from that header, so the thrown error's `name` is
 *   `<Name>` (an instance of the SDK's class for known names, a `BedrockRuntimeServiceException`
 *   named `<Name>` otherwise), its `message` is the body's, and `$metadata.httpStatusCode` the
 *   status. Unknown paths answer 404 `UnknownOperationException`; a body that is not JSON or not a
 *   Converse request answers 400 `ValidationException`.
 *
 * Answer: a short summary of the prompt (word counts, a digest, its first words). Tokens are
 * counted as whitespace-separated words, directives excluded: inputTokens = words of the user text
 * + system text; outputTokens = words of the answer after the label. With `inferenceConfig.maxTokens`
 * the answer (after the label, which is always kept) is cut to that many words and `stopReason` is
 * `max_tokens`; otherwise `end_turn`. `metrics.latencyMs` is the real time spent answering.
 *
 * Fault injection: directives written anywhere in the user messages' text or the system prompt
 * (the first directive of each kind applies; all are removed from the text the answer is built from):
 * - `[[fail:<ErrorName>:<n>]]`: the first n calls *for that job* fail with that error;
 *   `[[fail:<ErrorName>]]`: every call fails. For ModelErrorException, `[[fail:ModelErrorException@503]]`
 *   sets the model's `originalStatusCode` (default 400, which the adapter treats as non-retryable).
 * - `[[delay:<ms>]]`: every call (failing or not) answers after that many ms (at most 120000).
 *   If the client goes away meanwhile (abort, client timeout), the call is dropped quietly.
 * A malformed directive (e.g. `[[fail:]]`, `[[delay:soon]]`) answers 400 ValidationException.
 *
 * "For that job": calls are counted per key = SHA-256 of the model id + the full request text
 * (system + every message's text, directives included). Retries of a job send the same request and
 * count up; other jobs are independent. Two jobs with identical prompts share one counter: add
 * something unique to the prompt (a job id, a nonce) to separate them. A call counts when it
 * arrives, before any delay, even if the client then gives up.
 *
 * SDK RETRIES — READ THIS BEFORE WRITING `[[fail:...:n]]` TESTS: the counter counts HTTP calls,
 * not job attempts. With SDK defaults (standard retry mode, maxAttempts 3) the client itself
 * retries ThrottlingException (429), ModelNotReadyException (429, `$retryable`),
 * InternalServerException (500) and ServiceUnavailableException (503) with backoff, and each of
 * those retries is a separate call here. So `[[fail:ThrottlingException:2]]` with a default client
 * is absorbed inside ONE job attempt (calls 1 and 2 fail inside the SDK, call 3 succeeds); with
 * n = 3 the first job attempt fails after three calls and the second succeeds. The SDK's backoff
 * (up to ~1 s then ~2 s for throttling) also slows such tests down. ModelTimeoutException (408),
 * ServiceQuotaExceededException (400) and the other 4xx are not retried by the SDK. For the local
 * runtime build the worker's client with `standInClientConfig(url)` (maxAttempts 1), or run the
 * worker handler with `BEDROCK_MAX_ATTEMPTS=1` and `AWS_ENDPOINT_URL_BEDROCK_RUNTIME=<url>`: then n is
 * exactly the number of job attempts that fail, and the job's own maxAttempts and the queue's
 * redelivery govern the retries.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

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
}

/** Client settings for talking to the stand-in; see the note on SDK retries at the top. */
export interface StandInClientConfig {
  endpoint: string;
  maxAttempts: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Config for `new BedrockRuntimeClient(...)` aimed at the stand-in: one attempt per call, so that
 * a `[[fail:<Name>:<n>]]` directive fails exactly n job attempts; placeholder credentials (the
 * stand-in ignores signatures). Pass `maxAttempts` to get the SDK's own retries back.
 */
export function standInClientConfig(url: string, options: { readonly maxAttempts?: number } = {}): StandInClientConfig {
  return {
    endpoint: url,
    maxAttempts: options.maxAttempts ?? 1,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/** The label every answer starts with (followed by ` · <modelId>] `). */
export const STAND_IN_LABEL = '[Bedrock stand-in';

/** Upper bound of `[[delay:<ms>]]`. */
export const MAX_DELAY_MS = 120_000;

const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Per-job call counters kept; the oldest are forgotten beyond this. */
const MAX_TRACKED_KEYS = 10_000;
const EXCERPT_WORDS = 12;
const FAULT_SUFFIX = '(stand-in fault injection)';

interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/**
 * HTTP statuses as in the Bedrock Runtime service model (the SDK's error schemas, `httpError`
 * trait); unknown names answer 400.
 */
const ERRORS: Readonly<Record<string, ErrorSpec>> = {
  ThrottlingException: { status: 429, message: 'Rate exceeded' },
  ServiceUnavailableException: { status: 503, message: 'Service unavailable' },
  InternalServerException: { status: 500, message: 'Internal server error' },
  ModelTimeoutException: { status: 408, message: 'Model has timed out in processing the request' },
  ModelNotReadyException: { status: 429, message: 'Model is not ready to serve inference requests' },
  ServiceQuotaExceededException: { status: 400, message: 'Too many tokens per minute' },
  ValidationException: { status: 400, message: 'Input validation failed' },
  AccessDeniedException: { status: 403, message: "You don't have access to the model with the specified model ID" },
  ResourceNotFoundException: { status: 404, message: 'Model not found' },
  ConflictException: { status: 400, message: 'Conflict' },
  ModelErrorException: { status: 424, message: 'The model returned an error' },
  ModelStreamErrorException: { status: 424, message: 'The model returned an error' },
};
const UNKNOWN_ERROR_STATUS = 400;
const DEFAULT_ORIGINAL_STATUS = 400;

/** Thrown while reading a request: answered as a JSON error. */
class StandInError extends Error {
  constructor(
    readonly errorType: string,
    readonly status: number,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

function validation(message: string): StandInError {
  return new StandInError('ValidationException', 400, message);
}

interface FailDirective {
  readonly name: string;
  /** Calls that fail; undefined = all. */
  readonly count: number | undefined;
  readonly originalStatusCode: number | undefined;
}

interface Directives {
  readonly fail: FailDirective | undefined;
  readonly delayMs: number | undefined;
}

interface ConverseCall {
  readonly modelId: string;
  /** User messages' text and system text, directives removed. */
  readonly userText: string;
  readonly systemText: string;
  readonly maxTokens: number | undefined;
  readonly directives: Directives;
  /** Counter key: the model id and the full request text. */
  readonly key: string;
}

const DIRECTIVE = /\[\[(fail|delay):([^\]]*)\]\]/g;
const FAIL_ARGUMENT = /^([A-Za-z][A-Za-z0-9]*)(?:@(\d{3}))?(?::(\d+))?$/;
const DELAY_ARGUMENT = /^\d+$/;
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
  const counters = new Map<string, number>();
  const pendingWaits = new Set<() => void>();
  let calls = 0;

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
    const route = CONVERSE_PATH.exec(path);
    if (req.method !== 'POST' || route === null) {
      req.resume();
      sendError(res, new StandInError('UnknownOperationException', 404, `No such operation: ${req.method} ${path}`));
      log(`bedrock stand-in: ${req.method} ${path} → 404 UnknownOperationException`);
      return;
    }
    calls += 1;
    const attempt = headerValue(req.headers['amz-sdk-request']);

    let call: ConverseCall;
    try {
      const body = await readBody(req);
      call = parseConverse(decodeModelId(route[1] ?? ''), body);
    } catch (error) {
      if (!(error instanceof StandInError)) throw error;
      sendError(res, error);
      log(`bedrock stand-in: POST ${path} → ${error.status} ${error.errorType}: ${error.message}`);
      return;
    }

    const callNumber = (counters.get(call.key) ?? 0) + 1;
    counters.delete(call.key); // re-insert: the Map's order is the forgetting order
    counters.set(call.key, callNumber);
    if (counters.size > MAX_TRACKED_KEYS) {
      const oldest = counters.keys().next().value;
      if (oldest !== undefined) counters.delete(oldest);
    }
    const where = `${call.modelId} job ${call.key.slice(0, 8)} call #${callNumber}${attempt ? ` (${attempt})` : ''}`;

    if (call.directives.delayMs !== undefined && call.directives.delayMs > 0) {
      const completed = await waitUnlessGone(res, call.directives.delayMs, pendingWaits);
      if (!completed) {
        log(`bedrock stand-in: ${where} → dropped during the ${call.directives.delayMs} ms delay (client went away or stand-in closing)`);
        return;
      }
    }

    const fail = call.directives.fail;
    if (fail !== undefined && (fail.count === undefined || callNumber <= fail.count)) {
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

function decodeModelId(encoded: string): string {
  let modelId: string;
  try {
    modelId = decodeURIComponent(encoded);
  } catch {
    throw validation('The model id in the path is not valid URL encoding');
  }
  if (modelId.trim() === '') throw validation('The model id must not be empty');
  return modelId;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text blocks of a content list; blank text is rejected, as Bedrock does. */
function textBlocks(content: unknown, where: string): string[] {
  if (!Array.isArray(content)) throw validation(`${where} must be a list of content blocks`);
  const texts: string[] = [];
  content.forEach((block: unknown, index) => {
    if (!isObject(block)) throw validation(`${where}.${index} must be a content block object`);
    if (block.text === undefined) return; // images, documents, tool use...: not read here
    if (typeof block.text !== 'string') throw validation(`${where}.${index}.text must be a string`);
    if (block.text.trim() === '') {
      throw validation(`The text field in the ContentBlock object at ${where}.${index} is blank. Add text to the text field, and try again.`);
    }
    texts.push(block.text);
  });
  return texts;
}

function parseConverse(modelId: string, body: string): ConverseCall {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw validation('The request body is not valid JSON');
  }
  if (!isObject(request)) throw validation('The request body must be a JSON object');

  const { messages, system, inferenceConfig } = request;
  if (!Array.isArray(messages) || messages.length === 0) throw validation('messages must be a non-empty list');
  const userTexts: string[] = [];
  const keyParts: string[] = [modelId];
  messages.forEach((message: unknown, index) => {
    if (!isObject(message)) throw validation(`messages.${index} must be an object`);
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw validation(`messages.${index}.role must be 'user' or 'assistant'`);
    }
    const texts = textBlocks(message.content, `messages.${index}.content`);
    if (message.role === 'user') userTexts.push(...texts);
    keyParts.push(`${message.role}:${texts.join('\n')}`);
  });
  const systemTexts = system === undefined ? [] : textBlocks(system, 'system');
  keyParts.push(`system:${systemTexts.join('\n')}`);

  let maxTokens: number | undefined;
  if (inferenceConfig !== undefined) {
    if (!isObject(inferenceConfig)) throw validation('inferenceConfig must be an object');
    const value = inferenceConfig.maxTokens;
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw validation('inferenceConfig.maxTokens must be an integer of at least 1');
      }
      maxTokens = value;
    }
  }

  const userRaw = userTexts.join('\n');
  const systemRaw = systemTexts.join('\n');
  return {
    modelId,
    userText: stripDirectives(userRaw),
    systemText: stripDirectives(systemRaw),
    maxTokens,
    directives: parseDirectives(`${systemRaw}\n${userRaw}`),
    key: createHash('sha256').update(keyParts.join('\u0000')).digest('hex'),
  };
}

function parseDirectives(text: string): Directives {
  let fail: FailDirective | undefined;
  let delayMs: number | undefined;
  for (const match of text.matchAll(DIRECTIVE)) {
    const [whole, kind, argument = ''] = match;
    if (kind === 'fail') {
      const parts = FAIL_ARGUMENT.exec(argument.trim());
      if (parts === null) throw validation(`Malformed stand-in directive ${whole}: use [[fail:<ErrorName>]] or [[fail:<ErrorName>:<n>]]`);
      fail ??= {
        name: parts[1] ?? '',
        originalStatusCode: parts[2] === undefined ? undefined : Number(parts[2]),
        count: parts[3] === undefined ? undefined : Number(parts[3]),
      };
    } else {
      if (!DELAY_ARGUMENT.test(argument.trim())) throw validation(`Malformed stand-in directive ${whole}: use [[delay:<ms>]]`);
      delayMs ??= Math.min(Number(argument.trim()), MAX_DELAY_MS);
    }
  }
  return { fail, delayMs };
}

function stripDirectives(text: string): string {
  return text.replace(DIRECTIVE, ' ');
}

function injectedError(fail: FailDirective, modelId: string): StandInError {
  const known = ERRORS[fail.name];
  const message = `${known?.message ?? fail.name} ${FAULT_SUFFIX}`;
  if (fail.name === 'ModelErrorException' || fail.name === 'ModelStreamErrorException') {
    return new StandInError(fail.name, known?.status ?? 424, message, {
      originalStatusCode: fail.originalStatusCode ?? DEFAULT_ORIGINAL_STATUS,
      resourceName: modelId,
    });
  }
  return new StandInError(fail.name, known?.status ?? UNKNOWN_ERROR_STATUS, message);
}

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

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

interface ConverseAnswer {
  readonly output: { readonly message: { readonly role: 'assistant'; readonly content: readonly [{ readonly text: string }] } };
  readonly stopReason: 'end_turn' | 'max_tokens';
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly totalTokens: number };
  readonly metrics: { readonly latencyMs: number };
}

function buildAnswer(call: ConverseCall, latencyMs: number): ConverseAnswer {
  const userWords = words(call.userText);
  const systemWords = words(call.systemText);
  const digest = createHash('sha256').update(`${call.systemText}\u0000${call.userText}`).digest('hex').slice(0, 8);
  const excerpt = userWords.slice(0, EXCERPT_WORDS).join(' ') + (userWords.length > EXCERPT_WORDS ? ' …' : '');
  const summary = [
    `Stand-in reply, no model was called.`,
    `The prompt has ${userWords.length} ${userWords.length === 1 ? 'word' : 'words'}`,
    systemWords.length > 0 ? `and the system prompt ${systemWords.length},` : '',
    `digest ${digest}.`,
    userWords.length > 0 ? `It begins: "${excerpt}".` : 'It is empty apart from stand-in directives.',
  ].join(' ');

  let bodyWords = words(summary);
  let stopReason: ConverseAnswer['stopReason'] = 'end_turn';
  if (call.maxTokens !== undefined && bodyWords.length > call.maxTokens) {
    bodyWords = bodyWords.slice(0, call.maxTokens);
    stopReason = 'max_tokens';
  }
  const text = `${STAND_IN_LABEL} · ${call.modelId}] ${bodyWords.join(' ')}`;
  const inputTokens = userWords.length + systemWords.length;
  const outputTokens = bodyWords.length;
  return {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason,
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs },
  };
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
