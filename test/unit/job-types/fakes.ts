/** Fakes shared by the job type tests: a scripted StructuredModel and a processor context. */
import { vi } from 'vitest';
import { NonRetryableError } from '../../../lambdas/domain/errors.ts';
import type { ProcessorContext, SourceJob } from '../../../lambdas/domain/job-types.ts';
import type { JobProgress } from '../../../lambdas/domain/job.ts';
import type {
  ModelRequest,
  ModelResponse,
  StructuredModel,
  StructuredRequest,
  StructuredResponse,
} from '../../../lambdas/domain/model.ts';
import type { ModelSettings } from '../../../lambdas/job-types/model-settings.ts';

export const SETTINGS: ModelSettings = { modelId: 'amazon.nova-pro-v1:0', maxTokens: 1500, temperature: 0.3 };

export const SOURCE_ID = '550e8400-e29b-41d4-a716-446655440000';
export const SOURCE_ID_2 = '550e8400-e29b-41d4-a716-446655440001';

export function structuredResponse(value: unknown, overrides: Partial<StructuredResponse> = {}): StructuredResponse {
  return {
    value,
    modelId: 'amazon.nova-pro-v1:0',
    usage: { inputTokens: 1200, outputTokens: 300 },
    stopReason: 'tool_use',
    latencyMs: 900,
    ...overrides,
  };
}

/** One scripted reply: a tool-call value (as is), a full response, or an error to throw. */
export type Reply = { readonly value: unknown } | { readonly response: StructuredResponse } | { readonly error: Error };

/**
 * A StructuredModel that answers `generateStructured` calls with `replies` in order (the last
 * one repeats) and records each request. `events` receives `model` per call, to check ordering.
 */
export function fakeModel(replies: readonly Reply[], events: string[] = []) {
  const requests: StructuredRequest[] = [];
  const model: StructuredModel = {
    async generate(_request: ModelRequest): Promise<ModelResponse> {
      throw new Error('generate must not be called by structured job types');
    },
    async generateStructured(request) {
      events.push('model');
      requests.push(request);
      const reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
      if ('error' in reply) throw reply.error;
      if ('response' in reply) return reply.response;
      return structuredResponse(reply.value);
    },
  };
  return { model, requests };
}

/** A processor context whose progress reports, source loads and logs are recorded. */
export function processorContext(options: { events?: string[]; sources?: readonly SourceJob[]; document?: Uint8Array } = {}) {
  const events = options.events ?? [];
  const controller = new AbortController();
  const progress: JobProgress[] = [];
  const reportProgress = vi.fn(async (report: JobProgress) => {
    events.push(`progress ${report.percent}`);
    progress.push(report);
  });
  const loadSources = vi.fn(async (ids: readonly string[]) => {
    events.push('loadSources');
    return ids.map((id) => {
      const source = options.sources?.find((candidate) => candidate.id === id);
      if (!source) throw new NonRetryableError(`Source job ${id} no longer exists`);
      return source;
    });
  });
  const loadDocument = vi.fn(async () => {
    events.push('loadDocument');
    if (!options.document) throw new NonRetryableError('The uploaded document is no longer stored');
    return options.document;
  });
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn(), child: () => logger };
  const context: ProcessorContext = {
    jobId: 'job-1',
    ownerId: 'owner-1',
    attempt: 1,
    maxAttempts: 3,
    signal: controller.signal,
    reportProgress,
    loadSources,
    loadDocument,
    logger,
  };
  return { context, progress, reportProgress, loadSources, loadDocument, logger, controller, events };
}

/** Zod issues as `[dotted path, message]`. */
export function issuesOf(schema: { safeParse(input: unknown): { success: boolean; error?: { issues: readonly { path: PropertyKey[]; message: string }[] } } }, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? [] : (result.error?.issues ?? []).map((issue) => [issue.path.map(String).join('.'), issue.message]);
}

/** Everything the logger was given, as one string (to check what never appears in logs). */
export function loggedText(logger: ReturnType<typeof processorContext>['logger']): string {
  return JSON.stringify([logger.debug.mock.calls, logger.info.mock.calls, logger.warn.mock.calls, logger.error.mock.calls]);
}
