import { describe, expect, it } from 'vitest';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { definition as reportGenerationType } from '../../../lambdas/job-types/report-generation/index.ts';
import { worker } from '../../../lambdas/job-types/report-generation/worker.ts';
import { processorContext } from '../../support/processor-context.ts';
import { ScriptedModel } from '../../support/scripted-model.ts';
import { SOURCES, SOURCE_ID, SOURCE_ID_2, attempt, issuesOf, workerType } from './fixtures.ts';

const issues = (input: unknown) => issuesOf(reportGenerationType.input, input);

const REPORT = { title: 'Harvest review', markdown: '## Findings\n\n- Budget is missing.' };

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
  const reportGenerationPrompt = (input: { title?: string; instructions?: string }) => worker.prompt({ sourceJobIds: [SOURCE_ID], ...input });

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
  it('keeps the title the input gives over the one the model proposes', async () => {
    const type = workerType('REPORT_GENERATION', new ScriptedModel().answer({ value: REPORT }));

    const { result } = await attempt(type, { sourceJobIds: [SOURCE_ID, SOURCE_ID_2], title: 'Board pack' }, processorContext({ sources: SOURCES }).context);

    expect(result).toMatchObject({ title: 'Board pack', markdown: REPORT.markdown });
  });
});
