import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambdas/domain/errors.ts';
import type { JobType } from '../../../lambdas/domain/job-types.ts';
import { JOB_TYPE_DEFINITIONS, jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { MAX_JOB_TIMEOUT_SECONDS, createJobTypes } from '../../../lambdas/job-types/processors.ts';
import { SOURCE_ID, fakeModel, processorContext } from './fakes.ts';

const NEW_TYPES = ['PARSE_DOCUMENT', 'GAP_DETECTION', 'RISK_ANALYSIS', 'REPORT_GENERATION'];

const REPLIES: Record<string, unknown> = {
  PARSE_DOCUMENT: { title: 't', summary: 's', sections: [] },
  GAP_DETECTION: { gaps: [] },
  RISK_ANALYSIS: { risks: [] },
  REPORT_GENERATION: { title: 't', markdown: 'm' },
};

const INPUTS: Record<string, unknown> = {
  PARSE_DOCUMENT: { text: 'doc' },
  GAP_DETECTION: { text: 'doc', question: 'q' },
  RISK_ANALYSIS: { text: 'doc' },
  REPORT_GENERATION: { sourceJobIds: [SOURCE_ID] },
};

/** Runs one job of `name` through the types createJobTypes built and returns the model request. */
async function requestOf(env: Record<string, string | undefined>, name: string) {
  const { model, requests } = fakeModel([{ value: REPLIES[name] }]);
  const type = createJobTypes({ model }, env).find((candidate) => candidate.name === name) as JobType;
  const input = type.input.parse(INPUTS[name]);
  const { context } = processorContext({ sources: [{ id: SOURCE_ID, type: 'AI_PREVIEW', result: { output: 'x' } }] });
  await type.process(input, context);
  return requests[0]!;
}

describe('job type registration', () => {
  it('registers the four document types in the catalog the API uses, after AI_PREVIEW', () => {
    expect(jobTypeCatalog.names()).toStrictEqual(['AI_PREVIEW', ...NEW_TYPES]);
  });

  it('joins every definition with a processor that fits in the worker', () => {
    const { model } = fakeModel([]);

    const jobTypes = createJobTypes({ model }, {});

    expect(jobTypes.map((type) => type.name)).toStrictEqual(JOB_TYPE_DEFINITIONS.map((type) => type.name));
    for (const type of jobTypes) {
      expect(typeof type.process).toBe('function');
      expect(type.timeoutSeconds).toBeLessThanOrEqual(MAX_JOB_TIMEOUT_SECONDS);
    }
  });

  it.each(NEW_TYPES)('gives %s 2048 max tokens and temperature 0.2 by default (REPORT_GENERATION 4096)', async (name) => {
    const request = await requestOf({}, name);

    expect(request.maxTokens).toBe(name === 'REPORT_GENERATION' ? 4096 : 2048);
    expect(request.temperature).toBe(0.2);
    expect(request).not.toHaveProperty('modelId');
  });

  it('applies BEDROCK_MODEL_ID to every type and the per-type variables to theirs only', async () => {
    const env = {
      BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
      BEDROCK_MODEL_ID_REPORT_GENERATION: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      BEDROCK_MAX_TOKENS_REPORT_GENERATION: '6000',
      BEDROCK_TEMPERATURE_REPORT_GENERATION: '0.7',
      BEDROCK_TEMPERATURE: '0.1',
    };

    const report = await requestOf(env, 'REPORT_GENERATION');
    const risk = await requestOf(env, 'RISK_ANALYSIS');

    expect(report).toMatchObject({ modelId: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', maxTokens: 6000, temperature: 0.7 });
    expect(risk).toMatchObject({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 2048, temperature: 0.1 });
  });

  it('applies BEDROCK_MODEL_ID_AI_PREVIEW to AI_PREVIEW', async () => {
    const { model } = fakeModel([]);
    const calls: unknown[] = [];
    const textModel = {
      ...model,
      generate: async (request: { modelId?: string }) => {
        calls.push(request.modelId);
        return { text: 'ok', modelId: 'm', usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end_turn', latencyMs: 1 };
      },
    };
    const aiPreview = createJobTypes({ model: textModel }, { BEDROCK_MODEL_ID_AI_PREVIEW: 'amazon.nova-micro-v1:0' }).find(
      (type) => type.name === 'AI_PREVIEW',
    )!;

    await aiPreview.process({ prompt: 'Hi' }, processorContext().context);

    expect(calls).toStrictEqual(['amazon.nova-micro-v1:0']);
  });

  it('fails at start-up, naming the variable, when a model setting is invalid', () => {
    const { model } = fakeModel([]);

    expect(() => createJobTypes({ model }, { BEDROCK_TEMPERATURE_GAP_DETECTION: '2' })).toThrow(
      new ConfigurationError('Environment variable BEDROCK_TEMPERATURE_GAP_DETECTION must be a number from 0 to 1, got "2"'),
    );
    expect(() => createJobTypes({ model }, { BEDROCK_MAX_TOKENS_AI_PREVIEW: '100' })).toThrow(ConfigurationError);
  });
});

describe('the definitions the API bundles', () => {
  it('pull in no processor, model helper or AWS SDK code', async () => {
    const result = await build({
      entryPoints: ['lambdas/job-types/definitions.ts'],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });

    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('lambdas/job-types/parse-document/definition.ts');
    expect(inputs.filter((file) => /^lambdas\/.*(processor|structured|\/sources|model-settings)|@aws-sdk/.test(file))).toStrictEqual([]);
  });
});
