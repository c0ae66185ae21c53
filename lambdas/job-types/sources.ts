/**
 * Chaining: renders the results of a job's source jobs as text for the model, and builds the
 * document a GAP_DETECTION or RISK_ANALYSIS job analyses (its text, or its sources).
 *
 * Each known result is rendered from its own schema (a stored result that no longer matches it
 * falls back to JSON); results of other types are rendered as JSON.
 */
import { NonRetryableError } from '../domain/errors.ts';
import type { ProcessorContext, SourceJob } from '../domain/job-types.ts';
import type { JsonObject } from '../domain/json.ts';
import type { DocumentFormat, ModelDocument } from '../domain/model.ts';
import { gapDetectionOutputSchema } from './gap-detection/output.ts';
import { parseDocumentOutputSchema } from './parse-document/output.ts';
import { reportGenerationOutputSchema } from './report-generation/output.ts';
import { riskAnalysisOutputSchema } from './risk-analysis/output.ts';
import { textDocument } from './structured.ts';

/** Rendered sources larger than this are refused: no model reads 10 full job records well. */
export const MAX_SOURCES_CHARS = 400_000;

/** Neutral document names (Converse treats the name as part of the prompt). */
export const DOCUMENT_NAMES = { document: 'document', sources: 'sources' } as const;

export const SOURCE_PROGRESS = {
  sendingDocument: { percent: 10, message: 'sending document' },
  readingSources: { percent: 10, message: 'reading sources' },
} as const;

type Renderer = (result: JsonObject) => string | undefined;

const RENDERERS: Readonly<Record<string, Renderer>> = {
  PARSE_DOCUMENT: (result) => {
    const parsed = parseDocumentOutputSchema.safeParse(result);
    if (!parsed.success) return undefined;
    const { title, summary, sections } = parsed.data;
    return [
      `Title: ${title}`,
      `Summary: ${summary}`,
      ...sections.map((section) => `Section: ${section.heading}\n${section.text}`),
    ].join('\n\n');
  },
  GAP_DETECTION: (result) => {
    const parsed = gapDetectionOutputSchema.safeParse(result);
    if (!parsed.success) return undefined;
    if (parsed.data.gaps.length === 0) return 'Gaps found: none.';
    return ['Gaps found:', ...parsed.data.gaps.map((gap) => `- [${gap.severity} severity] ${gap.area}: ${gap.description}`)].join('\n');
  },
  RISK_ANALYSIS: (result) => {
    const parsed = riskAnalysisOutputSchema.safeParse(result);
    if (!parsed.success) return undefined;
    if (parsed.data.risks.length === 0) return 'Risks found: none.';
    return [
      'Risks found:',
      ...parsed.data.risks.map(
        (risk) =>
          `- [${risk.category}; likelihood ${risk.likelihood}, impact ${risk.impact}] ${risk.description}\n  Mitigation: ${risk.mitigation}`,
      ),
    ].join('\n');
  },
  REPORT_GENERATION: (result) => {
    const parsed = reportGenerationOutputSchema.safeParse(result);
    return parsed.success ? `Report: ${parsed.data.title}\n\n${parsed.data.markdown}` : undefined;
  },
  AI_PREVIEW: (result) => (typeof result.output === 'string' ? result.output : undefined),
};

function asJson(result: JsonObject): string {
  return `Result (JSON):\n${JSON.stringify(result, null, 2)}`;
}

/** One source's result as text: its type's rendering, or JSON. */
export function renderSourceResult(source: SourceJob): string {
  return RENDERERS[source.type]?.(source.result) ?? asJson(source.result);
}

/**
 * All sources as one text, each wrapped in a `<source>` tag naming its position, type and job
 * id. Throws NonRetryableError when the text exceeds MAX_SOURCES_CHARS (a retry cannot fix it).
 */
export function renderSources(sources: readonly SourceJob[]): string {
  const text = sources
    .map(
      (source, index) =>
        `<source n="${index + 1}" type="${source.type}" job="${source.id}">\n${renderSourceResult(source)}\n</source>`,
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
export async function sourcesDocument(ids: readonly string[], context: ProcessorContext): Promise<ModelDocument> {
  await context.reportProgress(SOURCE_PROGRESS.readingSources);
  const sources = await context.loadSources(ids);
  const text = renderSources(sources);
  context.logger.info('sources loaded', {
    sources: sources.map((source) => ({ id: source.id, type: source.type })),
    chars: text.length,
  });
  return textDocument(DOCUMENT_NAMES.sources, 'txt', text);
}

/**
 * The document a GAP_DETECTION or RISK_ANALYSIS job analyses: its `text` or uploaded `document`
 * (progress "sending document") or its sources (progress "reading sources"). The schemas allow
 * exactly one.
 */
export async function subjectDocument(
  input: {
    readonly text?: string | undefined;
    readonly sourceJobIds?: readonly string[] | undefined;
    readonly document?: { readonly format: DocumentFormat } | undefined;
  },
  context: ProcessorContext,
): Promise<ModelDocument> {
  if (input.sourceJobIds !== undefined) return sourcesDocument(input.sourceJobIds, context);
  if (input.document !== undefined) {
    await context.reportProgress(SOURCE_PROGRESS.sendingDocument);
    return { name: DOCUMENT_NAMES.document, format: input.document.format, bytes: await context.loadDocument() };
  }
  if (input.text === undefined) throw new NonRetryableError('The input has no text, sourceJobIds or document');
  await context.reportProgress(SOURCE_PROGRESS.sendingDocument);
  return textDocument(DOCUMENT_NAMES.document, 'txt', input.text);
}
