/**
 * The Bedrock stand-in, driven through the REAL BedrockModel adapter and a real
 * BedrockRuntimeClient (HTTP/2, as the SDK's default handler speaks it) pointed at it, plus raw
 * HTTP/1.1 requests (fetch) to pin the wire format. Loopback only, port 0.
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConflictException,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BedrockModel } from '../../../lambdas/adapters/bedrock-model.ts';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';
import type { ModelRequest } from '../../../lambdas/domain/model.ts';
import {
  type BedrockStandIn,
  MAX_DELAY_MS,
  standInClientConfig,
  startBedrockStandIn,
} from '../../../lib/local/bedrock-stand-in.ts';

const MODEL_ID = 'amazon.nova-lite-v1:0';
const LABEL = `[Bedrock stand-in · ${MODEL_ID}] `;

let standIn: BedrockStandIn;
let client: BedrockRuntimeClient;
let model: BedrockModel;
const logLines: string[] = [];

beforeAll(async () => {
  standIn = await startBedrockStandIn({ port: 0, log: (line) => logLines.push(line) });
  client = new BedrockRuntimeClient(standInClientConfig(standIn.url));
  model = new BedrockModel({ defaultModelId: MODEL_ID, client });
});

afterAll(async () => {
  client.destroy();
  await standIn.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The rejection of `promise` (fails the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

async function postConverse(path: string, body: string, method = 'POST'): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${standIn.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('Bedrock stand-in: answers', () => {
  it('answers through the real adapter with a labelled text, usage and stop reason', async () => {
    const response = await model.generate({ prompt: 'Summarise the quarterly report for the board', system: 'Be brief.' });

    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(response.text).toContain('Summarise the quarterly report for the board');
    expect(response.modelId).toBe(MODEL_ID);
    expect(response.stopReason).toBe('end_turn');
    expect(response.usage).toEqual({
      inputTokens: 7 + 2,
      outputTokens: words(response.text.slice(LABEL.length)).length,
    });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('accepts any model id, URL-encoded in the path (colons, inference-profile ARNs)', async () => {
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0';
    const response = await model.generate({ prompt: 'Hello there', modelId: arn });
    expect(response.modelId).toBe(arn);
    expect(response.text.startsWith(`[Bedrock stand-in · ${arn}] `)).toBe(true);
  });

  it('is deterministic: the same input gives the same answer, another input another one', async () => {
    const request: ModelRequest = { prompt: 'Write a haiku about queues', system: 'You are a poet.', maxTokens: 200 };
    const first = await model.generate(request);
    const second = await model.generate(request);
    const other = await model.generate({ ...request, prompt: 'Write a haiku about tables' });

    expect(second.text).toBe(first.text);
    expect(second.usage).toEqual(first.usage);
    expect(second.stopReason).toBe(first.stopReason);
    expect(other.text).not.toBe(first.text);
  });

  it('cuts the answer to maxTokens words (stopReason max_tokens), keeping the label', async () => {
    const cut = await model.generate({ prompt: 'Explain the design of the jobs API in detail', maxTokens: 5 });
    expect(cut.stopReason).toBe('max_tokens');
    expect(cut.text.startsWith(LABEL)).toBe(true);
    expect(words(cut.text.slice(LABEL.length))).toHaveLength(5);
    expect(cut.usage.outputTokens).toBe(5);

    const full = await model.generate({ prompt: 'Explain the design of the jobs API in detail', maxTokens: 1000 });
    expect(full.stopReason).toBe('end_turn');
    expect(full.usage.outputTokens).toBeGreaterThan(5);
    expect(full.text.startsWith(cut.text)).toBe(true);
  });

  it('rejects blank text blocks as Bedrock does (ValidationException, non-retryable)', async () => {
    const error = await rejectionOf(model.generate({ prompt: '   ' }));
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toMatch(/^Bedrock API error: ValidationException - The text field in the ContentBlock object at messages\.0\.content\.0 is blank/);
  });
});

describe('Bedrock stand-in: wire format (HTTP/1.1)', () => {
  it('answers POST /model/{modelId}/converse with the Converse response shape', async () => {
    const { status, headers, json } = await postConverse(
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
    const { status, headers, json } = await postConverse(
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
      const { status, headers, json } = await postConverse(path, '{}', method);
      expect(status, `${method} ${path}`).toBe(404);
      expect(headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(json).toEqual({ message: expect.stringContaining('No such operation') });
    }
  });

  it('answers malformed requests with 400 ValidationException', async () => {
    const bodies = [
      '{"messages": [',
      '[]',
      '{}',
      '{"messages": []}',
      '{"messages": [{"role": "robot", "content": [{"text": "x"}]}]}',
      '{"messages": [{"role": "user", "content": [{"text": "x"}]}], "inferenceConfig": {"maxTokens": 0}}',
      '{"messages": [{"role": "user", "content": [{"text": "x [[delay:soon]]"}]}]}',
      '{"messages": [{"role": "user", "content": [{"text": "x [[fail:]]"}]}]}',
    ];
    for (const body of bodies) {
      const { status, headers, json } = await postConverse('/model/m/converse', body);
      expect(status, body).toBe(400);
      expect(headers.get('x-amzn-errortype'), body).toBe('ValidationException');
      expect(json).toEqual({ message: expect.any(String) });
    }
  });
});

describe('Bedrock stand-in: fault injection', () => {
  it('[[fail:ThrottlingException:2]] fails the first two calls of that job, then answers', async () => {
    const request: ModelRequest = { prompt: 'Job 7f3a: summarise the logs [[fail:ThrottlingException:2]]' };
    const callsBefore = standIn.calls;

    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const error = await rejectionOf(model.generate(request));
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.message).toBe('Bedrock API error: ThrottlingException - Rate exceeded (stand-in fault injection)');
      expect(error.cause).toBeInstanceOf(ThrottlingException);
      expect((error.cause as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    }
    const response = await model.generate(request);
    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(response.text).not.toContain('[[');
    expect(response.text).toContain('Job 7f3a: summarise the logs');
    expect(response.usage.inputTokens).toBe(5);
    // maxAttempts 1: one HTTP call per generate().
    expect(standIn.calls - callsBefore).toBe(3);
  });

  it('[[fail:ValidationException]] fails every call with a NonRetryableError', async () => {
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const error = await rejectionOf(model.generate({ prompt: 'Bad input [[fail:ValidationException]]' }));
      expect(error).toBeInstanceOf(NonRetryableError);
      expect(error.message).toBe('Bedrock API error: ValidationException - Input validation failed (stand-in fault injection)');
    }
  });

  it('counts calls per job: other prompts (or model ids) have their own counters', async () => {
    const jobA: ModelRequest = { prompt: 'Job A [[fail:ServiceUnavailableException:2]]' };
    const jobB: ModelRequest = { prompt: 'Job B [[fail:ServiceUnavailableException:2]]' };
    const jobAOtherModel: ModelRequest = { ...jobA, modelId: 'amazon.nova-pro-v1:0' };

    await expect(model.generate(jobA)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobB)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobA)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobAOtherModel)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobA)).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(model.generate(jobB)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobB)).resolves.toMatchObject({ stopReason: 'end_turn' });
    await expect(model.generate(jobAOtherModel)).rejects.toBeInstanceOf(RetryableError);
    await expect(model.generate(jobAOtherModel)).resolves.toMatchObject({ modelId: 'amazon.nova-pro-v1:0' });
  });

  it('reads directives in the system prompt too, and strips them from the answer', async () => {
    const request: ModelRequest = { prompt: 'Plain prompt', system: 'Be terse. [[fail:ModelTimeoutException:1]]' };
    await expect(model.generate(request)).rejects.toThrow('Bedrock API error: ModelTimeoutException - ');
    const response = await model.generate(request);
    expect(response.text).not.toContain('[[');
    expect(response.usage.inputTokens).toBe(2 + 2);
  });

  it('[[delay:300]] answers after at least 300 ms', async () => {
    const startedAt = performance.now();
    const response = await model.generate({ prompt: 'Slow job [[delay:300]]' });
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(response.latencyMs).toBeGreaterThanOrEqual(300);
    expect(response.text).not.toContain('[[');
  });

  it('an aborted call ends early with the abort reason, and the stand-in drops it cleanly', async () => {
    const controller = new AbortController();
    const reason = new Error('attempt deadline reached');
    setTimeout(() => controller.abort(reason), 50);

    const startedAt = performance.now();
    const error = await rejectionOf(model.generate({ prompt: 'Cancelled job [[delay:5000]]', signal: controller.signal }));
    expect(error).toBe(reason);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    await vi.waitFor(() => expect(logLines.some((line) => line.includes('dropped during the 5000 ms delay'))).toBe(true));

    await expect(model.generate({ prompt: 'After the abort' })).resolves.toMatchObject({ stopReason: 'end_turn' });
  });

  it('caps delays', () => {
    expect(MAX_DELAY_MS).toBe(120_000);
  });

  const cases: ReadonlyArray<{
    directive: string;
    name: string;
    status: number;
    sdkClass: new (...args: never[]) => BedrockRuntimeServiceException;
    domainClass: typeof RetryableError | typeof NonRetryableError;
  }> = [
    { directive: 'ThrottlingException', name: 'ThrottlingException', status: 429, sdkClass: ThrottlingException, domainClass: RetryableError },
    { directive: 'ServiceUnavailableException', name: 'ServiceUnavailableException', status: 503, sdkClass: ServiceUnavailableException, domainClass: RetryableError },
    { directive: 'InternalServerException', name: 'InternalServerException', status: 500, sdkClass: InternalServerException, domainClass: RetryableError },
    { directive: 'ModelTimeoutException', name: 'ModelTimeoutException', status: 408, sdkClass: ModelTimeoutException, domainClass: RetryableError },
    { directive: 'ModelNotReadyException', name: 'ModelNotReadyException', status: 429, sdkClass: ModelNotReadyException, domainClass: RetryableError },
    { directive: 'ServiceQuotaExceededException', name: 'ServiceQuotaExceededException', status: 400, sdkClass: ServiceQuotaExceededException, domainClass: RetryableError },
    { directive: 'ValidationException', name: 'ValidationException', status: 400, sdkClass: ValidationException, domainClass: NonRetryableError },
    { directive: 'AccessDeniedException', name: 'AccessDeniedException', status: 403, sdkClass: AccessDeniedException, domainClass: NonRetryableError },
    { directive: 'ResourceNotFoundException', name: 'ResourceNotFoundException', status: 404, sdkClass: ResourceNotFoundException, domainClass: NonRetryableError },
    { directive: 'ConflictException', name: 'ConflictException', status: 400, sdkClass: ConflictException, domainClass: NonRetryableError },
    { directive: 'ModelErrorException', name: 'ModelErrorException', status: 424, sdkClass: ModelErrorException, domainClass: NonRetryableError },
    { directive: 'ModelErrorException@503', name: 'ModelErrorException', status: 424, sdkClass: ModelErrorException, domainClass: RetryableError },
    { directive: 'MysteryException', name: 'MysteryException', status: 400, sdkClass: BedrockRuntimeServiceException, domainClass: NonRetryableError },
  ];

  it.each(cases)('[[fail:$directive]] → HTTP $status, SDK $name, adapter $domainClass.name', async (testCase) => {
    const error = await rejectionOf(model.generate({ prompt: `Mapping test [[fail:${testCase.directive}]]` }));

    expect(error).toBeInstanceOf(testCase.domainClass);
    expect(error.message).toMatch(new RegExp(`^Bedrock API error: ${testCase.name} - .+ \\(stand-in fault injection\\)$`));
    const cause = error.cause as BedrockRuntimeServiceException;
    expect(cause).toBeInstanceOf(testCase.sdkClass);
    expect(cause.name).toBe(testCase.name);
    expect(cause.$metadata.httpStatusCode).toBe(testCase.status);
    if (testCase.name === 'ModelErrorException') {
      const modelError = cause as ModelErrorException;
      expect(modelError.originalStatusCode).toBe(testCase.directive.endsWith('@503') ? 503 : 400);
      expect(modelError.resourceName).toBe(MODEL_ID);
    }
  });
});

describe('Bedrock stand-in: SDK retries and configuration', () => {
  it('with the SDK default of 3 attempts, [[fail:InternalServerException:2]] is absorbed inside one call', async () => {
    const retryingClient = new BedrockRuntimeClient(standInClientConfig(standIn.url, { maxAttempts: 3 }));
    try {
      const retryingModel = new BedrockModel({ defaultModelId: MODEL_ID, client: retryingClient });
      const callsBefore = standIn.calls;
      const response = await retryingModel.generate({ prompt: 'Absorbed [[fail:InternalServerException:2]]' });
      expect(response.stopReason).toBe('end_turn');
      expect(standIn.calls - callsBefore).toBe(3);
    } finally {
      retryingClient.destroy();
    }
  });

  it('standInClientConfig gives one attempt, a loopback endpoint and placeholder credentials', () => {
    expect(standInClientConfig(standIn.url)).toEqual({
      endpoint: standIn.url,
      maxAttempts: 1,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  it('is reached by a default client through AWS_ENDPOINT_URL_BEDROCK_RUNTIME', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_BEDROCK_RUNTIME', standIn.url);
    const envModel = new BedrockModel({ defaultModelId: MODEL_ID, region: 'us-east-1' });
    const callsBefore = standIn.calls;
    const response = await envModel.generate({ prompt: 'Through the environment' });
    expect(response.text.startsWith(LABEL)).toBe(true);
    expect(standIn.calls - callsBefore).toBe(1);
  });
});

describe('Bedrock stand-in: lifecycle', () => {
  it('listens on loopback only', async () => {
    expect(standIn.url).toBe(`http://127.0.0.1:${standIn.port}`);
    await expect(startBedrockStandIn({ host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback only/);

    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal);
    if (external === undefined) return; // no non-loopback interface here: nothing else to try
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: external.address, port: standIn.port });
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
