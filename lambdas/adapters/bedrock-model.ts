/**
 * The Model port on Amazon Bedrock, through the Converse API. Translates SDK failures into
 * RetryableError / NonRetryableError with a message safe to show clients:
 * `Bedrock API error: <name> - <message>`.
 *
 * Classification (first rule that matches wins):
 * - the request's signal is aborted → the abort reason is rethrown as is (the caller's own
 *   timeout or cancellation error), whatever the SDK threw;
 * - throttling, 5xx and "try later" exceptions → retryable. ServiceQuotaExceededException is
 *   retryable too: for Converse it means a per-minute token or request quota, which clears on its
 *   own ("you can resubmit your request later"); the job's maxAttempts bounds the retries;
 * - validation, access, not-found and conflict exceptions → non-retryable;
 * - ModelErrorException / ModelStreamErrorException carry the model's `originalStatusCode`:
 *   429 or 5xx → retryable, anything else (or none) → non-retryable (a model that rejects the
 *   input will reject it again);
 * - otherwise `$metadata.httpStatusCode` decides (429 and 5xx retryable, other 4xx not), then the
 *   SDK's `$retryable` / `$fault` markers;
 * - anything else is retryable: network failures and client-side timeouts (`TimeoutError`,
 *   `ECONNRESET`, ...) carry no status code and land here, as do unknown errors, which the
 *   worker would retry anyway; maxAttempts bounds the cost of being wrong.
 *
 * A reply with no text (e.g. `max_tokens` reached at once, or content filtered) is a
 * NonRetryableError: the same request gets the same answer again.
 *
 * Structured output (`generateStructured`): one user message holding the document blocks, then
 * the prompt as a text block (Bedrock requires a text block in a message that carries documents),
 * and a `toolConfig` with the single tool and a forced `toolChoice`, so the model answers by
 * calling the tool; the tool's input is the value. Document names are never the client's as
 * given: they are reduced to the characters Bedrock allows (letters, digits, single spaces,
 * hyphens, parentheses, square brackets), at most 200 characters, made unique within the request
 * (`name (2)`, ...), `document` when nothing is left. At most 5 documents of at most 4.5 MB each
 * (Bedrock's limits, `domain/bedrock-limits.ts`): more is a NonRetryableError before any call. A reply without a call of that
 * tool (the model answered text, or hit `max_tokens`, which may leave a truncated call) is a
 * RetryableError: sampling again may produce the call.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ContentBlock,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type DocumentBlock,
  type InferenceConfiguration,
  type ToolInputSchema,
  type ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import {
  DOCUMENT_NAME_DISALLOWED,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_NAME_LENGTH,
  MAX_DOCUMENTS,
} from '../domain/bedrock-limits.ts';
import { ConfigurationError, NonRetryableError, RetryableError } from '../domain/errors.ts';
import { noMetrics, type JobMetrics } from '../domain/ports.ts';
import type {
  ModelDocument,
  ModelRequest,
  ModelResponse,
  ModelUsage,
  StructuredModel,
  StructuredRequest,
  StructuredResponse,
} from '../domain/model.ts';

/** The SDK's type of a tool's JSON schema (a JSON document). */
type SchemaDocument = Extract<ToolInputSchema, { json: unknown }>['json'];

export interface BedrockModelOptions {
  /** Model or inference profile id used when a request names none. */
  readonly defaultModelId: string;
  /** Injected client (tests); default: a new client for `region`. */
  readonly client?: BedrockRuntimeClient;
  /** Region of the default client; default: the SDK's (AWS_REGION). */
  readonly region?: string;
  /** Each call's latency and tokens, and throttled calls, by model. @default noMetrics */
  readonly metrics?: JobMetrics;
}

export class BedrockModel implements StructuredModel {
  private readonly client: BedrockRuntimeClient;
  private readonly defaultModelId: string;
  private readonly metrics: JobMetrics;

  constructor(options: BedrockModelOptions) {
    if (options.defaultModelId.trim() === '') {
      throw new ConfigurationError('BedrockModel: defaultModelId must not be empty');
    }
    this.defaultModelId = options.defaultModelId;
    this.client = options.client ?? new BedrockRuntimeClient({ region: options.region });
    this.metrics = options.metrics ?? noMetrics;
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    request.signal?.throwIfAborted();
    const input = this.buildInput(request, [{ text: request.prompt }]);

    const { output, latencyMs } = await this.converse(input, request.signal);

    const text = joinText(output.output?.message?.content);
    const stopReason = output.stopReason ?? 'unknown';
    if (text.trim() === '') {
      throw new NonRetryableError(`Bedrock returned no text (stopReason: ${stopReason})`);
    }
    return { text, modelId: input.modelId ?? this.defaultModelId, usage: usageOf(output), stopReason, latencyMs };
  }

  async generateStructured(request: StructuredRequest): Promise<StructuredResponse> {
    request.signal?.throwIfAborted();
    const documents = request.documents ?? [];
    checkDocumentLimits(documents);
    const input = this.buildInput(request, [...documentBlocks(documents), { text: request.prompt }]);
    const description = request.tool.description.trim() === '' ? {} : { description: request.tool.description };
    input.toolConfig = {
      tools: [{ toolSpec: { name: request.tool.name, ...description, inputSchema: { json: request.tool.inputSchema as SchemaDocument } } }],
      toolChoice: { tool: { name: request.tool.name } },
    };

    const { output, latencyMs } = await this.converse(input, request.signal);

    const stopReason = output.stopReason ?? 'unknown';
    const toolUse = findToolUse(output.output?.message?.content, request.tool.name);
    // At max_tokens a call may be present but cut short: its input is not the model's answer.
    if (toolUse === undefined || stopReason === 'max_tokens') {
      throw new RetryableError(`Bedrock returned no structured output (stopReason: ${stopReason})`);
    }
    return {
      value: toolUse.input,
      modelId: input.modelId ?? this.defaultModelId,
      usage: usageOf(output),
      stopReason,
      latencyMs,
    };
  }

  private async converse(
    input: ConverseCommandInput,
    signal: AbortSignal | undefined,
  ): Promise<{ output: ConverseCommandOutput; latencyMs: number }> {
    const startedAt = performance.now();
    const output = await this.send(input, signal);
    const latencyMs = Math.round(performance.now() - startedAt);
    const usage = usageOf(output);
    this.metrics.modelCall(input.modelId ?? this.defaultModelId, latencyMs, { input: usage.inputTokens, output: usage.outputTokens });
    return { output, latencyMs };
  }

  private async send(input: ConverseCommandInput, signal: AbortSignal | undefined): Promise<ConverseCommandOutput> {
    try {
      return await this.client.send(new ConverseCommand(input), { abortSignal: signal });
    } catch (error) {
      // Whatever the SDK threw on abort, the caller expects its own reason back.
      if (signal?.aborted) throw signal.reason;
      if (THROTTLED_NAMES.has((error as { name?: unknown } | null)?.name as string)) this.metrics.modelThrottled(input.modelId ?? this.defaultModelId);
      throw translateError(error);
    }
  }

  private buildInput(request: ModelRequest, content: ContentBlock[]): ConverseCommandInput {
    const input: ConverseCommandInput = {
      modelId: request.modelId ?? this.defaultModelId,
      messages: [{ role: 'user', content }],
    };
    // Bedrock rejects blank text blocks, so a blank system prompt counts as none.
    if (request.system !== undefined && request.system.trim() !== '') {
      input.system = [{ text: request.system }];
    }
    const inferenceConfig: InferenceConfiguration = {};
    if (request.maxTokens !== undefined) inferenceConfig.maxTokens = request.maxTokens;
    if (request.temperature !== undefined) inferenceConfig.temperature = request.temperature;
    if (Object.keys(inferenceConfig).length > 0) input.inferenceConfig = inferenceConfig;
    return input;
  }
}

function joinText(content: readonly ContentBlock[] | undefined): string {
  return (content ?? []).map((block) => block.text ?? '').join('');
}

function usageOf(output: ConverseCommandOutput): ModelUsage {
  return { inputTokens: output.usage?.inputTokens ?? 0, outputTokens: output.usage?.outputTokens ?? 0 };
}

function findToolUse(content: readonly ContentBlock[] | undefined, toolName: string): ToolUseBlock | undefined {
  for (const block of content ?? []) {
    if (block.toolUse !== undefined && block.toolUse.name === toolName) return block.toolUse;
  }
  return undefined;
}

function checkDocumentLimits(documents: readonly ModelDocument[]): void {
  if (documents.length > MAX_DOCUMENTS) {
    throw new NonRetryableError(`Too many documents: ${documents.length} (Bedrock accepts at most ${MAX_DOCUMENTS})`);
  }
  documents.forEach((document, index) => {
    if (document.bytes.byteLength > MAX_DOCUMENT_BYTES) {
      throw new NonRetryableError(
        `Document ${index + 1} is too large: ${document.bytes.byteLength} bytes (Bedrock accepts at most ${MAX_DOCUMENT_BYTES})`,
      );
    }
  });
}

/** The documents as Converse document blocks, with safe and unique names. */
function documentBlocks(documents: readonly ModelDocument[]): ContentBlock[] {
  const taken = new Set<string>();
  return documents.map((document) => {
    const name = uniqueName(documentName(document.name), taken);
    const block: DocumentBlock = { format: document.format, name, source: { bytes: document.bytes } };
    return { document: block };
  });
}

/**
 * A document name Bedrock accepts, derived from `raw` without trusting it: accents are dropped,
 * every other character outside letters, digits, hyphens, parentheses and square brackets becomes
 * a space, runs of spaces become one, at most 200 characters; `document` if nothing is left.
 */
export function documentName(raw: string): string {
  const name = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(DOCUMENT_NAME_DISALLOWED, ' ')
    .trim()
    .slice(0, MAX_DOCUMENT_NAME_LENGTH)
    .trimEnd();
  return name === '' ? 'document' : name;
}

/** `name`, or `name (2)`, `name (3)`, ... (cut to fit 200 characters), whichever is not taken yet. */
function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n += 1) {
    const suffix = ` (${n})`;
    candidate = `${name.slice(0, MAX_DOCUMENT_NAME_LENGTH - suffix.length).trimEnd()}${suffix}`;
  }
  taken.add(candidate.toLowerCase());
  return candidate;
}

const RETRYABLE_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelTimeoutException',
  'ModelNotReadyException',
  'ServiceQuotaExceededException',
]);

const NON_RETRYABLE_NAMES: ReadonlySet<string> = new Set([
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ConflictException',
]);

/** Bedrock's answers to a call over the account's quota or rate. */
const THROTTLED_NAMES: ReadonlySet<string> = new Set(['ThrottlingException', 'ServiceQuotaExceededException']);

/** Exceptions that report the status code the model itself returned. */
const MODEL_FAILURE_NAMES: ReadonlySet<string> = new Set(['ModelErrorException', 'ModelStreamErrorException']);

const MAX_MESSAGE_LENGTH = 500;

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly originalStatusCode?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Turns an SDK (or network) failure into a domain error with a client-safe message. */
function translateError(error: unknown): RetryableError | NonRetryableError {
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? error : {};
  const name = typeof shape.name === 'string' && shape.name !== '' ? shape.name : 'Error';
  const rawMessage = typeof shape.message === 'string' ? shape.message : typeof error === 'string' ? error : '';
  const message = `Bedrock API error: ${name} - ${safeMessage(rawMessage)}`;
  return isRetryable(name, shape)
    ? new RetryableError(message, { cause: error })
    : new NonRetryableError(message, { cause: error });
}

function isRetryable(name: string, error: SdkErrorShape): boolean {
  if (RETRYABLE_NAMES.has(name)) return true;
  if (NON_RETRYABLE_NAMES.has(name)) return false;
  if (MODEL_FAILURE_NAMES.has(name)) return isRetryableStatus(error.originalStatusCode);

  const status = error.$metadata?.httpStatusCode;
  if (isRetryableStatus(status)) return true;
  if (error.$retryable !== undefined && error.$retryable !== null) return true;
  if (typeof status === 'number' && status >= 400 && status < 500) return false;
  if (error.$fault === 'server') return true;
  if (error.$fault === 'client') return false;
  return true;
}

function isRetryableStatus(status: unknown): boolean {
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/** One line, bounded length, never a stack trace. */
/**
 * One line, bounded, and without the account's internals: AWS messages (AccessDenied above all)
 * name role and resource ARNs and the account id, which the job's `error` must not show clients.
 */
function safeMessage(message: string): string {
  const oneLine = message
    .replace(/\barn:aws[\w-]*:[^\s"',;)]*/g, '<arn>')
    .replace(/\b\d{12}\b/g, '<account>')
    .replace(/\s+/g, ' ')
    .trim();
  if (oneLine === '') return 'no details';
  return oneLine.length > MAX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : oneLine;
}
