import { describe, expect, it } from 'vitest';
import { WORKER } from '../../lambdas/shared/resources.ts';
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
      localstack: false,
    });
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
    ['workerMaxConcurrency', 1001],
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
