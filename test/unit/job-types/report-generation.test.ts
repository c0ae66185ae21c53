import { describe, expect, it } from 'vitest';
import type { SourceJob } from '../../../lambdas/domain/job-types.ts';
import { z } from 'zod';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import {
  reportGenerationType,
  type ReportGenerationInput,
} from '../../../lambdas/job-types/report-generation/definition.ts';
import { reportGenerationOutputSchema } from '../../../lambdas/job-types/report-generation/output.ts';
import {
  createReportGenerationProcessor,
  reportGenerationPrompt,
} from '../../../lambdas/job-types/report-generation/processor.ts';
import { renderSources } from '../../../lambdas/job-types/sources.ts';
import { SETTINGS, SOURCE_ID, SOURCE_ID_2, fakeModel, issuesOf, processorContext } from './fakes.ts';

const issues = (input: unknown) => issuesOf(reportGenerationType.input, input);

const REPORT = { title: 'Harvest review', markdown: '## Findings\n\n- Budget is missing.' };

const SOURCES : SourceJob[] = [
  {
    id: SOURCE_ID,
    type: 'PARSE_DOCUMENT',
    result: { title: 'Plan', summary: 'A harvest plan.', sections: [{ heading: 'Timing', text: 'September.' }] },
  },
  {
    id: SOURCE_ID_2,
    type: 'RISK_ANALYSIS',
    result: {
      risks: [{ category: 'schedule', description: 'Rain.', likelihood: 'medium', impact: 'high', mitigation: 'Extra days.' }],
    },
  },
];

describe('REPORT_GENERATION input schema', () => {
  it('accepts source job ids with a title and instructions, trimming them', () => {
    const parsed = reportGenerationType.input.parse({
      sourceJobIds: [SOURCE_ID, SOURCE_ID_2.toUpperCase()],
      title: ' Harvest review ',
      instructions: ' For the board. ',
    });

    expect(parsed).toStrictEqual({ sourceJobIds: [SOURCE_ID, SOURCE_ID_2], title: 'Harvest review', instructions: 'For the board.' });
  });

  it('requires sourceJobIds, saying what they are', () => {
    expect(issues({ title: 'Review' })).toStrictEqual([
      ['sourceJobIds', 'sourceJobIds is required: the ids of your earlier jobs (1 to 10)'],
    ]);
  });

  it('refuses text: a report is built from earlier jobs only', () => {
    expect(issues({ sourceJobIds: [SOURCE_ID], text: 'x' })).toStrictEqual([
      ['', 'input has unknown key "text"; allowed: sourceJobIds, title, instructions'],
    ]);
  });

  it.each([
    ['title', '  ', 'title must not be empty'],
    ['title', 't'.repeat(201), 'title must be at most 200 characters'],
    ['instructions', 'i'.repeat(4001), 'instructions must be at most 4000 characters'],
    ['instructions', 7, 'instructions must be a string'],
  ])('refuses a bad %s with its own message', (field, value, message) => {
    expect(issues({ sourceJobIds: [SOURCE_ID], [field]: value })).toStrictEqual([[field, message]]);
  });

  it('refuses more than 10 source jobs and duplicates', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

    expect(issues({ sourceJobIds: eleven })).toStrictEqual([['sourceJobIds', 'sourceJobIds must name at most 10 jobs']]);
    expect(issues({ sourceJobIds: [SOURCE_ID_2, SOURCE_ID_2] })).toStrictEqual([
      ['sourceJobIds.1', `sourceJobIds must be unique: ${SOURCE_ID_2} is also entry 0`],
    ]);
  });

  it('declares its source job ids for the API to check', () => {
    const parsed = reportGenerationType.input.parse({ sourceJobIds: [SOURCE_ID_2, SOURCE_ID] });

    expect(reportGenerationType.sourceJobIds?.(parsed)).toStrictEqual([SOURCE_ID_2, SOURCE_ID]);
  });

  it('is registered in the catalog with a 90 s timeout and 3 attempts', () => {
    expect(jobTypeCatalog.get('REPORT_GENERATION')).toBe(reportGenerationType);
    expect(reportGenerationType).toMatchObject({ timeoutSeconds: 90, maxAttempts: 3 });
  });
});

describe('REPORT_GENERATION prompt', () => {
  it('names the given title and passes the instructions on', () => {
    const prompt = reportGenerationPrompt({ title: 'Harvest review', instructions: 'For the board.' });

    expect(prompt).toContain("The report's title is: Harvest review");
    expect(prompt).toContain('Follow these instructions from the requester:\nFor the board.');
  });

  it('asks the model for a title when none is given, and has no instructions section', () => {
    const prompt = reportGenerationPrompt({});

    expect(prompt).toContain('Give the report a short, descriptive title.');
    expect(prompt).not.toContain('instructions from the requester');
  });
});

describe('REPORT_GENERATION processor', () => {
  const input: ReportGenerationInput = { sourceJobIds: [SOURCE_ID, SOURCE_ID_2], instructions: 'For the board.' };

  it('reads the sources, in order, and sends them rendered as one document with the record_report tool', async () => {
    const { model, requests } = fakeModel([{ value: REPORT }]);
    const { context, loadSources } = processorContext({ sources: SOURCES });

    await createReportGenerationProcessor(model, SETTINGS)(input, context);

    expect(loadSources).toHaveBeenCalledTimes(1);
    expect(loadSources).toHaveBeenCalledWith([SOURCE_ID, SOURCE_ID_2]);
    const request = requests[0]!;
    expect(request.documents).toHaveLength(1);
    expect(request.documents![0]).toMatchObject({ name: 'sources', format: 'txt' });
    const sent = Buffer.from(request.documents![0]!.bytes).toString('utf8');
    expect(sent).toBe(renderSources(SOURCES));
    expect(sent).toContain('Title: Plan');
    expect(sent).toContain('[schedule; likelihood medium, impact high] Rain.');
    expect(request.prompt).toBe(reportGenerationPrompt(input));
    const { $schema: _ignored, ...schema } = z.toJSONSchema(reportGenerationOutputSchema) as Record<string, unknown>;
    expect(request.tool).toMatchObject({ name: 'record_report', inputSchema: schema });
    expect(request).toMatchObject({ modelId: 'amazon.nova-pro-v1:0', maxTokens: 1500, temperature: 0.3 });
    expect(request.signal).toBe(context.signal);
  });

  it('returns the title and markdown with the model metadata', async () => {
    const { model } = fakeModel([{ value: REPORT }]);

    const result = await createReportGenerationProcessor(model, SETTINGS)(input, processorContext({ sources: SOURCES }).context);

    expect(result).toStrictEqual({
      ...REPORT,
      metadata: { model: 'amazon.nova-pro-v1:0', usage: { inputTokens: 1200, outputTokens: 300 }, latencyMs: 900, attempts: 1 },
    });
  });

  it('keeps the title the input gives over the one the model proposes', async () => {
    const { model } = fakeModel([{ value: REPORT }]);

    const result = await createReportGenerationProcessor(model, SETTINGS)(
      { ...input, title: 'Board pack' },
      processorContext({ sources: SOURCES }).context,
    );

    expect(result).toMatchObject({ title: 'Board pack', markdown: REPORT.markdown });
  });

  it('reports reading sources, waiting for model, validating output and asking again, in that order', async () => {
    const events: string[] = [];
    const { model } = fakeModel([{ value: { title: 'Harvest review' } }, { value: REPORT }], events);
    const { context, progress } = processorContext({ events, sources: SOURCES });

    await createReportGenerationProcessor(model, SETTINGS)(input, context);

    expect(progress).toStrictEqual([
      { percent: 10, message: 'reading sources' },
      { percent: 40, message: 'waiting for model' },
      { percent: 80, message: 'validating output' },
      { percent: 85, message: 'asking the model again' },
    ]);
    expect(events).toStrictEqual(['progress 10', 'loadSources', 'progress 40', 'model', 'progress 80', 'progress 85', 'model']);
  });

  it('fails with a RetryableError after two replies without markdown', async () => {
    const { model } = fakeModel([{ value: { title: 'Harvest review' } }]);

    const failure = await createReportGenerationProcessor(model, SETTINGS)(input, processorContext({ sources: SOURCES }).context).catch(
      (error) => error,
    );

    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toBe(
      "The model's reply did not match the REPORT_GENERATION result schema, twice in this attempt " +
        '(markdown: Invalid input: expected string, received undefined); the next attempt may do better.',
    );
  });

  it('fails at once, without a model call, when a source is gone', async () => {
    const { model, requests } = fakeModel([{ value: REPORT }]);

    const failure = await createReportGenerationProcessor(model, SETTINGS)(input, processorContext({ sources: [SOURCES[0]!] }).context).catch(
      (error) => error,
    );

    expect(failure).toBeInstanceOf(NonRetryableError);
    expect(failure.message).toBe(`Source job ${SOURCE_ID_2} no longer exists`);
    expect(requests).toHaveLength(0);
  });
});
