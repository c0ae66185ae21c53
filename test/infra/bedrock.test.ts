import { describe, expect, it } from 'vitest';
import { readModelSettings } from '../../lambdas/job-types/model-settings.ts';
import { MODEL_SETTINGS_SPECS } from '../../lambdas/job-types/definitions.ts';
import { ENV } from '../../lambdas/shared/resources.ts';
import { bedrockWorkerEnvironment } from '../../lib/bedrock.ts';
import { actionsOf, logicalId, resourcesOf, roleStatements, synthDefaultStack, synthStack, type SynthesizedStack } from './support/synth.ts';

const workerEnv = ({ stack, template }: SynthesizedStack): Record<string, string> =>
  template.findResources('AWS::Lambda::Function')[logicalId(stack.background.worker.function)]?.Properties.Environment.Variables;

const invokeStatements = ({ stack, template }: SynthesizedStack) =>
  roleStatements(template, logicalId(stack.background.worker.role)).filter((statement) => actionsOf(statement).includes('bedrock:InvokeModel'));

const invokeResources = (synthesized: SynthesizedStack): string[] => invokeStatements(synthesized).flatMap(resourcesOf).sort();

const foundationModel = (modelId: string, region = '${AWS::Region}') => `arn:\${AWS::Partition}:bedrock:${region}::foundation-model/${modelId}`;

describe('worker Bedrock settings by default', () => {
  const synthesized = synthDefaultStack();

  it('sets BEDROCK_MODEL_ID and no other model setting or BEDROCK_REGION', () => {
    const bedrockVariables = Object.keys(workerEnv(synthesized)).filter((name) => name.startsWith('BEDROCK_'));
    expect(bedrockVariables).toEqual([ENV.bedrockModelId]);
  });

  it('is the same stack with bedrock.modelId as with bedrockModelId', () => {
    const viaBedrock = synthStack({ bedrock: '{"modelId":"amazon.nova-pro-v1:0"}' }).template.toJSON();
    expect(viaBedrock).toEqual(synthStack({ bedrockModelId: 'amazon.nova-pro-v1:0' }).template.toJSON());
  });
});

describe('worker with per-type model ids', () => {
  const synthesized = synthStack({
    bedrock: JSON.stringify({
      types: {
        AI_PREVIEW: { modelId: 'amazon.nova-micro-v1:0' },
        GAP_DETECTION: { modelId: 'amazon.nova-pro-v1:0' },
        RISK_ANALYSIS: { modelId: 'amazon.nova-pro-v1:0' },
        REPORT_GENERATION: { modelId: 'amazon.nova-lite-v1:0' },
      },
    }),
  });

  it('sets BEDROCK_MODEL_ID_<TYPE> for each type with its own model, beside the default BEDROCK_MODEL_ID', () => {
    expect(workerEnv(synthesized)).toMatchObject({
      BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
      BEDROCK_MODEL_ID_AI_PREVIEW: 'amazon.nova-micro-v1:0',
      BEDROCK_MODEL_ID_GAP_DETECTION: 'amazon.nova-pro-v1:0',
      BEDROCK_MODEL_ID_RISK_ANALYSIS: 'amazon.nova-pro-v1:0',
      BEDROCK_MODEL_ID_REPORT_GENERATION: 'amazon.nova-lite-v1:0',
    });
  });

  it('sets no model id variable for a type without its own model', () => {
    expect(workerEnv(synthesized)).not.toHaveProperty('BEDROCK_MODEL_ID_PARSE_DOCUMENT');
  });

  it('may invoke each distinct model (default and per-type) once', () => {
    expect(invokeResources(synthesized)).toEqual(
      ['amazon.nova-lite-v1:0', 'amazon.nova-micro-v1:0', 'amazon.nova-pro-v1:0'].map((id) => foundationModel(id)).sort(),
    );
  });

  it('may invoke no wildcard model', () => {
    for (const arn of invokeResources(synthesized)) expect(arn).not.toMatch(/foundation-model\/.*\*|\*$/);
  });
});

describe('worker with per-type inference profiles', () => {
  const modelId = 'anthropic.claude-sonnet-4-20250514-v1:0';
  const synthesized = synthStack({
    bedrock: JSON.stringify({ types: { GAP_DETECTION: { modelId: `us.${modelId}` }, REPORT_GENERATION: { modelId: `eu.${modelId}` } } }),
  });

  it('may invoke each profile, the default model and, through the profiles only, their model in any Region', () => {
    const profile = (id: string) => `arn:\${AWS::Partition}:bedrock:\${AWS::Region}:\${AWS::AccountId}:inference-profile/${id}`;
    expect(invokeResources(synthesized)).toEqual(
      [profile(`us.${modelId}`), profile(`eu.${modelId}`), foundationModel('amazon.nova-lite-v1:0'), foundationModel(modelId, '*'), foundationModel(modelId, '*')].sort(),
    );
  });

  it('limits each any-Region statement to calls through its own profile', () => {
    const anyRegion = invokeStatements(synthesized).filter((statement) => resourcesOf(statement).some((arn) => arn.includes(':*::')));
    const conditions = anyRegion.map((statement) => JSON.stringify(statement.Condition?.StringEquals?.['bedrock:InferenceProfileArn']));
    expect(conditions.map((condition) => condition.match(/inference-profile\/([a-z]+)\./)?.[1]).sort()).toEqual(['eu', 'us']);
  });
});

describe('worker with a Bedrock Region', () => {
  const profileId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
  const synthesized = synthStack({ bedrock: JSON.stringify({ region: 'us-west-2', types: { REPORT_GENERATION: { modelId: profileId } } }) });

  it('sets BEDROCK_REGION', () => {
    expect(workerEnv(synthesized)).toMatchObject({ [ENV.bedrockRegion]: 'us-west-2' });
  });

  it('may invoke the foundation model in that Region', () => {
    expect(invokeResources(synthesized)).toContain(foundationModel('amazon.nova-lite-v1:0', 'us-west-2'));
  });

  it('may invoke the inference profile in that Region', () => {
    expect(invokeResources(synthesized)).toContain(`arn:\${AWS::Partition}:bedrock:us-west-2:\${AWS::AccountId}:inference-profile/${profileId}`);
  });

  it('names no Bedrock resource in the stack Region', () => {
    expect(JSON.stringify(invokeStatements(synthesized))).not.toContain('AWS::Region');
  });
});

describe('worker with max tokens and temperature', () => {
  const synthesized = synthStack({
    bedrock: JSON.stringify({ maxTokens: 1024, temperature: 0.3, types: { REPORT_GENERATION: { maxTokens: 8192, temperature: 0 } } }),
  });

  it('sets BEDROCK_MAX_TOKENS and BEDROCK_TEMPERATURE', () => {
    expect(workerEnv(synthesized)).toMatchObject({ BEDROCK_MAX_TOKENS: '1024', BEDROCK_TEMPERATURE: '0.3' });
  });

  it('sets BEDROCK_MAX_TOKENS_<TYPE> and BEDROCK_TEMPERATURE_<TYPE>', () => {
    expect(workerEnv(synthesized)).toMatchObject({ BEDROCK_MAX_TOKENS_REPORT_GENERATION: '8192', BEDROCK_TEMPERATURE_REPORT_GENERATION: '0' });
  });

  it('gives the worker the settings configured, as it reads them', () => {
    const settings = readModelSettings(workerEnv(synthesized), MODEL_SETTINGS_SPECS);
    expect(settings.REPORT_GENERATION).toEqual({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 8192, temperature: 0 });
    expect(settings.GAP_DETECTION).toEqual({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 1024, temperature: 0.3 });
  });

  it('adds no IAM for settings other than model ids', () => {
    expect(invokeResources(synthesized)).toEqual([foundationModel('amazon.nova-lite-v1:0')]);
  });
});

describe('bedrockWorkerEnvironment', () => {
  it('writes a tiny temperature in plain decimals, which the worker reads', () => {
    expect(bedrockWorkerEnvironment('amazon.nova-lite-v1:0', { temperature: 1e-7, types: {} })).toMatchObject({ BEDROCK_TEMPERATURE: '0.0000001' });
  });

  it('refuses settings the worker would refuse at its cold start', () => {
    expect(() => bedrockWorkerEnvironment('amazon.nova-lite-v1:0', { types: { NOT_A_TYPE: { maxTokens: 100 } } })).toThrow(/NOT_A_TYPE/);
  });
});
