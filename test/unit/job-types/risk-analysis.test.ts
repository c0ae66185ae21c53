import { describe, expect, it } from 'vitest';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { definition as riskAnalysisType } from '../../../lambdas/job-types/risk-analysis/index.ts';
import { SOURCE_ID, SOURCE_ID_2, issuesOf } from './fixtures.ts';

const issues = (input: unknown) => issuesOf(riskAnalysisType.input, input);

describe('RISK_ANALYSIS input schema', () => {
  it('accepts text alone', () => {
    expect(riskAnalysisType.input.parse({ text: 'The harvest plan.' })).toStrictEqual({ text: 'The harvest plan.' });
  });

  it('accepts source job ids alone, lower-cased', () => {
    expect(riskAnalysisType.input.parse({ sourceJobIds: [SOURCE_ID.toUpperCase()] })).toStrictEqual({ sourceJobIds: [SOURCE_ID] });
  });

  it('refuses both text and sourceJobIds, and neither', () => {
    expect(issues({ text: 'x', sourceJobIds: [SOURCE_ID] })).toStrictEqual([
      ['', 'input takes only one of text, sourceJobIds; give one of them'],
    ]);
    expect(issues({})).toStrictEqual([
      ['', 'input needs the document to analyse: text (a string) or sourceJobIds (ids of your earlier jobs) or document ({ uploadId, format }: an uploaded file)'],
    ]);
  });

  it('refuses duplicate source job ids at the repeated entry', () => {
    expect(issues({ sourceJobIds: [SOURCE_ID, SOURCE_ID] })).toStrictEqual([
      ['sourceJobIds.1', `sourceJobIds must be unique: ${SOURCE_ID} is also entry 0`],
    ]);
  });

  it('refuses a string where the sourceJobIds array belongs, with one message', () => {
    expect(issues({ sourceJobIds: SOURCE_ID })).toStrictEqual([['sourceJobIds', 'sourceJobIds must be an array of job ids']]);
  });

  it('refuses text over 150 KB of UTF-8 and blank text', () => {
    expect(issues({ text: 'a'.repeat(150 * 1024 + 1) })).toStrictEqual([
      ['text', 'text is 153601 bytes of UTF-8; the limit is 153600 bytes (150 KB)'],
    ]);
    expect(issues({ text: '  ' })).toStrictEqual([['text', 'text must not be empty']]);
  });

  it('refuses keys of other types, such as question', () => {
    expect(issues({ text: 'x', question: 'q' })).toStrictEqual([
      ['', 'input has unknown key "question"; allowed: text, sourceJobIds, document'],
    ]);
  });

  it('declares the source job ids for the API to check', () => {
    const parsed = riskAnalysisType.input.parse({ sourceJobIds: [SOURCE_ID, SOURCE_ID_2] });

    expect(riskAnalysisType.sourceJobIds?.(parsed)).toStrictEqual([SOURCE_ID, SOURCE_ID_2]);
    expect(riskAnalysisType.sourceJobIds?.({ text: 'x' })).toStrictEqual([]);
  });

  it('is registered in the catalog with a 60 s timeout and 3 attempts', () => {
    expect(jobTypeCatalog.get('RISK_ANALYSIS')).toBe(riskAnalysisType);
    expect(riskAnalysisType).toMatchObject({ timeoutSeconds: 60, maxAttempts: 3 });
  });
});
