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
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ContentBlock,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type InferenceConfiguration,
} from '@aws-sdk/client-bedrock-runtime';
import { ConfigurationError, NonRetryableError, RetryableError } from '../domain/errors.ts';
import type { Model, ModelRequest, ModelResponse } from '../domain/model.ts';

export interface BedrockModelOptions {
  /** Model or inference profile id used when a request names none. */
  readonly defaultModelId: string;
  /** Injected client (tests); default: a new client for `region`. */
  readonly client?: BedrockRuntimeClient;
  /** Region of the default client; default: the SDK's (AWS_REGION). */
  readonly region?: string;
}

export class BedrockModel implements Model {
  private readonly client: BedrockRuntimeClient;
  private readonly defaultModelId: string;

  constructor(options: BedrockModelOptions) {
    if (options.defaultModelId.trim() === '') {
      throw new ConfigurationError('BedrockModel: defaultModelId must not be empty');
    }
    this.defaultModelId = options.defaultModelId;
    this.client = options.client ?? new BedrockRuntimeClient({ region: options.region });
  }

  async generate(request: ModelRequest): Promise<ModelResponse> {
    request.signal?.throwIfAborted();
    const input = this.buildInput(request);

    const startedAt = performance.now();
    const output = await this.send(input, request.signal);
    const latencyMs = Math.round(performance.now() - startedAt);

    const text = joinText(output.output?.message?.content);
    const stopReason = output.stopReason ?? 'unknown';
    if (text.trim() === '') {
      throw new NonRetryableError(`Bedrock returned no text (stopReason: ${stopReason})`);
    }
    return {
      text,
      modelId: input.modelId ?? this.defaultModelId,
      usage: {
        inputTokens: output.usage?.inputTokens ?? 0,
        outputTokens: output.usage?.outputTokens ?? 0,
      },
      stopReason,
      latencyMs,
    };
  }

  private async send(input: ConverseCommandInput, signal: AbortSignal | undefined): Promise<ConverseCommandOutput> {
    try {
      return await this.client.send(new ConverseCommand(input), { abortSignal: signal });
    } catch (error) {
      // Whatever the SDK threw on abort, the caller expects its own reason back.
      if (signal?.aborted) throw signal.reason;
      throw translateError(error);
    }
  }

  private buildInput(request: ModelRequest): ConverseCommandInput {
    const input: ConverseCommandInput = {
      modelId: request.modelId ?? this.defaultModelId,
      messages: [{ role: 'user', content: [{ text: request.prompt }] }],
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
function safeMessage(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return 'no details';
  return oneLine.length > MAX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : oneLine;
}
