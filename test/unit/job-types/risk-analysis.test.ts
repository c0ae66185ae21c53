import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RetryableError } from '../../../lambdas/domain/errors.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { riskAnalysisType, type RiskAnalysisInput } from '../../../lambdas/job-types/risk-analysis/definition.ts';
import { riskAnalysisOutputSchema } from '../../../lambdas/job-types/risk-analysis/output.ts';
import { RISK_ANALYSIS_PROMPT, createRiskAnalysisProcessor } from '../../../lambdas/job-types/risk-analysis/processor.ts';
import { SETTINGS, SOURCE_ID, SOURCE_ID_2, fakeModel, issuesOf, processorContext } from './fakes.ts';

const issues = (input: unknown) => issuesOf(riskAnalysisType.input, input);

const RISK = {
  category: 'schedule',
  description: 'Rain delays the harvest.',
  likelihood: 'medium',
  impact: 'high',
  mitigation: 'Book the crew for two extra days.',
};
const RISKS = { risks: [RISK] };

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

describe('RISK_ANALYSIS processor', () => {
  const textInput: RiskAnalysisInput = { text: 'We harvest in late September.' };

  it('sends the text as a txt document with the record_risks tool derived from the result schema', async () => {
    const { model, requests } = fakeModel([{ value: RISKS }]);
    const { context } = processorContext();

    await createRiskAnalysisProcessor(model, SETTINGS)(textInput, context);

    const request = requests[0]!;
    expect(request.prompt).toBe(RISK_ANALYSIS_PROMPT);
    expect(request.documents![0]).toMatchObject({ name: 'document', format: 'txt' });
    expect(Buffer.from(request.documents![0]!.bytes).toString('utf8')).toBe('We harvest in late September.');
    const { $schema: _ignored, ...schema } = z.toJSONSchema(riskAnalysisOutputSchema) as Record<string, unknown>;
    expect(request.tool).toMatchObject({ name: 'record_risks', inputSchema: schema });
    expect(request).toMatchObject({ modelId: 'amazon.nova-pro-v1:0', maxTokens: 1500, temperature: 0.3 });
    expect(request.signal).toBe(context.signal);
  });

  it('analyses the rendered results of the source jobs', async () => {
    const sources = [
      { id: SOURCE_ID, type: 'GAP_DETECTION', result: { gaps: [{ area: 'Budget', description: 'No costs.', severity: 'high' }] } },
    ];
    const { model, requests } = fakeModel([{ value: RISKS }]);
    const { context, loadSources } = processorContext({ sources });

    await createRiskAnalysisProcessor(model, SETTINGS)({ sourceJobIds: [SOURCE_ID] }, context);

    expect(loadSources).toHaveBeenCalledWith([SOURCE_ID]);
    expect(Buffer.from(requests[0]!.documents![0]!.bytes).toString('utf8')).toBe(
      `<source n="1" type="GAP_DETECTION" job="${SOURCE_ID}">\nGaps found:\n- [high severity] Budget: No costs.\n</source>`,
    );
  });

  it('returns the risks with the model metadata', async () => {
    const { model } = fakeModel([{ value: RISKS }]);

    const result = await createRiskAnalysisProcessor(model, SETTINGS)(textInput, processorContext().context);

    expect(result).toStrictEqual({
      ...RISKS,
      metadata: { model: 'amazon.nova-pro-v1:0', usage: { inputTokens: 1200, outputTokens: 300 }, latencyMs: 900, attempts: 1 },
    });
  });

  it('reports sending document, waiting for model and validating output, in that order', async () => {
    const events: string[] = [];
    const { model } = fakeModel([{ value: RISKS }], events);
    const { context, progress } = processorContext({ events });

    await createRiskAnalysisProcessor(model, SETTINGS)(textInput, context);

    expect(progress.map((step) => step.message)).toStrictEqual(['sending document', 'waiting for model', 'validating output']);
    expect(events).toStrictEqual(['progress 10', 'progress 40', 'model', 'progress 80']);
  });

  it('asks again once when a risk lacks its mitigation and accepts the corrected reply', async () => {
    const { mitigation: _dropped, ...withoutMitigation } = RISK;
    const { model, requests } = fakeModel([{ value: { risks: [withoutMitigation] } }, { value: RISKS }]);

    const result = await createRiskAnalysisProcessor(model, SETTINGS)(textInput, processorContext().context);

    expect(requests[1]!.prompt).toContain('- risks.0.mitigation: Invalid input: expected string, received undefined');
    expect(result).toMatchObject({ ...RISKS, metadata: { attempts: 2, usage: { inputTokens: 2400, outputTokens: 600 } } });
  });

  it('fails with a RetryableError after two replies with an invalid likelihood', async () => {
    const { model, requests } = fakeModel([{ value: { risks: [{ ...RISK, likelihood: 'likely' }] } }]);

    const failure = await createRiskAnalysisProcessor(model, SETTINGS)(textInput, processorContext().context).catch((error) => error);

    expect(requests).toHaveLength(2);
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toContain('RISK_ANALYSIS result schema, twice in this attempt (risks.0.likelihood: Invalid option');
  });
});
