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
 *   `{ messages, system?, inferenceConfig?, toolConfig? }`; content blocks read: `text` and
 *   `document` (`{ name, format, source: { bytes: <base64> } }`, or a `text` source);
 * - 200 `application/json`: `{ output: { message: { role: 'assistant', content: [{ text }] } },
 *   stopReason, usage: { inputTokens, outputTokens, totalTokens }, metrics: { latencyMs } }`, or
 *   with a toolConfig `content: [{ toolUse: { toolUseId, name, input } }]` (see below);
 * - errors: the HTTP status Bedrock uses for that error, header `x-amzn-errortype: <Name>` and body
 *   `{ "message": "..." }` (ModelErrorException also carries `originalStatusCode` and
 *   `resourceName`). The SDK reads the error code from that header, so the thrown error's `name` is
 *   `<Name>` (an instance of the SDK's class for known names, a `BedrockRuntimeServiceException`
 *   named `<Name>` otherwise), its `message` is the body's, and `$metadata.httpStatusCode` the
 *   status. Unknown paths answer 404 `UnknownOperationException`; a body that is not JSON or not a
 *   Converse request answers 400 `ValidationException`, and so does what Bedrock itself rejects:
 *   a document name with characters other than alphanumerics, single whitespace, hyphens,
 *   parentheses and square brackets (or over 200 characters), a message with a document but no
 *   text block, two documents of one name in a message, more than 5 documents, a document over
 *   4.5 MB or empty, an unknown format; a tool name outside `[a-zA-Z0-9_-]{1,64}`, a tool schema
 *   without `"type": "object"` (Anthropic models require it), a toolChoice naming no listed tool.
 *
 * Answer: a short summary of the prompt (word counts, a digest, its first words). Tokens are
 * counted as whitespace-separated words, directives excluded: inputTokens = words of the user text
 * + system text + documents' text; outputTokens = words of the answer after the label. With `inferenceConfig.maxTokens`
 * the answer (after the label, which is always kept) is cut to that many words and `stopReason` is
 * `max_tokens`; otherwise `end_turn`. `metrics.latencyMs` is the real time spent answering.
 * Documents are read (see `documentText`: txt/md/csv as UTF-8, html without tags, pdf: the strings
 * of the text operators of uncompressed content streams, else `[pdf, N bytes]`; docx and the other
 * binary formats: `[docx, N bytes]`); the answer then describes each one (name, format, word count,
 * first words) and their words count as input tokens.
 *
 * Structured output: with a `toolConfig`, the answer is one `toolUse` block calling the forced tool
 * (`toolChoice.tool`), else the first tool, stopReason `tool_use`. Its `input` is generated from
 * the tool's JSON schema by `sampleJsonSchema`: valid against it (zod 4 `z.toJSONSchema()` output
 * included), deterministic, strings reading `[stand-in] <field path>: <words of the documents,
 * then the prompt>`. `toolUseId` is `tooluse_standin_` + 16 hex digits of the request's digest.
 * outputTokens = words of the input's JSON (punctuation aside); over `maxTokens` the call is cut
 * as a model's would be: input `{}`, stopReason `max_tokens`.
 *
 * Fault injection: directives written anywhere in the user messages' text, the system prompt or the
 * text of a txt/md/csv/html document (not pdf or binary documents) (the first directive of each
 * kind applies, system first, then messages, then documents; all are removed from the text the
 * answer is built from):
 * - `[[fail:<ErrorName>:<n>]]`: the first n calls *for that job* fail with that error;
 *   `[[fail:<ErrorName>]]`: every call fails. For ModelErrorException, `[[fail:ModelErrorException@503]]`
 *   sets the model's `originalStatusCode` (default 400, which the adapter treats as non-retryable).
 * - `[[delay:<ms>]]`: every call (failing or not) answers after that many ms (at most 120000).
 *   If the client goes away meanwhile (abort, client timeout), the call is dropped quietly.
 * - `[[words:<n>]]`: a text answer gets n more words (at most 200000; still cut to maxTokens), to
 *   try large results.
 * A malformed directive (e.g. `[[fail:]]`, `[[delay:soon]]`) answers 400 ValidationException.
 *
 * "For that job": calls are counted per key = SHA-256 of the model id + the full request text
 * (system + every message's text, directives included, + each document's name, format and bytes'
 * digest; the toolConfig does not count). Retries of a job send the same request and
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

/** Room for five documents of 4.5 MB, base64-encoded in the JSON body. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
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
  readonly extraWords: number | undefined;
}

interface StandInDocument {
  readonly name: string;
  readonly format: string;
  /** The text read from it (see `documentText`), directives removed. */
  readonly text: string;
  /** The text directives are read from: the extracted text for txt/md/csv/html, '' otherwise. */
  readonly directiveText: string;
}

interface ToolRequest {
  /** The tool the answer calls. */
  readonly name: string;
  /** Its input schema (`toolSpec.inputSchema.json`). */
  readonly schema: Record<string, unknown>;
}

interface ConverseCall {
  readonly modelId: string;
  /** User messages' text and system text, directives removed. */
  readonly userText: string;
  readonly systemText: string;
  /** The user messages' documents, in order. */
  readonly documents: readonly StandInDocument[];
  readonly maxTokens: number | undefined;
  /** Set when the request has a toolConfig: the answer is a call of this tool. */
  readonly tool: ToolRequest | undefined;
  readonly directives: Directives;
  /** Counter key: the model id and the full request text (documents by their bytes' digest). */
  readonly key: string;
}

/** Document formats Bedrock accepts (DocumentBlock.format). */
const STAND_IN_DOCUMENT_FORMATS: readonly string[] = ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'];
/** Formats whose text is searched for directives. */
const DIRECTIVE_FORMATS: ReadonlySet<string> = new Set(['txt', 'md', 'csv', 'html']);
/** Bedrock's limits: documents per request, bytes per document, characters per name. */
export const MAX_DOCUMENTS = 5;
export const MAX_DOCUMENT_BYTES = 4.5 * 1024 * 1024;
const MAX_DOCUMENT_NAME_LENGTH = 200;
/** Alphanumerics, hyphens, parentheses, square brackets, and whitespace never twice in a row. */
const DOCUMENT_NAME = /^(?:[A-Za-z0-9()[\]-]|\s(?!\s))+$/;
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DIRECTIVE = /\[\[(fail|delay|words):([^\]]*)\]\]/g;
/** Upper bound of `[[words:<n>]]`. */
const MAX_EXTRA_WORDS = 200_000;
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

/** Sets an own property whatever its name (an assignment to `__proto__` would set the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text blocks of a content list; blank text is rejected, as Bedrock does. */
function textBlocks(content: unknown, where: string): string[] {
  return readContent(content, where).texts;
}

interface RawDocument {
  readonly name: string;
  readonly format: string;
  readonly bytes: Buffer;
}

/**
 * The text and document blocks of a content list (other blocks: images, tool use, ... are not
 * read). Blank text is rejected, as Bedrock does; documents are checked as Bedrock checks them.
 */
function readContent(content: unknown, where: string): { texts: string[]; documents: RawDocument[] } {
  if (!Array.isArray(content)) throw validation(`${where} must be a list of content blocks`);
  const texts: string[] = [];
  const documents: RawDocument[] = [];
  content.forEach((block: unknown, index) => {
    if (!isObject(block)) throw validation(`${where}.${index} must be a content block object`);
    if (block.document !== undefined) {
      documents.push(readDocument(block.document, `${where}.${index}.document`));
      return;
    }
    if (block.text === undefined) return; // images, tool use...: not read here
    if (typeof block.text !== 'string') throw validation(`${where}.${index}.text must be a string`);
    if (block.text.trim() === '') {
      throw validation(`The text field in the ContentBlock object at ${where}.${index} is blank. Add text to the text field, and try again.`);
    }
    texts.push(block.text);
  });
  return { texts, documents };
}

function readDocument(value: unknown, where: string): RawDocument {
  if (!isObject(value)) throw validation(`${where} must be an object`);
  const { name, format = 'txt', source } = value;
  if (typeof name !== 'string' || name.length < 1 || name.length > MAX_DOCUMENT_NAME_LENGTH || !DOCUMENT_NAME.test(name)) {
    throw validation(
      `${where}.name is invalid: a document name can only contain alphanumeric characters, whitespace characters ` +
        `(no more than one in a row), hyphens, parentheses and square brackets, 1 to ${MAX_DOCUMENT_NAME_LENGTH} characters`,
    );
  }
  if (typeof format !== 'string' || !STAND_IN_DOCUMENT_FORMATS.includes(format)) {
    throw validation(`${where}.format must be one of ${STAND_IN_DOCUMENT_FORMATS.join(', ')}`);
  }
  if (!isObject(source)) throw validation(`${where}.source must be an object`);
  let bytes: Buffer;
  if (typeof source.bytes === 'string') {
    if (!BASE64.test(source.bytes)) throw validation(`${where}.source.bytes must be base64`);
    bytes = Buffer.from(source.bytes, 'base64');
  } else if (typeof source.text === 'string') {
    bytes = Buffer.from(source.text, 'utf8');
  } else {
    throw validation(`${where}.source: the stand-in reads bytes and text document sources only`);
  }
  if (bytes.length === 0) throw validation(`${where}.source must not be empty`);
  if (bytes.length > MAX_DOCUMENT_BYTES) {
    throw validation(`${where} is ${bytes.length} bytes: a document can be at most ${MAX_DOCUMENT_BYTES} bytes`);
  }
  return { name, format, bytes };
}

/** The tool the answer calls: the forced one, else the first. */
function readToolConfig(value: unknown): ToolRequest {
  if (!isObject(value)) throw validation('toolConfig must be an object');
  const { tools, toolChoice } = value;
  if (!Array.isArray(tools) || tools.length === 0) throw validation('toolConfig.tools must be a non-empty list');
  const schemas = new Map<string, Record<string, unknown>>();
  tools.forEach((tool: unknown, index) => {
    const where = `toolConfig.tools.${index}`;
    if (!isObject(tool)) throw validation(`${where} must be an object`);
    if (tool.toolSpec === undefined) return; // cachePoint, systemTool: nothing to call
    const spec = tool.toolSpec;
    if (!isObject(spec)) throw validation(`${where}.toolSpec must be an object`);
    if (typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) {
      throw validation(`${where}.toolSpec.name is invalid: a tool name can only contain letters, numbers, underscores and hyphens (1 to 64 characters)`);
    }
    if (spec.description !== undefined && (typeof spec.description !== 'string' || spec.description === '')) {
      throw validation(`${where}.toolSpec.description must be a non-empty string`);
    }
    const json = isObject(spec.inputSchema) ? spec.inputSchema.json : undefined;
    if (!isObject(json)) throw validation(`${where}.toolSpec.inputSchema.json must be a JSON object`);
    // Anthropic models require it; a top-level union (anyOf / oneOf) is rejected.
    if (json.type !== 'object') throw validation(`${where}.toolSpec.inputSchema.json must have "type": "object"`);
    if (schemas.has(spec.name)) throw validation(`${where}.toolSpec.name: the tool name ${spec.name} is used twice`);
    schemas.set(spec.name, json);
  });
  const first = schemas.keys().next().value;
  if (first === undefined) throw validation('toolConfig.tools must hold at least one toolSpec');
  let name = first;
  if (toolChoice !== undefined) {
    if (!isObject(toolChoice)) throw validation('toolConfig.toolChoice must be an object');
    const kinds = Object.keys(toolChoice);
    const kind = kinds[0];
    if (kinds.length !== 1 || (kind !== 'auto' && kind !== 'any' && kind !== 'tool')) {
      throw validation('toolConfig.toolChoice must hold exactly one of auto, any, tool');
    }
    if (kind === 'tool') {
      const forced = toolChoice.tool;
      if (!isObject(forced) || typeof forced.name !== 'string' || !schemas.has(forced.name)) {
        throw validation('toolConfig.toolChoice.tool.name must name one of the tools');
      }
      name = forced.name;
    }
  }
  return { name, schema: schemas.get(name) ?? {} };
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function parseConverse(modelId: string, body: string): ConverseCall {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    throw validation('The request body is not valid JSON');
  }
  if (!isObject(request)) throw validation('The request body must be a JSON object');

  const { messages, system, inferenceConfig, toolConfig } = request;
  if (!Array.isArray(messages) || messages.length === 0) throw validation('messages must be a non-empty list');
  const userTexts: string[] = [];
  const rawDocuments: RawDocument[] = [];
  const keyParts: string[] = [modelId];
  messages.forEach((message: unknown, index) => {
    if (!isObject(message)) throw validation(`messages.${index} must be an object`);
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw validation(`messages.${index}.role must be 'user' or 'assistant'`);
    }
    const { texts, documents } = readContent(message.content, `messages.${index}.content`);
    if (documents.length > 0 && texts.length === 0) {
      throw validation(`messages.${index}.content: a message with a document must also contain a text block`);
    }
    const names = new Set<string>();
    for (const document of documents) {
      if (names.has(document.name)) throw validation(`messages.${index}.content: the document name ${document.name} is used twice`);
      names.add(document.name);
    }
    if (message.role === 'user') {
      userTexts.push(...texts);
      rawDocuments.push(...documents);
    }
    const documentKeys = documents.map((document) => `\u0000document:${document.name}:${document.format}:${sha256(document.bytes)}`);
    keyParts.push(`${message.role}:${texts.join('\n')}${documentKeys.join('')}`);
  });
  if (rawDocuments.length > MAX_DOCUMENTS) {
    throw validation(`The request holds ${rawDocuments.length} documents: at most ${MAX_DOCUMENTS} are accepted`);
  }
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
  const tool = toolConfig === undefined ? undefined : readToolConfig(toolConfig);

  const documents = rawDocuments.map((document): StandInDocument => {
    const extracted = documentText(document.format, document.bytes);
    const readsDirectives = DIRECTIVE_FORMATS.has(document.format);
    return {
      name: document.name,
      format: document.format,
      text: stripDirectives(extracted),
      directiveText: readsDirectives ? extracted : '',
    };
  });
  const userRaw = userTexts.join('\n');
  const systemRaw = systemTexts.join('\n');
  return {
    modelId,
    userText: stripDirectives(userRaw),
    systemText: stripDirectives(systemRaw),
    documents,
    maxTokens,
    tool,
    directives: parseDirectives([systemRaw, userRaw, ...documents.map((document) => document.directiveText)].join('\n')),
    key: sha256(keyParts.join('\u0000')),
  };
}

function parseDirectives(text: string): Directives {
  let fail: FailDirective | undefined;
  let delayMs: number | undefined;
  let extraWords: number | undefined;
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
    } else if (kind === 'words') {
      if (!DELAY_ARGUMENT.test(argument.trim())) throw validation(`Malformed stand-in directive ${whole}: use [[words:<n>]]`);
      extraWords ??= Math.min(Number(argument.trim()), MAX_EXTRA_WORDS);
    } else {
      if (!DELAY_ARGUMENT.test(argument.trim())) throw validation(`Malformed stand-in directive ${whole}: use [[delay:<ms>]]`);
      delayMs ??= Math.min(Number(argument.trim()), MAX_DELAY_MS);
    }
  }
  return { fail, delayMs, extraWords };
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

interface ToolUseAnswer {
  readonly toolUseId: string;
  readonly name: string;
  readonly input: unknown;
}

type AnswerBlock = { readonly text: string } | { readonly toolUse: ToolUseAnswer };

interface ConverseAnswer {
  readonly output: { readonly message: { readonly role: 'assistant'; readonly content: readonly AnswerBlock[] } };
  readonly stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly totalTokens: number };
  readonly metrics: { readonly latencyMs: number };
}

interface AnswerBody {
  readonly content: readonly AnswerBlock[];
  readonly stopReason: ConverseAnswer['stopReason'];
  readonly outputTokens: number;
}

function buildAnswer(call: ConverseCall, latencyMs: number): ConverseAnswer {
  const documentWords = call.documents.reduce((total, document) => total + words(document.text).length, 0);
  const inputTokens = words(call.userText).length + words(call.systemText).length + documentWords;
  // Documents enter the digest only when there are some: text-only answers stay as they were.
  const documentParts = call.documents.map((document) => `\u0000${document.name}\u0000${document.text}`).join('');
  const digest = sha256(`${call.systemText}\u0000${call.userText}${documentParts}`);
  const { content, stopReason, outputTokens } = call.tool === undefined ? textAnswer(call, digest) : toolAnswer(call, call.tool, digest);
  return {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
    metrics: { latencyMs },
  };
}

function excerptOf(wordList: readonly string[]): string {
  return wordList.slice(0, EXCERPT_WORDS).join(' ') + (wordList.length > EXCERPT_WORDS ? ' …' : '');
}

function describeDocument(document: StandInDocument): string {
  const documentWords = words(document.text);
  const count = `${documentWords.length} ${documentWords.length === 1 ? 'word' : 'words'}`;
  const beginning = documentWords.length > 0 ? ` beginning "${excerptOf(documentWords)}"` : '';
  return `"${document.name}" (${document.format}, ${count})${beginning}`;
}

function textAnswer(call: ConverseCall, digest: string): AnswerBody {
  const userWords = words(call.userText);
  const systemWords = words(call.systemText);
  const documentCount = call.documents.length;
  const summary = [
    `Stand-in reply, no model was called.`,
    `The prompt has ${userWords.length} ${userWords.length === 1 ? 'word' : 'words'}`,
    systemWords.length > 0 ? `and the system prompt ${systemWords.length},` : '',
    `digest ${digest.slice(0, 8)}.`,
    userWords.length > 0 ? `It begins: "${excerptOf(userWords)}".` : 'It is empty apart from stand-in directives.',
    documentCount > 0
      ? `It comes with ${documentCount} ${documentCount === 1 ? 'document' : 'documents'}: ${call.documents.map(describeDocument).join('; ')}.`
      : '',
  ].join(' ');

  let bodyWords = words(summary);
  const extra = call.directives.extraWords ?? 0;
  if (extra > 0) {
    // Deterministic filler: the prompt's words again and again (or "filler"), numbered.
    const source = userWords.length > 0 ? userWords : ['filler'];
    bodyWords = [...bodyWords, ...Array.from({ length: extra }, (_, index) => `${source[index % source.length]}#${index + 1}`)];
  }
  let stopReason: ConverseAnswer['stopReason'] = 'end_turn';
  if (call.maxTokens !== undefined && bodyWords.length > call.maxTokens) {
    bodyWords = bodyWords.slice(0, call.maxTokens);
    stopReason = 'max_tokens';
  }
  const text = `${STAND_IN_LABEL} · ${call.modelId}] ${bodyWords.join(' ')}`;
  return { content: [{ text }], stopReason, outputTokens: bodyWords.length };
}

/**
 * A call of the tool with an input generated from its schema, quoting the documents' text and
 * then the prompt. Over maxTokens (words of the input's JSON), the call is cut short as a model's
 * would be: input `{}` and stopReason `max_tokens`.
 */
function toolAnswer(call: ConverseCall, tool: ToolRequest, digest: string): AnswerBody {
  const source = [...call.documents.map((document) => document.text), call.userText].join('\n');
  const input = sampleJsonSchema(tool.schema, { text: source, seed: digest });
  const toolUseId = `tooluse_standin_${digest.slice(0, 16)}`;
  const outputTokens = words(JSON.stringify(input).replace(/[{}[\]",:]/g, ' ')).length;
  if (call.maxTokens !== undefined && outputTokens > call.maxTokens) {
    return { content: [{ toolUse: { toolUseId, name: tool.name, input: {} } }], stopReason: 'max_tokens', outputTokens: call.maxTokens };
  }
  return { content: [{ toolUse: { toolUseId, name: tool.name, input } }], stopReason: 'tool_use', outputTokens };
}

// ---------------------------------------------------------------------------------------------
// Document text
// ---------------------------------------------------------------------------------------------

/**
 * The text the stand-in reads from a document: txt, md and csv decoded as UTF-8; html decoded and
 * stripped of tags, comments, scripts and styles; pdf: the strings shown by the text operators
 * (`Tj`, `TJ`, `'`, `"`) of its uncompressed content streams, or `[pdf, N bytes]` when there are
 * none (compressed streams, scanned pages); other formats (docx, doc, xls, xlsx): `[<format>, N bytes]`.
 */
export function documentText(format: string, bytes: Uint8Array): string {
  switch (format) {
    case 'txt':
    case 'md':
    case 'csv':
      return utf8(bytes);
    case 'html':
      return htmlText(utf8(bytes));
    case 'pdf':
      return pdfText(bytes) ?? `[pdf, ${bytes.length} bytes]`;
    default:
      return `[${format}, ${bytes.length} bytes]`;
  }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function htmlText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity: string, code: string) => {
      if (code.startsWith('#')) {
        const point = code[1] === 'x' || code[1] === 'X' ? Number.parseInt(code.slice(2), 16) : Number(code.slice(1));
        return point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : entity;
      }
      return HTML_ENTITIES[code.toLowerCase()] ?? entity;
    });
}

/** Crude: the text operators' strings of the unfiltered content streams; undefined if none. */
function pdfText(bytes: Uint8Array): string | undefined {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!raw.slice(0, 1024).includes('%PDF-')) return undefined;
  const pieces: string[] = [];
  const streamStart = /stream\r?\n/g;
  for (let match = streamStart.exec(raw); match !== null; match = streamStart.exec(raw)) {
    if (raw.slice(match.index - 3, match.index) === 'end') continue; // `endstream`
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    const objectStart = raw.lastIndexOf('obj', match.index);
    const dictionary = raw.slice(Math.max(objectStart, 0), match.index);
    if (!/\/Filter\b/.test(dictionary)) pieces.push(...pdfTextOperators(raw.slice(start, end)));
    streamStart.lastIndex = end + 'endstream'.length;
  }
  const text = pieces.join(' ').replace(/\s+/g, ' ').trim();
  return text === '' ? undefined : text;
}

const PDF_DELIMITERS = new Set(['(', ')', '<', '>', '[', ']', '{', '}', '/', '%']);
const PDF_TEXT_OPERATORS = new Set(['Tj', 'TJ', "'", '"']);

/** The strings shown by one content stream's text operators, in order. */
function pdfTextOperators(content: string): string[] {
  const shown: string[] = [];
  let operands: string[] = [];
  let array: string[] | undefined;
  let i = 0;
  while (i < content.length) {
    const char = content.charAt(i);
    if (char === '(') {
      const [text, next] = pdfLiteralString(content, i);
      (array ?? operands).push(text);
      i = next;
    } else if (char === '<' && content.charAt(i + 1) !== '<') {
      const close = content.indexOf('>', i);
      const hex = content.slice(i + 1, close < 0 ? content.length : close).replace(/[^0-9a-fA-F]/g, '');
      (array ?? operands).push(Buffer.from(hex.length % 2 === 0 ? hex : `${hex}0`, 'hex').toString('latin1'));
      i = close < 0 ? content.length : close + 1;
    } else if (char === '[') {
      array = [];
      i += 1;
    } else if (char === ']') {
      operands.push((array ?? []).join(''));
      array = undefined;
      i += 1;
    } else if (char === '%') {
      const lineEnd = content.slice(i).search(/[\r\n]/);
      i = lineEnd < 0 ? content.length : i + lineEnd;
    } else if (/\s/.test(char) || PDF_DELIMITERS.has(char)) {
      i += 1;
      if (char === '/') while (i < content.length && !/\s/.test(content.charAt(i)) && !PDF_DELIMITERS.has(content.charAt(i))) i += 1;
    } else {
      let end = i;
      while (end < content.length && !/\s/.test(content.charAt(end)) && !PDF_DELIMITERS.has(content.charAt(end))) end += 1;
      const token = content.slice(i, end);
      i = end;
      if (/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(token)) {
        // In a TJ array, a large negative adjustment is a word gap.
        if (array !== undefined && Number(token) <= -200) array.push(' ');
        continue;
      }
      if (PDF_TEXT_OPERATORS.has(token)) {
        const text = operands.at(-1);
        if (text !== undefined) shown.push(text);
      }
      if (array === undefined) operands = [];
    }
  }
  return shown;
}

const PDF_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/** A PDF literal string starting at `start` (its `(`): its text and the index after its `)`. */
function pdfLiteralString(content: string, start: number): [string, number] {
  let depth = 0;
  let text = '';
  let i = start;
  while (i < content.length) {
    const char = content.charAt(i);
    if (char === '\\') {
      const next = content.charAt(i + 1);
      const octal = /^[0-7]{1,3}/.exec(content.slice(i + 1, i + 4));
      if (octal !== null) {
        text += String.fromCharCode(Number.parseInt(octal[0], 8) & 0xff);
        i += 1 + octal[0].length;
        continue;
      }
      if (next === '\r') i += content.charAt(i + 2) === '\n' ? 3 : 2; // line continuation
      else if (next === '\n') i += 2;
      else {
        text += PDF_ESCAPES[next] ?? next;
        i += 2;
      }
      continue;
    }
    if (char === '(') {
      depth += 1;
      if (depth > 1) text += char;
    } else if (char === ')') {
      depth -= 1;
      if (depth === 0) return [text, i + 1];
      text += char;
    } else {
      text += char;
    }
    i += 1;
  }
  return [text, i];
}

// ---------------------------------------------------------------------------------------------
// Values from a JSON Schema
// ---------------------------------------------------------------------------------------------

export interface SampleSource {
  /** The text that generated strings quote (the documents' text, then the prompt). */
  readonly text: string;
  /** Seed of the deterministic choices (enum members, numbers, booleans, ids). */
  readonly seed: string;
}

type JsonSchema = Record<string, unknown>;

/** Below this depth, optional properties are filled and arrays get two items; deeper, the minimum. */
const FULL_DEPTH = 4;
const MAX_SAMPLE_DEPTH = 40;
const ARRAY_ITEMS = 2;
const QUOTED_WORDS = 6;
const MAX_REPEAT = 10_000;
/** Patterns beyond `pattern` that a merged schema must match (from allOf members). */
const MORE_PATTERNS = '\u0000patterns';

interface SampleContext {
  readonly root: unknown;
  readonly words: readonly string[];
  readonly seed: string;
  /** Strings generated so far: each quotes the next words of the source. */
  strings: number;
}

/**
 * A deterministic value valid against `schema` (JSON Schema 2020-12 / draft-07, as zod 4's
 * `z.toJSONSchema()` writes it): same schema and source, same value. Supported: `type` (one or a
 * list; `null` only when alone), `const`, `enum` (a member picked by a hash of the seed and the
 * path), `$ref` to `#` and to `#/$defs/...` / `#/definitions/...` (any local JSON pointer),
 * `allOf` (merged), `anyOf` / `oneOf` (the first branch); objects: `properties`, `required`,
 * `additionalProperties`, `propertyNames` (records, `enum` keys), `minProperties`; arrays: `items`,
 * `prefixItems` (and draft-07 tuple `items`), `minItems`, `maxItems`, `uniqueItems`; strings:
 * `minLength`, `maxLength`, `pattern` (a small regex-driven generator), `format` (date-time, date,
 * time, duration, email, uri, hostname, ipv4/6, uuid, base64, jwt, emoji, ...); numbers and
 * integers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`; booleans.
 * Plain strings read `[stand-in] <path>: <words of the source>`. Recursive schemas stop at the
 * minimum (no optional properties, `minItems` items) past depth 4. Not supported (ignored): `not`,
 * `if`/`then`/`else`, `dependent*`, `contains`, `patternProperties`, remote `$ref`.
 */
export function sampleJsonSchema(schema: unknown, source: SampleSource): unknown {
  const context: SampleContext = { root: schema, words: words(source.text), seed: source.seed, strings: 0 };
  return sample(schema, context, '', 0);
}

function sample(schema: unknown, context: SampleContext, path: string, depth: number): unknown {
  if (depth > MAX_SAMPLE_DEPTH) return null;
  const resolved = resolveSchema(schema, context.root, 0);
  if ('const' in resolved) return resolved.const;
  if (Array.isArray(resolved.enum) && resolved.enum.length > 0) {
    return resolved.enum[hashNumber(context.seed, path) % resolved.enum.length];
  }
  const branches = Array.isArray(resolved.anyOf) ? resolved.anyOf : Array.isArray(resolved.oneOf) ? resolved.oneOf : undefined;
  if (branches !== undefined && branches.length > 0) {
    const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = resolved;
    return sample(mergeSchemas(rest, resolveSchema(branches[0], context.root, 0)), context, path, depth);
  }
  switch (schemaType(resolved)) {
    case 'object':
      return sampleObject(resolved, context, path, depth);
    case 'array':
      return sampleArray(resolved, context, path, depth);
    case 'integer':
      return sampleNumber(resolved, true, hashNumber(context.seed, path));
    case 'number':
      return sampleNumber(resolved, false, hashNumber(context.seed, path));
    case 'boolean':
      return hashNumber(context.seed, path) % 2 === 0;
    case 'null':
      return null;
    default:
      return sampleString(resolved, context, path, []);
  }
}

/** The schema with `$ref`s followed (siblings kept) and `allOf` merged; `true` and junk → `{}`. */
function resolveSchema(schema: unknown, root: unknown, hops: number): JsonSchema {
  if (!isObject(schema) || hops > 32) return {};
  let resolved: JsonSchema = schema;
  if (typeof schema.$ref === 'string') {
    const { $ref, ...siblings } = schema;
    resolved = mergeSchemas(resolveSchema(jsonPointer(root, $ref), root, hops + 1), siblings);
  }
  if (Array.isArray(resolved.allOf)) {
    const { allOf, ...rest } = resolved;
    resolved = allOf.reduce<JsonSchema>((merged, member) => mergeSchemas(merged, resolveSchema(member, root, hops + 1)), rest);
  }
  return resolved;
}

function jsonPointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined; // remote or anchor references: not followed
  let node: unknown = root;
  for (const segment of ref.slice(2).split('/')) {
    const key = decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? (Object.hasOwn(node, key) ? node[key] : undefined) : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return node;
}

/** Both schemas at once (allOf): properties and required united, bounds tightened, patterns kept. */
function mergeSchemas(a: JsonSchema, b: JsonSchema): JsonSchema {
  const merged: JsonSchema = { ...a, ...b };
  if (isObject(a.properties) && isObject(b.properties)) {
    const properties: JsonSchema = { ...a.properties };
    for (const [name, schema] of Object.entries(b.properties)) {
      setOwn(properties, name, Object.hasOwn(properties, name) ? { allOf: [properties[name], schema] } : schema);
    }
    merged.properties = properties;
  }
  if (Array.isArray(a.required) && Array.isArray(b.required)) merged.required = [...new Set([...a.required, ...b.required])];
  for (const key of ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const) {
    if (typeof a[key] === 'number' && typeof b[key] === 'number') merged[key] = Math.max(a[key], b[key]);
  }
  for (const key of ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const) {
    if (typeof a[key] === 'number' && typeof b[key] === 'number') merged[key] = Math.min(a[key], b[key]);
  }
  if (a.additionalProperties === false || b.additionalProperties === false) merged.additionalProperties = false;
  const patterns = [a.pattern, b.pattern, a[MORE_PATTERNS], b[MORE_PATTERNS]].flat().filter((p): p is string => typeof p === 'string');
  if (patterns.length > 0) {
    merged.pattern = patterns[0];
    merged[MORE_PATTERNS] = [...new Set(patterns.slice(1))];
  }
  return merged;
}

function schemaType(schema: JsonSchema): string {
  const { type } = schema;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const named = type.filter((t): t is string => typeof t === 'string');
    return named.find((t) => t !== 'null') ?? named[0] ?? 'string';
  }
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema || 'propertyNames' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema || 'maxItems' in schema) return 'array';
  if ('minimum' in schema || 'maximum' in schema || 'exclusiveMinimum' in schema || 'exclusiveMaximum' in schema || 'multipleOf' in schema) {
    return 'number';
  }
  return 'string';
}

function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function sampleObject(schema: JsonSchema, context: SampleContext, path: string, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  const additional = schema.additionalProperties;
  const extraSchema: unknown = additional === false ? undefined : isObject(additional) ? additional : {};
  const value: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property === false || (!required.has(name) && depth >= FULL_DEPTH)) continue;
    setOwn(value, name, sample(property, context, childPath(path, name), depth + 1));
  }
  for (const name of required) {
    if (!Object.hasOwn(value, name)) setOwn(value, name, sample(extraSchema ?? {}, context, childPath(path, name), depth + 1));
  }
  if (extraSchema !== undefined) {
    const keys: string[] = [];
    const names = isObject(schema.propertyNames) ? resolveSchema(schema.propertyNames, context.root, 0) : {};
    if (Object.keys(properties).length === 0 && Array.isArray(names.enum)) {
      keys.push(...names.enum.filter((key): key is string => typeof key === 'string'));
    } else if (Object.keys(properties).length === 0 && isObject(additional) && depth < FULL_DEPTH) {
      keys.push(sampleString(names, context, childPath(path, '(key)'), ['item']));
    }
    const minProperties = count(schema.minProperties) ?? 0;
    for (let n = 1; Object.keys(value).length + keys.length < minProperties && n < MAX_REPEAT; n += 1) {
      const key = sampleString(names, context, childPath(path, `(key ${n})`), [`item${n}`]);
      if (!Object.hasOwn(value, key) && !keys.includes(key)) keys.push(key);
    }
    for (const key of keys) if (!Object.hasOwn(value, key)) setOwn(value, key, sample(extraSchema, context, childPath(path, key), depth + 1));
  }
  return value;
}

function sampleArray(schema: JsonSchema, context: SampleContext, path: string, depth: number): unknown[] {
  let tuple: readonly unknown[] = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  let rest: unknown = schema.items;
  if (Array.isArray(schema.items)) {
    tuple = schema.items; // draft-07 tuple
    rest = schema.additionalItems;
  }
  const minItems = count(schema.minItems) ?? 0;
  const maxItems = count(schema.maxItems) ?? Number.POSITIVE_INFINITY;
  let length = depth < FULL_DEPTH ? Math.max(minItems, ARRAY_ITEMS, tuple.length) : Math.max(minItems, Math.min(tuple.length, 1));
  if (rest === false) length = Math.min(length, tuple.length);
  length = Math.min(length, maxItems, MAX_REPEAT);
  const items: unknown[] = [];
  for (let index = 0; index < length; index += 1) {
    items.push(sample(index < tuple.length ? tuple[index] : (rest ?? {}), context, `${path}[${index}]`, depth + 1));
  }
  if (schema.uniqueItems === true) {
    const unique = [...new Map(items.map((item) => [JSON.stringify(item), item])).values()];
    if (unique.length >= minItems) return unique;
  }
  return items;
}

function sampleNumber(schema: JsonSchema, integer: boolean, hash: number): number {
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  let lowExclusive = false;
  let highExclusive = false;
  if (typeof schema.minimum === 'number') low = schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number' && schema.exclusiveMinimum >= low) {
    low = schema.exclusiveMinimum;
    lowExclusive = true;
  } else if (schema.exclusiveMinimum === true) lowExclusive = true; // draft-04
  if (typeof schema.maximum === 'number') high = schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= high) {
    high = schema.exclusiveMaximum;
    highExclusive = true;
  } else if (schema.exclusiveMaximum === true) highExclusive = true;
  const multipleOf = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  const step = multipleOf ?? (integer ? 1 : undefined);
  const decimals = step === undefined ? 0 : (String(step).split('.')[1]?.length ?? 0);
  const tidy = (x: number): number => (decimals > 0 ? Number(x.toFixed(decimals)) : x);
  const valid = (x: number): boolean =>
    Number.isFinite(x) &&
    (lowExclusive ? x > low : x >= low) &&
    (highExclusive ? x < high : x <= high) &&
    (!integer || Number.isInteger(x)) &&
    (multipleOf === undefined || Math.abs(x / multipleOf - Math.round(x / multipleOf)) < 1e-9);
  const up = (x: number): number => (step === undefined ? x : tidy(Math.ceil(x / step) * step));
  const down = (x: number): number => (step === undefined ? x : tidy(Math.floor(x / step) * step));

  const candidates: number[] = [up(1 + (hash % 100))];
  if (Number.isFinite(low)) {
    const first = up(low);
    candidates.push(first, step === undefined ? low + 1 : tidy(first + step));
    if (Number.isFinite(high)) candidates.push(up(low + (high - low) / 2), (low + high) / 2);
  }
  if (Number.isFinite(high)) {
    const last = down(high);
    candidates.push(last, step === undefined ? high - 1 : tidy(last - step));
  }
  candidates.push(0);
  return candidates.find(valid) ?? candidates[0] ?? 0;
}

function codePoints(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = '';
  for (const char of text) {
    if (cut.length + char.length > max) break;
    cut += char;
  }
  return cut;
}

/** The next `QUOTED_WORDS` words of the source (wrapping round): each string quotes further on. */
function quote(context: SampleContext): string {
  const all = context.words;
  if (all.length === 0) return '(no text)';
  const start = (context.strings * QUOTED_WORDS) % all.length;
  context.strings += 1;
  const quoted: string[] = [];
  for (let offset = 0; offset < Math.min(QUOTED_WORDS, all.length); offset += 1) quoted.push(all[(start + offset) % all.length] ?? '');
  return quoted.join(' ');
}

/** `text` lengthened with more quoted words (code points ≥ min) and cut to `max` UTF-16 units. */
function fitLength(text: string, min: number, max: number, context: SampleContext): string {
  let fitted = text;
  while (codePoints(fitted) < min) fitted += ` ${quote(context)}`;
  return truncate(fitted, max);
}

function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined;
    }
  }
}

function sampleString(schema: JsonSchema, context: SampleContext, path: string, preferred: readonly string[]): string {
  const minLength = count(schema.minLength) ?? 0;
  const maxLength = count(schema.maxLength) ?? Number.POSITIVE_INFINITY;
  const more = Array.isArray(schema[MORE_PATTERNS]) ? (schema[MORE_PATTERNS] as unknown[]) : [];
  const patterns = [schema.pattern, ...more].filter((p): p is string => typeof p === 'string');
  const regexes = patterns.map(compilePattern).filter((r): r is RegExp => r !== undefined);
  const fits = (candidate: string): boolean =>
    codePoints(candidate) >= minLength && candidate.length <= maxLength && regexes.every((regex) => regex.test(candidate));

  const hash = sha256(`${context.seed}\u0000${path}`);
  const label = fitLength(`[stand-in] ${path === '' ? 'value' : path}: ${quote(context)}`, minLength, maxLength, context);
  const lazy: Array<() => Iterable<string>> = [
    () => preferred,
    () => formatValues(schema.format, hash),
    () => [label, label.toLowerCase(), label.toUpperCase()],
    () => [composeLiterals(patterns, label, maxLength)].filter((c): c is string => c !== undefined),
    function* () {
      for (const pattern of patterns) yield* regexSamples(pattern);
    },
  ];
  for (const candidates of lazy) {
    for (const candidate of candidates()) if (fits(candidate)) return candidate;
  }
  return label; // best effort: the schema asks for more than the generator knows
}

function formatValues(format: unknown, hash: string): string[] {
  switch (format) {
    case 'date-time':
      return ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00'];
    case 'date':
      return ['2024-01-01'];
    case 'time':
      return ['12:00:00Z', '12:00:00', '12:00'];
    case 'duration':
      return ['PT1H'];
    case 'email':
    case 'idn-email':
      return ['stand-in@example.com'];
    case 'uri':
    case 'iri':
    case 'url':
    case 'uri-reference':
    case 'iri-reference':
      return ['https://example.com/stand-in'];
    case 'uri-template':
      return ['https://example.com/{id}'];
    case 'hostname':
    case 'idn-hostname':
      return ['stand-in.example.com'];
    case 'ipv4':
      return ['192.0.2.1'];
    case 'ipv6':
      return ['2001:db8::1'];
    case 'cidrv4':
      return ['192.0.2.0/24'];
    case 'cidrv6':
      return ['2001:db8::/32'];
    case 'mac':
      return ['00:00:5e:00:53:01'];
    case 'uuid':
    case 'guid': {
      const variant = '89ab'.charAt(Number.parseInt(hash.charAt(16), 16) % 4);
      return [`${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-${variant}${hash.slice(17, 20)}-${hash.slice(20, 32)}`];
    }
    case 'json-pointer':
      return ['/stand-in'];
    case 'relative-json-pointer':
      return ['0'];
    case 'regex':
      return ['^stand-in$'];
    case 'base64':
      return [Buffer.from('stand-in').toString('base64')];
    case 'base64url':
      return [Buffer.from('stand-in').toString('base64url')];
    case 'hex':
      return [hash.slice(0, 16)];
    case 'emoji':
      return ['\u{1F642}'];
    case 'e164':
      return ['+14155550100'];
    case 'jwt': {
      const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
      return [`${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: 'stand-in' })}.${Buffer.from('stand-in').toString('base64url')}`];
    }
    default:
      return [];
  }
}

const REGEX_META = /[\\^$.*+?()[\]{}|]/;

/** A literal pattern's text, or undefined if it has unescaped metacharacters. */
function literalOf(pattern: string): string | undefined {
  const unescaped = pattern.replace(/\\(.)/gu, '\u0000$1');
  if (REGEX_META.test(unescaped.replace(/\u0000./gu, ''))) return undefined;
  return unescaped.replace(/\u0000/g, '');
}

/**
 * zod's startsWith / endsWith / includes checks become the patterns `^lit.*`, `.*lit$` and `lit`:
 * one string satisfying them all is prefix + label + includes + suffix.
 */
function composeLiterals(patterns: readonly string[], label: string, maxLength: number): string | undefined {
  let prefix = '';
  let suffix = '';
  const includes: string[] = [];
  for (const pattern of patterns) {
    const starts = /^\^(.*)\.\*\$?$/su.exec(pattern);
    const ends = /^\^?\.\*(.*)\$$/su.exec(pattern);
    const startLiteral = starts?.[1] === undefined ? undefined : literalOf(starts[1]);
    const endLiteral = ends?.[1] === undefined ? undefined : literalOf(ends[1]);
    const literal = literalOf(pattern);
    if (startLiteral !== undefined) prefix = startLiteral;
    else if (endLiteral !== undefined) suffix = endLiteral;
    else if (literal !== undefined) includes.push(literal);
    else return undefined;
  }
  const fixed = `${prefix}${includes.map((literal) => ` ${literal}`).join('')}${suffix}`;
  const room = Number.isFinite(maxLength) ? Math.max(maxLength - fixed.length, 0) : label.length;
  const middle = truncate(label, room);
  return `${prefix}${middle}${includes.map((literal) => ` ${literal}`).join('')}${suffix}`;
}

type RegexNode =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  | { readonly kind: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number };

const EMPTY_NODE: RegexNode = { kind: 'text', value: '' };
const CLASS_CANDIDATES = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'-_ .+/:=@#,;!?~*&%$()[]{}<>\'"\\|^`\t\n',
  '\u00e9',
  '\u{1F642}',
  '\u{1F1FA}',
];

/** Candidate strings for a regular expression: the shortest, then with longer repetitions. */
function* regexSamples(pattern: string): Generator<string> {
  let node: RegexNode;
  try {
    node = new RegexParser(pattern).parse();
  } catch {
    return;
  }
  for (const last of [false, true]) {
    for (const extra of [0, 1, 2, 4, 8, 16, 32, 64]) yield renderRegex(node, extra, last);
  }
}

function renderRegex(node: RegexNode, extra: number, last: boolean): string {
  switch (node.kind) {
    case 'text':
      return node.value;
    case 'seq':
      return node.items.map((item) => renderRegex(item, extra, last)).join('');
    case 'alt': {
      const option = last ? node.options.at(-1) : node.options[0];
      return option === undefined ? '' : renderRegex(option, extra, last);
    }
    case 'repeat': {
      const times = Math.min(node.min + extra, node.max, MAX_REPEAT);
      return renderRegex(node.node, extra, last).repeat(times);
    }
  }
}

/** A small parser for the regular expressions JSON Schema patterns use (ECMA-262 syntax). */
class RegexParser {
  private at = 0;

  constructor(private readonly source: string) {}

  parse(): RegexNode {
    const node = this.alternation();
    if (this.at < this.source.length) throw new Error('unbalanced )');
    return node;
  }

  private peek(): string {
    return this.source.charAt(this.at);
  }

  private alternation(): RegexNode {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.at += 1;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] ?? EMPTY_NODE) : { kind: 'alt', options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (this.at < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    const char = this.peek();
    let min: number;
    let max: number;
    if (char === '*' || char === '+' || char === '?') {
      min = char === '+' ? 1 : 0;
      max = char === '?' ? 1 : Number.POSITIVE_INFINITY;
      this.at += 1;
    } else if (char === '{') {
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
      if (braces === null) return atom;
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === '' ? Number.POSITIVE_INFINITY : Number(braces[3]);
      this.at += braces[0].length;
    } else {
      return atom;
    }
    if (this.peek() === '?') this.at += 1; // lazy
    return { kind: 'repeat', node: atom, min, max };
  }

  private atom(): RegexNode {
    const char = this.peek();
    if (char === '(') return this.group();
    if (char === '[') return { kind: 'text', value: this.characterClass() };
    if (char === '\\') return this.escape();
    this.at += 1;
    if (char === '^' || char === '$') return EMPTY_NODE;
    if (char === '.') return { kind: 'text', value: 'a' };
    const point = this.source.codePointAt(this.at - 1) ?? 0;
    const whole = String.fromCodePoint(point);
    this.at += whole.length - 1;
    return { kind: 'text', value: whole };
  }

  private group(): RegexNode {
    this.at += 1;
    let lookaround = false;
    const rest = this.source.slice(this.at);
    if (rest.startsWith('?:')) this.at += 2;
    else if (rest.startsWith('?=') || rest.startsWith('?!')) {
      this.at += 2;
      lookaround = true;
    } else if (rest.startsWith('?<=') || rest.startsWith('?<!')) {
      this.at += 3;
      lookaround = true;
    } else if (rest.startsWith('?<')) this.at = this.source.indexOf('>', this.at) + 1;
    const inner = this.alternation();
    if (this.peek() !== ')') throw new Error('unterminated group');
    this.at += 1;
    return lookaround ? EMPTY_NODE : inner; // assertions produce nothing; the result is checked anyway
  }

  private characterClass(): string {
    const start = this.at;
    this.at += 1;
    if (this.peek() === '^') this.at += 1;
    while (this.at < this.source.length && this.peek() !== ']') this.at += this.peek() === '\\' ? 2 : 1;
    if (this.at >= this.source.length) throw new Error('unterminated class');
    this.at += 1;
    return pickMatching(`^${this.source.slice(start, this.at)}$`);
  }

  private escape(): RegexNode {
    const char = this.source.charAt(this.at + 1);
    this.at += 2;
    const text = (value: string): RegexNode => ({ kind: 'text', value });
    switch (char) {
      case 'd':
        return text('0');
      case 'D':
      case 'w':
      case 'S':
        return text('a');
      case 'W':
        return text('-');
      case 's':
        return text(' ');
      case 'b':
      case 'B':
        return EMPTY_NODE;
      case 'n':
        return text('\n');
      case 'r':
        return text('\r');
      case 't':
        return text('\t');
      case 'f':
        return text('\f');
      case 'v':
        return text('\v');
      case '0':
        return text('\0');
      case 'x': {
        const hex = this.source.slice(this.at, this.at + 2);
        this.at += 2;
        return text(String.fromCharCode(Number.parseInt(hex, 16)));
      }
      case 'u': {
        if (this.peek() === '{') {
          const close = this.source.indexOf('}', this.at);
          const point = Number.parseInt(this.source.slice(this.at + 1, close), 16);
          this.at = close + 1;
          return text(String.fromCodePoint(point));
        }
        const hex = this.source.slice(this.at, this.at + 4);
        this.at += 4;
        return text(String.fromCharCode(Number.parseInt(hex, 16)));
      }
      case 'p':
      case 'P': {
        const close = this.source.indexOf('}', this.at);
        const property = this.source.slice(this.at, close + 1);
        this.at = close + 1;
        return text(pickMatching(`^\\${char}${property}$`));
      }
      case 'k':
        this.at = this.source.indexOf('>', this.at) + 1;
        return EMPTY_NODE;
      case 'c':
        this.at += 1;
        return text(String.fromCharCode(this.source.charCodeAt(this.at - 1) % 32));
      default:
        if (/[1-9]/.test(char)) {
          while (/\d/.test(this.peek())) this.at += 1;
          return EMPTY_NODE; // backreference: rarely valid as empty; the result is checked
        }
        return text(char);
    }
  }
}

/** The first candidate character that matches a one-character regular expression. */
function pickMatching(source: string): string {
  const regex = compilePattern(source);
  const found = regex === undefined ? undefined : CLASS_CANDIDATES.find((candidate) => regex.test(candidate));
  if (found === undefined) throw new Error(`no sample character for ${source}`);
  return found;
}

function hashNumber(seed: string, path: string): number {
  return Number.parseInt(sha256(`${seed}\u0000${path}`).slice(0, 8), 16);
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
