/**
 * The Bedrock stand-in's server: the Converse wire format over HTTP/1.1 (fetch) and HTTP/2 (the SDK's
 * client), any model id in the path, unknown operations, SDK retries and client configuration,
 * loopback only, closing.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BedrockModel } from '../../../../lambdas/adapters/bedrock-model.ts';
import { RetryableError } from '../../../../lambdas/domain/errors.ts';
import { standInClientConfig, startBedrockStandIn } from '../../../../lib/local/bedrock-stand-in.ts';
import { LABEL, MODEL_ID, rejectionOf, useStandIn } from './fixture.ts';

const bedrock = useStandIn();

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Bedrock stand-in: wire format', () => {
  it('accepts any model id, URL-encoded in the path (colons, inference-profile ARNs)', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0';
    const response = await bedrock.model.generate({ prompt: 'Hello there', modelId: arn });
    expect(response.modelId).toBe(arn);
    expect(response.text.startsWith(`[Bedrock stand-in · ${arn}] `)).toBe(true);
  });

  it('answers POST /model/{modelId}/converse with the Converse response shape', async () => {
    const { status, headers, json } = await bedrock.postConverse(
      `/model/${encodeURIComponent(MODEL_ID)}/converse`,
      JSON.stringify({
        messages: [{ role: 'user', content: [{ text: 'one two three' }] }],
        system: [{ text: 'four' }],
        inferenceConfig: { maxTokens: 3 },
      }),
    );
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(json).toEqual({
      output: { message: { role: 'assistant', content: [{ text: `${LABEL}Stand-in reply, no` }] } },
      stopReason: 'max_tokens',
      usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 },
      metrics: { latencyMs: expect.any(Number) },
    });
  });

  it('answers an injected error with its status, x-amzn-errortype and {"message"}', async () => {
    const { status, headers, json } = await bedrock.postConverse(
      '/model/m/converse',
      JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi [[fail:ThrottlingException]]' }] }] }),
    );
    expect(status).toBe(429);
    expect(headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(headers.get('content-type')).toBe('application/json');
    expect(json).toEqual({ message: 'Rate exceeded (stand-in fault injection)' });
  });

  it('answers unknown paths and methods with 404 UnknownOperationException', async () => {
    for (const [path, method] of [
      ['/model/m/converse-stream', 'POST'],
      ['/model/m/invoke', 'POST'],
      ['/', 'POST'],
      ['/model/m/converse', 'GET'],
    ] as const) {
      const { status, headers, json } = await bedrock.postConverse(path, '{}', method);
      expect(status, `${method} ${path}`).toBe(404);
      expect(headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(json).toEqual({ message: expect.stringContaining('No such operation') });
    }
  });
});

describe('Bedrock stand-in: SDK retries and configuration', () => {
  it('with the SDK default of 3 attempts, [[fail:InternalServerException:2]] is absorbed inside one call', async () => {
    const retryingClient = new BedrockRuntimeClient(standInClientConfig(bedrock.standIn.url, { maxAttempts: 3 }));
    try {
      const retryingModel = new BedrockModel({ defaultModelId: MODEL_ID, client: retryingClient });
      const callsBefore = bedrock.standIn.calls;
      const response = await retryingModel.generate({ prompt: 'Absorbed [[fail:InternalServerException:2]]' });
      expect(response.stopReason).toBe('end_turn');
      expect(bedrock.standIn.calls - callsBefore).toBe(3);
    } finally {
      retryingClient.destroy();
    }
  });

  it('standInClientConfig gives one attempt, a loopback endpoint and placeholder credentials', () => {
    expect(standInClientConfig(bedrock.standIn.url)).toEqual({
      endpoint: bedrock.standIn.url,
      maxAttempts: 1,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  it('is reached by a default client through AWS_ENDPOINT_URL_BEDROCK_RUNTIME', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_BEDROCK_RUNTIME', bedrock.standIn.url);
    const envModel = new BedrockModel({ defaultModelId: MODEL_ID, region: 'us-east-1' });
    const callsBefore = bedrock.standIn.calls;
    const response = await envModel.generate({ prompt: 'Through the environment' });
    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(bedrock.standIn.calls - callsBefore).toBe(1);
  });
});

describe('Bedrock stand-in: lifecycle', () => {
  it('listens on loopback only', async () => {
    expect(bedrock.standIn.url).toBe(`http://127.0.0.1:${bedrock.standIn.port}`);
    await expect(startBedrockStandIn({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback only/);

    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal);
    if (external === undefined) return; // no non-loopback interface here: nothing else to try
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: external.address, port: bedrock.standIn.port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('close() returns promptly with kept-alive sessions and pending delays, and frees the port', async () => {
    const own = await startBedrockStandIn({});
    const ownClient = new BedrockRuntimeClient(standInClientConfig(own.url));
    try {
      const ownModel = new BedrockModel({ defaultModelId: MODEL_ID, client: ownClient });
      await ownModel.generate({ prompt: 'Warm up the connection' });
      const pending = rejectionOf(ownModel.generate({ prompt: 'Never answered [[delay:60000]]' }));
      await vi.waitFor(() => expect(own.calls).toBe(2));

      const startedAt = performance.now();
      await own.close();
      expect(performance.now() - startedAt).toBeLessThan(1000);
      expect(await pending).toBeInstanceOf(RetryableError); // a dropped connection is worth a retry
      await expect(fetch(`${own.url}/model/m/converse`, { method: 'POST', body: '{}' })).rejects.toThrow();
    } finally {
      ownClient.destroy();
      await own.close();
    }
  });
});

describe('Bedrock stand-in: calls at once', () => {
  it('counts the calls it serves at once, through the SDK and on GET /__stand-in/stats; DELETE starts the most again', async () => {
    await bedrock.postConverse('/__stand-in/stats', '', 'DELETE');
    const before = bedrock.standIn.stats().calls;
    const prompts = Array.from({ length: 3 }, (_, n) => `at once ${n} ${Math.random()} [[delay:300]]`);
    await Promise.all(prompts.map((prompt) => bedrock.model.generate({ prompt })));
    const stats = await bedrock.postConverse('/__stand-in/stats', '', 'GET');
    expect(stats.status).toBe(200);
    expect(stats.json).toEqual({ calls: before + 3, inFlight: 0, maxInFlight: 3 });
    // One call at a time afterwards: the most stays 3 until reset, then reads 1.
    await bedrock.model.generate({ prompt: `alone ${Math.random()} [[delay:50]]` });
    expect(bedrock.standIn.stats().maxInFlight).toBe(3);
    expect((await bedrock.postConverse('/__stand-in/stats', '', 'DELETE')).json).toMatchObject({ inFlight: 0, maxInFlight: 0 });
    await bedrock.model.generate({ prompt: `alone again ${Math.random()} [[delay:50]]` });
    expect(bedrock.standIn.stats()).toMatchObject({ inFlight: 0, maxInFlight: 1 });
  });
});
