/**
 * The Model port: a text-generation model (Amazon Bedrock in AWS, a stand-in locally).
 * Adapters throw NonRetryableError for failures that a retry cannot fix (validation, access)
 * and RetryableError for throttling, timeouts and 5xx. No AWS imports here.
 */
import type { BedrockDocumentFormat } from './bedrock-limits.ts';

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

/** Document formats jobs take and send to the model as a document content block (some of Bedrock's). */
export const DOCUMENT_FORMATS = ['pdf', 'docx', 'txt', 'md', 'csv', 'html'] as const satisfies readonly BedrockDocumentFormat[];
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** The content type an uploaded document of each format is sent and stored with. */
export const DOCUMENT_CONTENT_TYPES: Readonly<Record<DocumentFormat, string>> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  html: 'text/html',
};

/** A document sent alongside the prompt (Converse document content block). */
export interface ModelDocument {
  /** A neutral name; the adapter reduces any name to one Bedrock accepts (`bedrock-limits.ts`). */
  readonly name: string;
  readonly format: DocumentFormat;
  readonly bytes: Uint8Array;
}

/**
 * A request for structured output: the model must answer by calling `tool` with arguments that
 * match `tool.inputSchema` (Converse tool use with a forced tool choice).
 */
export interface StructuredRequest extends ModelRequest {
  readonly documents?: readonly ModelDocument[];
  readonly tool: {
    readonly name: string;
    readonly description: string;
    /** JSON Schema (draft 2020-12 subset) of the tool's input: the structure we want back. */
    readonly inputSchema: Record<string, unknown>;
  };
}

export interface StructuredResponse extends Omit<ModelResponse, 'text'> {
  /** The tool-call arguments as the model gave them: NOT validated yet. */
  readonly value: unknown;
}

export interface StructuredModel extends Model {
  generateStructured(request: StructuredRequest): Promise<StructuredResponse>;
}
