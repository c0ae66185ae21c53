import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../../lambdas/domain/errors.ts';
import type { SourceJob } from '../../../lambdas/domain/job-types.ts';
import { renderSourceResult } from '../../../lambdas/job-types/processors.ts';
import { MAX_SOURCES_CHARS, renderSources, sourcesDocument, subjectDocument } from '../../../lambdas/job-types/sources.ts';
import { processorContext } from '../../support/processor-context.ts';
import { SOURCE_ID, SOURCE_ID_2 } from './fixtures.ts';

const metadata = { model: 'm', usage: { inputTokens: 1, outputTokens: 1 }, latencyMs: 1, attempts: 1 };

const source = (type: string, result: SourceJob['result'], id = SOURCE_ID): SourceJob => ({ id, type, result });

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

describe('renderSourceResult', () => {
  it('renders a PARSE_DOCUMENT result as title, summary and sections', () => {
    const rendered = renderSourceResult(
      source('PARSE_DOCUMENT', {
        title: 'Harvest plan',
        summary: 'Plans the harvest.',
        sections: [
          { heading: 'Timing', text: 'Late September.' },
          { heading: 'Crew', text: 'Six people.' },
        ],
        metadata,
      }),
    );

    expect(rendered).toBe(
      'Title: Harvest plan\n\nSummary: Plans the harvest.\n\nSection: Timing\nLate September.\n\nSection: Crew\nSix people.',
    );
  });

  it('renders a GAP_DETECTION result as a gap list with severities', () => {
    const rendered = renderSourceResult(
      source('GAP_DETECTION', {
        gaps: [
          { area: 'Budget', description: 'No costs are given.', severity: 'high' },
          { area: 'Weather', description: 'No rain plan.', severity: 'low' },
        ],
        metadata,
      }),
    );

    expect(rendered).toBe(
      'Gaps found:\n- [high severity] Budget: No costs are given.\n- [low severity] Weather: No rain plan.',
    );
  });

  it('says so when a GAP_DETECTION or RISK_ANALYSIS result found nothing', () => {
    expect(renderSourceResult(source('GAP_DETECTION', { gaps: [], metadata }))).toBe('Gaps found: none.');
    expect(renderSourceResult(source('RISK_ANALYSIS', { risks: [], metadata }))).toBe('Risks found: none.');
  });

  it('renders a RISK_ANALYSIS result as a risk list with likelihood, impact and mitigation', () => {
    const rendered = renderSourceResult(
      source('RISK_ANALYSIS', {
        risks: [
          {
            category: 'schedule',
            description: 'Rain delays the harvest.',
            likelihood: 'medium',
            impact: 'high',
            mitigation: 'Book the crew for two extra days.',
          },
        ],
        metadata,
      }),
    );

    expect(rendered).toBe(
      'Risks found:\n- [schedule; likelihood medium, impact high] Rain delays the harvest.\n  Mitigation: Book the crew for two extra days.',
    );
  });

  it('renders an AI_PREVIEW result as its output text', () => {
    const rendered = renderSourceResult(
      source('AI_PREVIEW', { output: 'Three risks: rain, frost, labour.', model: 'm', usage: { inputTokens: 1, outputTokens: 2 } }),
    );

    expect(rendered).toBe('Three risks: rain, frost, labour.');
  });

  it('renders a REPORT_GENERATION result as its title and markdown', () => {
    const rendered = renderSourceResult(source('REPORT_GENERATION', { title: 'Q3', markdown: '## Findings\n- one', metadata }));

    expect(rendered).toBe('Report: Q3\n\n## Findings\n- one');
  });

  it('renders a result of another type as JSON', () => {
    const rendered = renderSourceResult(source('IMAGE_TAGGING', { tags: ['barn', 'tractor'] }));

    expect(rendered).toBe('Result (JSON):\n{\n  "tags": [\n    "barn",\n    "tractor"\n  ]\n}');
  });

  it('falls back to JSON when a known type’s stored result does not have its shape', () => {
    const rendered = renderSourceResult(source('GAP_DETECTION', { gaps: 'none' }));

    expect(rendered).toBe('Result (JSON):\n{\n  "gaps": "none"\n}');
  });
});

describe('renderSources', () => {
  it('wraps each source in a tag naming its position, type and job id, in the given order', () => {
    const rendered = renderSources(
      [source('AI_PREVIEW', { output: 'first' }, SOURCE_ID_2), source('AI_PREVIEW', { output: 'second' }, SOURCE_ID)],
      renderSourceResult,
    );

    expect(rendered).toBe(
      `<source n="1" type="AI_PREVIEW" job="${SOURCE_ID_2}">\nfirst\n</source>\n\n` +
        `<source n="2" type="AI_PREVIEW" job="${SOURCE_ID}">\nsecond\n</source>`,
    );
  });

  it('refuses sources longer than the limit with a NonRetryableError', () => {
    const huge = source('AI_PREVIEW', { output: 'x'.repeat(MAX_SOURCES_CHARS) });

    expect(() => renderSources([huge], renderSourceResult)).toThrow(NonRetryableError);
    expect(() => renderSources([huge], renderSourceResult)).toThrow(/the limit is 400000: name fewer or smaller sources/);
  });
});

describe('sourcesDocument', () => {
  it('reports "reading sources", loads the sources by id and returns them as a txt document', async () => {
    const events: string[] = [];
    const sources = [source('AI_PREVIEW', { output: 'from the source' })];
    const { context, loadSources, progress } = processorContext({ events, sources });

    const document = await sourcesDocument([SOURCE_ID], context, renderSourceResult);

    expect(loadSources).toHaveBeenCalledWith([SOURCE_ID]);
    expect(events).toStrictEqual(['progress 10', 'loadSources']);
    expect(progress).toStrictEqual([{ percent: 10, message: 'reading sources' }]);
    expect(document.name).toBe('sources');
    expect(document.format).toBe('txt');
    expect(text(document.bytes)).toBe(renderSources(sources, renderSourceResult));
  });

  it('lets a failure to load the sources through', async () => {
    const { context } = processorContext({ sources: [] });

    await expect(sourcesDocument([SOURCE_ID], context, renderSourceResult)).rejects.toThrow(
      new NonRetryableError(`Source job ${SOURCE_ID} no longer exists`),
    );
  });

  it('logs the sources’ ids and types but not their content', async () => {
    const { context, logger } = processorContext({ sources: [source('AI_PREVIEW', { output: 'SECRET-SOURCE-TEXT' })] });

    const document = await sourcesDocument([SOURCE_ID], context, renderSourceResult);

    expect(logger.info).toHaveBeenCalledWith('sources loaded', {
      sources: [{ id: SOURCE_ID, type: 'AI_PREVIEW' }],
      chars: text(document.bytes).length,
    });
    expect(JSON.stringify(logger.info.mock.calls)).not.toContain('SECRET');
  });
});

describe('subjectDocument', () => {
  it('sends the text as a txt document after reporting "sending document"', async () => {
    const { context, progress, loadSources } = processorContext();

    const document = await subjectDocument({ text: 'The plan.' }, context, renderSourceResult);

    expect(progress).toStrictEqual([{ percent: 10, message: 'sending document' }]);
    expect(loadSources).not.toHaveBeenCalled();
    expect(document).toMatchObject({ name: 'document', format: 'txt' });
    expect(text(document.bytes)).toBe('The plan.');
  });

  it('uses the sources when the input names source jobs', async () => {
    const { context, progress } = processorContext({ sources: [source('AI_PREVIEW', { output: 'source text' })] });

    const document = await subjectDocument({ sourceJobIds: [SOURCE_ID] }, context, renderSourceResult);

    expect(progress).toStrictEqual([{ percent: 10, message: 'reading sources' }]);
    expect(document.name).toBe('sources');
    expect(text(document.bytes)).toContain('source text');
  });
});
