/**
 * Chaining: renders the results of a job's source jobs as text for the model, and builds the
 * document a job reads (its text, its uploaded document, or its sources).
 *
 * Each type renders its own results (its worker's `render`, from its result schema); a stored
 * result that no longer has that shape, or one of a type that is gone, is rendered as JSON.
 */
import { NonRetryableError } from '../domain/errors.ts';
import type { ProcessorContext, SourceJob } from '../domain/job-types.ts';
import type { JsonObject } from '../domain/json.ts';
import type { DocumentFormat, ModelDocument } from '../domain/model.ts';
import { textDocument } from './structured.ts';

/** Rendered sources larger than this are refused: no model reads 10 full job records well. */
export const MAX_SOURCES_CHARS = 400_000;

/** Neutral document names (Converse treats the name as part of the prompt). */
export const DOCUMENT_NAMES = { document: 'document', sources: 'sources' } as const;

export const SOURCE_PROGRESS = {
  sendingDocument: { percent: 10, message: 'sending document' },
  readingSources: { percent: 10, message: 'reading sources' },
} as const;

/** One source's result as text. */
export type SourceRenderer = (source: SourceJob) => string;

function asJson(result: JsonObject): string {
  return `Result (JSON):\n${JSON.stringify(result, null, 2)}`;
}

/** Renders each source with the renderer of its type (by name), or as JSON. */
export function sourceRenderer(renderers: ReadonlyMap<string, (result: JsonObject) => string | undefined>): SourceRenderer {
  return (source) => renderers.get(source.type)?.(source.result) ?? asJson(source.result);
}

/**
 * All sources as one text, each wrapped in a `<source>` tag naming its position, type and job
 * id. Throws NonRetryableError when the text exceeds MAX_SOURCES_CHARS (a retry cannot fix it).
 */
export function renderSources(sources: readonly SourceJob[], render: SourceRenderer): string {
  const text = sources
    .map(
      (source, index) =>
        `<source n="${index + 1}" type="${source.type}" job="${source.id}">\n${render(source)}\n</source>`,
    )
    .join('\n\n');
  if (text.length > MAX_SOURCES_CHARS) {
    throw new NonRetryableError(
      `The source jobs' results are ${text.length} characters together; the limit is ${MAX_SOURCES_CHARS}: name fewer or smaller sources`,
    );
  }
  return text;
}

/** Reports "reading sources", loads them and returns them as one `txt` document. */
export async function sourcesDocument(ids: readonly string[], context: ProcessorContext, render: SourceRenderer): Promise<ModelDocument> {
  await context.reportProgress(SOURCE_PROGRESS.readingSources);
  const sources = await context.loadSources(ids);
  const text = renderSources(sources, render);
  context.logger.info('sources loaded', {
    sources: sources.map((source) => ({ id: source.id, type: source.type })),
    chars: text.length,
  });
  return textDocument(DOCUMENT_NAMES.sources, 'txt', text);
}

/**
 * The document a GAP_DETECTION or RISK_ANALYSIS job analyses (subject-input.ts): its `text` or
 * uploaded `document` (progress "sending document") or its sources (progress "reading sources").
 * The schemas allow exactly one.
 */
export async function subjectDocument(
  input: {
    readonly text?: string | undefined;
    readonly sourceJobIds?: readonly string[] | undefined;
    readonly document?: { readonly format: DocumentFormat } | undefined;
  },
  context: ProcessorContext,
  render: SourceRenderer,
): Promise<ModelDocument> {
  if (input.sourceJobIds !== undefined) return sourcesDocument(input.sourceJobIds, context, render);
  if (input.document !== undefined) {
    await context.reportProgress(SOURCE_PROGRESS.sendingDocument);
    return { name: DOCUMENT_NAMES.document, format: input.document.format, bytes: await context.loadDocument() };
  }
  if (input.text === undefined) throw new NonRetryableError('The input has no text, sourceJobIds or document');
  await context.reportProgress(SOURCE_PROGRESS.sendingDocument);
  return textDocument(DOCUMENT_NAMES.document, 'txt', input.text);
}
