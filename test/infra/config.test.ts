import { describe, expect, it } from 'vitest';
import { JOB_TYPE_DEFINITIONS, MODEL_SETTINGS_SPECS } from '../../lambdas/job-types/definitions.ts';
import { MODEL_SETTINGS_BOUNDS } from '../../lambdas/job-types/model-settings.ts';
import { WORKER } from '../../lambdas/shared/resources.ts';
import { ALARM_DEFAULTS } from '../../lib/alarm-config.ts';
import { ConfigError, readConfig } from '../../lib/config.ts';

const fromContext = (context: Record<string, unknown>) => readConfig((key) => context[key]);

describe('stack configuration', () => {
  it('uses the documented defaults when the context is empty', () => {
    expect(fromContext({})).toEqual({
      allowedOrigins: ['*'],
      bedrockModelId: 'amazon.nova-lite-v1:0',
      jobRetentionDays: 30,
      retainData: true,
      workerMaxConcurrency: WORKER.maxConcurrency,
      maxActiveJobsPerCaller: 100,
      maxActiveJobsPerCallerByType: { PARSE_DOCUMENT: 10 },
      localstack: false,
      machineClients: {},
      alarms: { thresholds: ALARM_DEFAULTS },
    });
  });

  it('reads maxActiveJobsPerCallerByType over the types\' own limits, as JSON text (-c) or an object (cdk.json)', () => {
    expect(fromContext({ maxActiveJobsPerCallerByType: '{"PARSE_DOCUMENT":3}' })).toMatchObject({ maxActiveJobsPerCallerByType: { PARSE_DOCUMENT: 3 } });
    expect(fromContext({ maxActiveJobsPerCallerByType: { GAP_DETECTION: 20 } })).toMatchObject({
      maxActiveJobsPerCallerByType: { PARSE_DOCUMENT: 10, GAP_DETECTION: 20 },
    });
  });

  it('refuses maxActiveJobsPerCallerByType naming an unknown type (by name) or with a bad limit, at synth', () => {
    expect(() => fromContext({ maxActiveJobsPerCallerByType: { PARSE_DOCUMENTS: 3 } })).toThrow(
      /"maxActiveJobsPerCallerByType" names unknown job types PARSE_DOCUMENTS; the types are AI_PREVIEW, PARSE_DOCUMENT/,
    );
    for (const bad of ['{"PARSE_DOCUMENT":0}', '{"PARSE_DOCUMENT":"5"}', '{"PARSE_DOCUMENT":2.5}', 'PARSE_DOCUMENT=3', '[3]']) {
      const error = (() => {
        try {
          return fromContext({ maxActiveJobsPerCallerByType: bad });
        } catch (caught) {
          return caught;
        }
      })();
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message, bad).toMatch(/^Invalid CDK context "maxActiveJobsPerCallerByType"/);
    }
  });

  it('reads maxActiveJobsPerCaller as a positive integer and refuses anything else', () => {
    expect(fromContext({ maxActiveJobsPerCaller: '5' })).toMatchObject({ maxActiveJobsPerCaller: 5 });
    expect(fromContext({ maxActiveJobsPerCaller: 250 })).toMatchObject({ maxActiveJobsPerCaller: 250 });
    for (const bad of ['0', '-1', '1.5', 'many']) {
      expect(() => fromContext({ maxActiveJobsPerCaller: bad }), bad).toThrow(/"maxActiveJobsPerCaller"/);
    }
  });

  it('builds the LocalStack variant with localstack=true, keeping no data by default', () => {
    expect(fromContext({ localstack: 'true' })).toMatchObject({ localstack: true, retainData: false });
    expect(fromContext({ localstack: true, retainData: 'true' })).toMatchObject({ localstack: true, retainData: true });
    expect(fromContext({ localstack: 'false' })).toMatchObject({ localstack: false, retainData: true });
  });

  it('refuses an existing user pool in the LocalStack variant', () => {
    expect(() => fromContext({ localstack: 'true', userPoolId: 'us-east-1_Abc123', userPoolClientId: 'abc123' })).toThrow(
      /"userPoolId".*localstack/,
    );
  });

  it('reads bedrockEndpoint as an http(s) URL', () => {
    expect(fromContext({}).bedrockEndpoint).toBeUndefined();
    expect(fromContext({ bedrockEndpoint: 'http://host.docker.internal:4567' }).bedrockEndpoint).toBe('http://host.docker.internal:4567');
    expect(fromContext({ bedrockEndpoint: ' https://bedrock.example.com/proxy ' }).bedrockEndpoint).toBe('https://bedrock.example.com/proxy');
  });

  it('reads CLI strings and cdk.json values alike', () => {
    const cli = fromContext({ jobRetentionDays: '7', retainData: 'false', workerMaxConcurrency: '20' });
    const json = fromContext({ jobRetentionDays: 7, retainData: false, workerMaxConcurrency: 20 });
    expect(cli).toEqual(json);
    expect(cli).toMatchObject({ jobRetentionDays: 7, retainData: false, workerMaxConcurrency: 20 });
  });

  it('splits and trims comma-separated origins', () => {
    expect(fromContext({ allowedOrigins: 'https://a.example.com, http://localhost:5173' }).allowedOrigins).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
  });

  it('uses an existing user pool only when both ids are given', () => {
    expect(fromContext({ userPoolId: 'us-east-1_Abc123', userPoolClientId: 'abc123' }).existingUserPool).toEqual({
      userPoolId: 'us-east-1_Abc123',
      userPoolClientId: 'abc123',
    });
    expect(() => fromContext({ userPoolId: 'us-east-1_Abc123' })).toThrow(/"userPoolClientId"/);
    expect(() => fromContext({ userPoolClientId: 'abc123' })).toThrow(/"userPoolId"/);
  });

  it.each([
    ['allowedOrigins', 'https://a.example.com/app'],
    ['allowedOrigins', '*,https://a.example.com'],
    ['allowedOrigins', 'ftp://a.example.com'],
    ['bedrockModelId', 'amazon.*'],
    ['bedrockModelId', 'nova'],
    ['jobRetentionDays', '0'],
    ['jobRetentionDays', '2.5'],
    ['jobRetentionDays', 'thirty'],
    ['retainData', 'yes'],
    ['workerMaxConcurrency', '1'],
    ['workerMaxConcurrency', '7'],
    ['workerMaxConcurrency', 2669],
    ['userPoolId', 'not a pool'],
    ['localstack', 'yes'],
    ['localstack', 1],
    ['bedrockEndpoint', 'host.docker.internal:4567'],
    ['bedrockEndpoint', 'ftp://host.docker.internal:4567'],
    ['bedrockEndpoint', 'http://user:secret@host.docker.internal:4567'],
    ['bedrockEndpoint', 'http://host.docker.internal:4567/?x=1'],
    ['bedrockEndpoint', 'http://host.docker.internal:4567/#top'],
  ])('rejects %s=%j with an error naming the key', (key, value) => {
    expect(() => fromContext({ [key]: value })).toThrow(ConfigError);
    expect(() => fromContext({ [key]: value })).toThrow(`"${key}"`);
  });
});

describe('bedrock context', () => {
  const settings = {
    region: 'eu-west-1',
    maxTokens: 1024,
    temperature: 0.5,
    types: {
      AI_PREVIEW: { modelId: 'amazon.nova-pro-v1:0' },
      REPORT_GENERATION: { modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0', maxTokens: 8192, temperature: 0 },
    },
  };

  it('reads a -c JSON string and a cdk.json object alike', () => {
    expect(fromContext({ bedrock: JSON.stringify(settings) })).toEqual(fromContext({ bedrock: settings }));
  });

  it('reads the Region, shared settings and per-type settings', () => {
    expect(fromContext({ bedrock: JSON.stringify(settings) }).bedrock).toEqual(settings);
  });

  it('takes bedrock.modelId as the default model id', () => {
    expect(fromContext({ bedrock: '{"modelId":"amazon.nova-pro-v1:0"}' }).bedrockModelId).toBe('amazon.nova-pro-v1:0');
  });

  it('accepts bedrock.modelId equal to bedrockModelId', () => {
    const context = { bedrockModelId: 'amazon.nova-pro-v1:0', bedrock: '{"modelId":"amazon.nova-pro-v1:0"}' };
    expect(fromContext(context).bedrockModelId).toBe('amazon.nova-pro-v1:0');
  });

  it('refuses bedrock.modelId different from bedrockModelId', () => {
    const context = { bedrockModelId: 'amazon.nova-lite-v1:0', bedrock: '{"modelId":"amazon.nova-pro-v1:0"}' };
    expect(() => fromContext(context)).toThrow(/"bedrock\.modelId".*"bedrockModelId"/);
  });

  it('leaves the settings out when bedrock sets nothing but the model id', () => {
    expect(fromContext({ bedrock: '{"modelId":"amazon.nova-pro-v1:0","types":{"GAP_DETECTION":{}}}' })).not.toHaveProperty('bedrock');
  });

  it('accepts the bounds of the worker', () => {
    const { maxTokens, temperature } = MODEL_SETTINGS_BOUNDS;
    const bedrock = { maxTokens: maxTokens.max, temperature: temperature.min, types: { PARSE_DOCUMENT: { maxTokens: maxTokens.min, temperature: temperature.max } } };
    expect(fromContext({ bedrock }).bedrock).toEqual(bedrock);
  });

  it('accepts settings for every registered job type that has worker model settings', () => {
    expect(JOB_TYPE_DEFINITIONS.map((definition) => definition.name).sort()).toEqual(Object.keys(MODEL_SETTINGS_SPECS).sort());
  });

  it.each([
    ['bad JSON', '{"modelId":', 'bedrock'],
    ['a JSON array', '[]', 'bedrock'],
    ['an unknown key', '{"modelid":"amazon.nova-pro-v1:0"}', 'bedrock.modelid'],
    ['an unknown per-type key', '{"types":{"GAP_DETECTION":{"model":"amazon.nova-pro-v1:0"}}}', 'bedrock.types.GAP_DETECTION.model'],
    ['an unknown job type', '{"types":{"REPORT":{"maxTokens":100}}}', 'bedrock.types.REPORT'],
    ['types that is not an object', '{"types":["REPORT_GENERATION"]}', 'bedrock.types'],
    ['AI_PREVIEW maxTokens', '{"types":{"AI_PREVIEW":{"maxTokens":100}}}', 'bedrock.types.AI_PREVIEW.maxTokens'],
    ['AI_PREVIEW temperature', '{"types":{"AI_PREVIEW":{"temperature":0.1}}}', 'bedrock.types.AI_PREVIEW.temperature'],
    ['maxTokens below the bounds', `{"maxTokens":${MODEL_SETTINGS_BOUNDS.maxTokens.min - 1}}`, 'bedrock.maxTokens'],
    ['per-type maxTokens above the bounds', `{"types":{"REPORT_GENERATION":{"maxTokens":${MODEL_SETTINGS_BOUNDS.maxTokens.max + 1}}}}`, 'bedrock.types.REPORT_GENERATION.maxTokens'],
    ['a fractional maxTokens', '{"maxTokens":2.5}', 'bedrock.maxTokens'],
    ['maxTokens as a string', '{"maxTokens":"4096"}', 'bedrock.maxTokens'],
    ['temperature below the bounds', '{"temperature":-0.1}', 'bedrock.temperature'],
    ['per-type temperature above the bounds', '{"types":{"RISK_ANALYSIS":{"temperature":1.5}}}', 'bedrock.types.RISK_ANALYSIS.temperature'],
    ['a wildcard model id', '{"modelId":"amazon.*"}', 'bedrock.modelId'],
    ['a per-type model id without provider', '{"types":{"PARSE_DOCUMENT":{"modelId":"nova"}}}', 'bedrock.types.PARSE_DOCUMENT.modelId'],
    ['a malformed Region', '{"region":"Europe"}', 'bedrock.region'],
  ])('refuses %s with a ConfigError naming the key', (_, bedrock, key) => {
    expect(() => fromContext({ bedrock })).toThrow(ConfigError);
    expect(() => fromContext({ bedrock })).toThrow(`"${key}"`);
  });
});
