/**
 * The Model port: a text-generation model (Amazon Bedrock in AWS, a stand-in locally).
 * Adapters throw NonRetryableError for failures that a retry cannot fix (validation, access)
 * and RetryableError for throttling, timeouts and 5xx. No AWS imports here.
 */

export interface ModelRequest {
  /** The user's message. */
  readonly prompt: string;
  /** Optional system prompt. */
  readonly system?: string;
  readonly maxTokens?: number;
  readonly temperature?: number;
  /** Overrides the adapter's default model id. */
  readonly modelId?: string;
  /** Aborts the call (cancellation or the attempt's time limit). */
  readonly signal?: AbortSignal;
}

export interface ModelUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ModelResponse {
  readonly text: string;
  readonly modelId: string;
  readonly usage: ModelUsage;
  /** Why the model stopped (e.g. `end_turn`, `max_tokens`). */
  readonly stopReason: string;
  /** Time spent in the model call, in milliseconds. */
  readonly latencyMs: number;
}

export interface Model {
  generate(request: ModelRequest): Promise<ModelResponse>;
}
