import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lambdas/domain/errors.ts';
import { readModelSettings } from '../../../lambdas/job-types/model-settings.ts';

const SPECS = {
  PLAIN: {},
  LONG: { maxTokens: 4096 },
  PREVIEW: 'model-id-only',
} as const;

function settingsFor(env: Record<string, string | undefined>) {
  return readModelSettings(env, SPECS);
}

function failureOf(env: Record<string, string | undefined>): unknown {
  try {
    settingsFor(env);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('readModelSettings', () => {
  it('uses 2048 max tokens, temperature 0.2 and the adapter default model when nothing is set', () => {
    expect(settingsFor({})).toStrictEqual({
      PLAIN: { modelId: undefined, maxTokens: 2048, temperature: 0.2 },
      LONG: { modelId: undefined, maxTokens: 4096, temperature: 0.2 },
      PREVIEW: { modelId: undefined, maxTokens: 2048, temperature: 0.2 },
    });
  });

  it('applies BEDROCK_MODEL_ID, BEDROCK_MAX_TOKENS and BEDROCK_TEMPERATURE to every type', () => {
    const settings = settingsFor({ BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0', BEDROCK_MAX_TOKENS: '1000', BEDROCK_TEMPERATURE: '0.5' });

    expect(settings.PLAIN).toStrictEqual({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 1000, temperature: 0.5 });
    expect(settings.LONG).toStrictEqual({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 1000, temperature: 0.5 });
    expect(settings.PREVIEW.modelId).toBe('amazon.nova-lite-v1:0');
  });

  it('lets a per-type variable override the global one for that type only', () => {
    const settings = settingsFor({
      BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
      BEDROCK_MODEL_ID_LONG: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      BEDROCK_MAX_TOKENS: '1000',
      BEDROCK_MAX_TOKENS_LONG: '8000',
      BEDROCK_TEMPERATURE_LONG: '0',
      BEDROCK_MODEL_ID_PREVIEW: 'amazon.nova-micro-v1:0',
    });

    expect(settings.LONG).toStrictEqual({
      modelId: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
      maxTokens: 8000,
      temperature: 0,
    });
    expect(settings.PLAIN).toStrictEqual({ modelId: 'amazon.nova-lite-v1:0', maxTokens: 1000, temperature: 0.2 });
    expect(settings.PREVIEW.modelId).toBe('amazon.nova-micro-v1:0');
  });

  it('treats blank values as unset', () => {
    const settings = settingsFor({ BEDROCK_MODEL_ID_PLAIN: '  ', BEDROCK_MAX_TOKENS: '', BEDROCK_TEMPERATURE_LONG: ' ' });

    expect(settings.PLAIN).toStrictEqual({ modelId: undefined, maxTokens: 2048, temperature: 0.2 });
    expect(settings.LONG.temperature).toBe(0.2);
  });

  it('accepts temperatures written as .5 and 1.0, and trims values', () => {
    const settings = settingsFor({ BEDROCK_TEMPERATURE_PLAIN: '.5', BEDROCK_TEMPERATURE_LONG: ' 1.0 ' });

    expect(settings.PLAIN.temperature).toBe(0.5);
    expect(settings.LONG.temperature).toBe(1);
  });

  it.each([
    ['BEDROCK_MAX_TOKENS', '0', 'must be an integer from 1 to 65536, got "0"'],
    ['BEDROCK_MAX_TOKENS_LONG', '65537', 'must be an integer from 1 to 65536, got "65537"'],
    ['BEDROCK_MAX_TOKENS_PLAIN', '1.5', 'must be an integer from 1 to 65536, got "1.5"'],
    ['BEDROCK_MAX_TOKENS', '1e3', 'must be an integer from 1 to 65536, got "1e3"'],
    ['BEDROCK_MAX_TOKENS', 'lots', 'must be an integer from 1 to 65536, got "lots"'],
    ['BEDROCK_TEMPERATURE', '1.5', 'must be a number from 0 to 1, got "1.5"'],
    ['BEDROCK_TEMPERATURE_PLAIN', '-0.1', 'must be a number from 0 to 1, got "-0.1"'],
    ['BEDROCK_TEMPERATURE_LONG', 'warm', 'must be a number from 0 to 1, got "warm"'],
    ['BEDROCK_MODEL_ID', 'Amazon Nova', 'must be a Bedrock model or inference profile id like "amazon.nova-lite-v1:0", got "Amazon Nova"'],
    ['BEDROCK_MODEL_ID_LONG', 'anthropic.*', 'must be a Bedrock model or inference profile id like "amazon.nova-lite-v1:0", got "anthropic.*"'],
  ])('refuses %s=%j with a ConfigurationError naming the variable', (variable, value, problem) => {
    const error = failureOf({ [variable]: value });

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(`Environment variable ${variable} ${problem}`);
  });

  it('refuses a per-type variable that names no job type (a typo)', () => {
    const error = failureOf({ BEDROCK_MAX_TOKENS_LOGN: '4096' });

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      'Environment variable BEDROCK_MAX_TOKENS_LOGN names no job type ("LOGN"); per-type settings exist for: PLAIN, LONG, PREVIEW',
    );
  });

  it.each(['BEDROCK_MAX_TOKENS_PREVIEW', 'BEDROCK_TEMPERATURE_PREVIEW'])(
    'refuses %s for a type that takes only its model id',
    (variable) => {
      const error = failureOf({ [variable]: '1' });

      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(
        `Environment variable ${variable} is not used: PREVIEW takes only BEDROCK_MODEL_ID_PREVIEW; remove it`,
      );
    },
  );

  it('ignores unrelated BEDROCK_ variables such as BEDROCK_MAX_ATTEMPTS and BEDROCK_REGION', () => {
    expect(() => settingsFor({ BEDROCK_MAX_ATTEMPTS: '3', BEDROCK_REGION: 'us-east-1' })).not.toThrow();
  });
});
