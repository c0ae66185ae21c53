/** A ProcessorContext for job type tests, recording what the processor does with it. */
import { vi } from 'vitest';
import { NonRetryableError } from '../../lambdas/domain/errors.ts';
import type { ProcessorContext, SourceJob } from '../../lambdas/domain/job-types.ts';
import type { JobProgress } from '../../lambdas/domain/job.ts';

/**
 * A processor context whose progress reports, source and document loads and logs are recorded.
 * `events` receives `progress <percent>`, `loadSources` and `loadDocument` (ScriptedModel adds
 * `model`), to check the order of steps. `loadSources` answers from `sources`, `loadDocument`
 * with `document`; either throws a NonRetryableError for what it lacks.
 */
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
  // `child` returns the same recorder: lines logged through a child are recorded here too.
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

/** Everything the logger was given, as one string (to check what never appears in logs). */
export function loggedText(logger: ReturnType<typeof processorContext>['logger']): string {
  return JSON.stringify([logger.debug.mock.calls, logger.info.mock.calls, logger.warn.mock.calls, logger.error.mock.calls]);
}
