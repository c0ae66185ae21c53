/**
 * The list of job types (definitions.ts) and what is derived from it: the catalog the API uses,
 * the model settings defaults, the worker's job types (processors.ts), and which code the API
 * functions and `cdk synth` load.
 */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError } from '../../../lambdas/domain/errors.ts';
import { defineJobType } from '../../../lambdas/domain/job-types.ts';
import { definition as aiPreview } from '../../../lambdas/job-types/ai-preview/index.ts';
import { compileJobType } from '../../../lambdas/job-types/compile.ts';
import {
  JOB_TYPE_DEFINITIONS,
  JOB_TYPE_FOLDERS,
  MODEL_SETTINGS_SPECS,
  jobTypeCatalog,
  loadJobTypeIndexes,
} from '../../../lambdas/job-types/definitions.ts';
import { worker as gapDetectionWorker } from '../../../lambdas/job-types/gap-detection/worker.ts';
import { defineWorker } from '../../../lambdas/job-types/job-type-worker.ts';
import { MAX_JOB_TIMEOUT_SECONDS, createJobTypes, joinJobTypes, loadWorkers, renderSourceResult } from '../../../lambdas/job-types/processors.ts';
import { processorContext } from '../../support/processor-context.ts';
import { ScriptedModel } from '../../support/scripted-model.ts';
import { SETTINGS, SOURCES, STRUCTURED_CASES, checkedInput, firstInput, workerType } from './fixtures.ts';

/** The model request of one job of `testCase`'s type, its worker built from `env`. */
async function requestOf(env: Record<string, string>, testCase: (typeof STRUCTURED_CASES)[number]) {
  const model = new ScriptedModel().answer({ value: testCase.valid });
  const type = workerType(testCase.type, model, env);
  await type.process(checkedInput(type, firstInput(testCase)), processorContext({ sources: SOURCES }).context);
  return model.requests[0]!;
}

/** Every lambdas/ file an esbuild bundle of `entry` takes in. */
async function bundledFiles(entry: string, options: { packages?: 'external' } = {}): Promise<string[]> {
  const result = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', logLevel: 'silent', ...options });
  return Object.keys(result.metafile.inputs);
}

/** Worker-side code: the worker.ts files and the processor machinery, and the AWS SDK. */
const WORKER_CODE = /^lambdas\/job-types\/(.*\/worker|processors|job-type-worker|structured|sources)\.ts$|@aws-sdk/;

/** A compiled type, as compile.ts makes one from a definition. */
const compiled = (name: string, timeoutSeconds: number) =>
  compileJobType(defineJobType({ name, description: 'test type', input: z.object({}), timeoutSeconds }), {});
const workerOf = (name: string) => defineWorker(name, { processor: () => async () => ({ ok: true }), render: () => undefined });
const fabricated = (name: string, timeoutSeconds: number) => ({ ...compiled(name, timeoutSeconds), worker: workerOf(name) });

describe('the list of job types', () => {
  it('puts every type in the catalog the API uses, in its order', () => {
    expect(jobTypeCatalog.names()).toStrictEqual(['AI_PREVIEW', 'PARSE_DOCUMENT', 'GAP_DETECTION', 'RISK_ANALYSIS', 'REPORT_GENERATION']);
    expect(JOB_TYPE_FOLDERS).toStrictEqual(['ai-preview', 'parse-document', 'gap-detection', 'risk-analysis', 'report-generation']);
  });

  it('takes each type’s model settings defaults from its index.ts, the common ones otherwise', () => {
    expect(MODEL_SETTINGS_SPECS).toStrictEqual({
      AI_PREVIEW: 'model-id-only',
      PARSE_DOCUMENT: {},
      GAP_DETECTION: {},
      RISK_ANALYSIS: {},
      REPORT_GENERATION: { maxTokens: 4096 },
    });
  });

  it('refuses a folder whose index.ts exports no definition, or the definition of a type named otherwise', async () => {
    await expect(loadJobTypeIndexes(['image-tagging'], async () => ({}))).rejects.toThrow(
      'lambdas/job-types/image-tagging/index.ts must export the definition of its type',
    );
    await expect(loadJobTypeIndexes(['image-tagging'], async () => ({ definition: aiPreview }))).rejects.toThrow(
      'lambdas/job-types/image-tagging/index.ts must export the definition of its type: AI_PREVIEW belongs in lambdas/job-types/ai-preview/',
    );
  });
});

describe('the worker’s job types', () => {
  it('join every definition with a processor that fits in the worker', () => {
    const jobTypes = createJobTypes({ model: new ScriptedModel() }, {});

    expect(jobTypes.map((type) => type.name)).toStrictEqual(JOB_TYPE_DEFINITIONS.map((type) => type.name));
    jobTypes.forEach((type, index) => {
      const { name, timeoutSeconds } = JOB_TYPE_DEFINITIONS[index]!;
      expect(type).toStrictEqual({ name, timeoutSeconds, input: { safeParse: expect.any(Function) }, process: expect.any(Function) });
      expect(type.timeoutSeconds).toBeLessThanOrEqual(MAX_JOB_TIMEOUT_SECONDS);
    });
  });

  it.each(STRUCTURED_CASES)('give $type 2048 max tokens and temperature 0.2 by default (REPORT_GENERATION 4096)', async (testCase) => {
    const request = await requestOf({}, testCase);

    expect(request.maxTokens).toBe(testCase.type === 'REPORT_GENERATION' ? 4096 : 2048);
    expect(request.temperature).toBe(0.2);
    expect(request).not.toHaveProperty('modelId');
  });

  it('apply BEDROCK_MODEL_ID to every type and the per-type variables to theirs only', async () => {
    const env = {
      BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
      BEDROCK_MODEL_ID_REPORT_GENERATION: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      BEDROCK_MAX_TOKENS_REPORT_GENERATION: '6000',
      BEDROCK_TEMPERATURE_REPORT_GENERATION: '0.7',
      BEDROCK_TEMPERATURE: '0.1',
    };
    const caseOf = (type: string) => STRUCTURED_CASES.find((testCase) => testCase.type === type)!;

    const report = await requestOf(env, caseOf('REPORT_GENERATION'));
    const risk = await requestOf(env, caseOf('RISK_ANALYSIS'));

    expect(report).toMatchObject({ modelId: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0', maxTokens: 6000, temperature: 0.7 });
    expect(risk).toMatchObject({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 2048, temperature: 0.1 });
  });

  it('fail at start-up, naming the variable, when a model setting is invalid', () => {
    const model = new ScriptedModel();

    expect(() => createJobTypes({ model }, { BEDROCK_TEMPERATURE_GAP_DETECTION: '2' })).toThrow(
      new ConfigurationError('Environment variable BEDROCK_TEMPERATURE_GAP_DETECTION must be a number from 0 to 1, got "2"'),
    );
    expect(() => createJobTypes({ model }, { BEDROCK_MAX_TOKENS_AI_PREVIEW: '100' })).toThrow(ConfigurationError);
  });

  it('render a chained job’s sources with their types’ renderers', () => {
    expect(renderSourceResult({ id: 'x', type: 'AI_PREVIEW', result: { output: 'Three risks.' } })).toBe('Three risks.');
    expect(renderSourceResult({ id: 'x', type: 'GAP_DETECTION', result: { gaps: [] } })).toBe('Gaps found: none.');
  });
});

describe('joining definitions with their workers', () => {
  const deps = { model: new ScriptedModel(), renderSource: renderSourceResult };

  it('fails at start-up when a type has no worker.ts', async () => {
    await expect(loadWorkers([compiled('NO_WORKER', 30)], () => Promise.reject(new Error('Cannot find module')))).rejects.toThrow(
      'Job type NO_WORKER has no worker: add lambdas/job-types/no-worker/worker.ts',
    );
  });

  it('fails at start-up when a worker.ts exports the worker part of another type, or none', async () => {
    const lonely = fabricated('LONELY', 30);
    const { worker, ...type } = lonely;

    await expect(loadWorkers([type], async () => ({ worker: gapDetectionWorker }))).rejects.toThrow(
      'lambdas/job-types/lonely/worker.ts must export `worker`, the worker part of LONELY (defineWorker or structuredJobType)',
    );
    await expect(loadWorkers([type], async () => ({}))).rejects.toThrow('lambdas/job-types/lonely/worker.ts must export `worker`');
    await expect(loadWorkers([type], async () => ({ worker }))).resolves.toStrictEqual([lonely]);
  });

  it('fails at start-up when a type’s timeout leaves no finish margin in the worker', () => {
    const tooSlow = fabricated('TOO_SLOW', MAX_JOB_TIMEOUT_SECONDS + 1);

    expect(() => joinJobTypes([tooSlow], deps, { TOO_SLOW: SETTINGS })).toThrow(
      'Job type TOO_SLOW: timeoutSeconds 111 exceeds 110 (worker timeout 120s minus 10s finish margin)',
    );
  });

  it('fails at start-up when a type has no model settings', () => {
    expect(() => joinJobTypes([fabricated('UNSET', 30)], deps, {})).toThrow('Job type UNSET has no model settings');
  });

  it('accepts a timeout equal to the worker timeout minus the finish margin', () => {
    const justFits = fabricated('JUST_FITS', MAX_JOB_TIMEOUT_SECONDS);

    const jobTypes = joinJobTypes([justFits], deps, { JUST_FITS: SETTINGS });

    expect(jobTypes.map((type) => type.name)).toStrictEqual(['JUST_FITS']);
  });
});

describe('what loads the job types', () => {
  it('the API functions: every index.ts (definitions.ts), and no worker-side or AWS SDK code', async () => {
    const files = await bundledFiles('lambdas/job-types/definitions.ts');

    for (const folder of JOB_TYPE_FOLDERS) expect(files).toContain(`lambdas/job-types/${folder}/index.ts`);
    expect(files.filter((file) => WORKER_CODE.test(file) || file.endsWith('/model-settings.ts'))).toStrictEqual([]);
  });

  it('`cdk synth` (bin/app.ts): the definitions and model settings, and no worker-side code', async () => {
    const files = await bundledFiles('bin/app.ts', { packages: 'external' });

    expect(files).toContain('lambdas/job-types/definitions.ts');
    expect(files).toContain('lambdas/job-types/model-settings.ts');
    expect(files.filter((file) => WORKER_CODE.test(file))).toStrictEqual([]);
  });

  it('the worker: every worker.ts', async () => {
    const files = await bundledFiles('lambdas/job-types/processors.ts');

    for (const folder of JOB_TYPE_FOLDERS) expect(files).toContain(`lambdas/job-types/${folder}/worker.ts`);
  });
});
