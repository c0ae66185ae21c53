import {
  AccessDeniedException,
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConflictException,
  ConverseCommand,
  type ConverseCommandOutput,
  InternalServerException,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BedrockModel } from '../../../lambdas/adapters/bedrock-model.ts';
import { NonRetryableError, RetryableError } from '../../../lambdas/domain/errors.ts';

const DEFAULT_MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const bedrockMock = mockClient(BedrockRuntimeClient);

function newModel(): BedrockModel {
  return new BedrockModel({ defaultModelId: DEFAULT_MODEL_ID, client: new BedrockRuntimeClient({ region: 'us-east-1' }) });
}

function converseOutput(overrides: Partial<ConverseCommandOutput> = {}): ConverseCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    output: { message: { role: 'assistant', content: [{ text: 'Hello there.' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
    metrics: { latencyMs: 300 },
    ...overrides,
  };
}

function sentInput(callIndex = 0): unknown {
  const call = bedrockMock.commandCalls(ConverseCommand)[callIndex];
  if (call === undefined) throw new Error(`ConverseCommand call ${callIndex} was not made`);
  return call.args[0].input;
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

beforeEach(() => {
  bedrockMock.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('BedrockModel request', () => {
  it('sends the prompt as one user message to the default model, with nothing else set', async () => {
    bedrockMock.on(ConverseCommand).resolves(converseOutput());

    await newModel().generate({ prompt: 'Say hello' });

    expect(sentInput()).toStrictEqual({
      modelId: DEFAULT_MODEL_ID,
      messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
    });
  });

  it('sends the requested model, the system prompt and the inference settings', async () => {
    bedrockMock.on(ConverseCommand).resolves(converseOutput());

    await newModel().generate({
      prompt: 'Say hello',
      system: 'Be brief.',
      maxTokens: 256,
      temperature: 0.2,
      modelId: 'amazon.nova-lite-v1:0',
    });

    expect(sentInput()).toStrictEqual({
      modelId: 'amazon.nova-lite-v1:0',
      messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 256, temperature: 0.2 },
    });
  });

  it('sends only the inference settings that were given', async () => {
    bedrockMock.on(ConverseCommand).resolves(converseOutput());

    await newModel().generate({ prompt: 'Say hello', maxTokens: 64 });

    expect(sentInput()).toStrictEqual({
      modelId: DEFAULT_MODEL_ID,
      messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
      inferenceConfig: { maxTokens: 64 },
    });
  });

  it('leaves out a blank system prompt, which Bedrock would reject', async () => {
    bedrockMock.on(ConverseCommand).resolves(converseOutput());

    await newModel().generate({ prompt: 'Say hello', system: '  \n ' });

    expect(sentInput()).not.toHaveProperty('system');
  });

  it('passes the request signal to the SDK as abortSignal', async () => {
    bedrockMock.on(ConverseCommand).resolves(converseOutput());
    const controller = new AbortController();

    await newModel().generate({ prompt: 'Say hello', signal: controller.signal });

    // The stub's typings list only the command; send's second argument is the options object.
    const sendArgs: readonly unknown[] = bedrockMock.call(0).args;
    expect(sendArgs[1]).toStrictEqual({ abortSignal: controller.signal });
  });

  it('creates its own client in the given region when none is injected', async () => {
    bedrockMock.on(ConverseCommand).resolves(converseOutput());
    const model = new BedrockModel({ defaultModelId: DEFAULT_MODEL_ID, region: 'eu-west-3' });

    await model.generate({ prompt: 'Say hello' });

    const client = bedrockMock.call(0).thisValue as BedrockRuntimeClient;
    await expect(client.config.region()).resolves.toBe('eu-west-3');
  });
});

describe('BedrockModel response', () => {
  it('returns the joined text blocks, model id, usage, stop reason and measured latency', async () => {
    bedrockMock.on(ConverseCommand).resolves(
      converseOutput({
        output: {
          message: {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'thinking...' } } },
              { text: 'Hello, ' },
              { text: 'world.' },
            ],
          },
        },
        stopReason: 'max_tokens',
        usage: { inputTokens: 40, outputTokens: 64, totalTokens: 104 },
      }),
    );
    vi.spyOn(performance, 'now').mockReturnValueOnce(1_000).mockReturnValueOnce(1_250.4);

    const response = await newModel().generate({ prompt: 'Say hello', modelId: 'amazon.nova-lite-v1:0' });

    expect(response).toStrictEqual({
      text: 'Hello, world.',
      modelId: 'amazon.nova-lite-v1:0',
      usage: { inputTokens: 40, outputTokens: 64 },
      stopReason: 'max_tokens',
      latencyMs: 250,
    });
  });

  it('fails without retry when the reply holds no text, naming the stop reason', async () => {
    bedrockMock.on(ConverseCommand).resolves(
      converseOutput({ output: { message: { role: 'assistant', content: [] } }, stopReason: 'content_filtered' }),
    );

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toBe('Bedrock returned no text (stopReason: content_filtered)');
  });
});

describe('BedrockModel errors', () => {
  const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

  it.each([
    ['ThrottlingException', new ThrottlingException({ message: 'Rate exceeded', ...meta(429) })],
    ['ServiceUnavailableException', new ServiceUnavailableException({ message: 'Try again later', ...meta(503) })],
    ['InternalServerException', new InternalServerException({ message: 'Try again later', ...meta(500) })],
    ['ModelTimeoutException', new ModelTimeoutException({ message: 'Try again later', ...meta(408) })],
    ['ModelNotReadyException', new ModelNotReadyException({ message: 'Try again later', ...meta(429) })],
    ['ServiceQuotaExceededException', new ServiceQuotaExceededException({ message: 'Try again later', ...meta(400) })],
  ])('turns %s into a RetryableError with the public message format', async (name, sdkError) => {
    bedrockMock.on(ConverseCommand).rejects(sdkError);

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toBe(`Bedrock API error: ${name} - ${sdkError.message}`);
    expect((error as Error).cause).toBe(sdkError);
  });

  it.each([
    ['ValidationException', new ValidationException({ message: 'Input is invalid', ...meta(400) })],
    ['AccessDeniedException', new AccessDeniedException({ message: 'Input is invalid', ...meta(403) })],
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'Input is invalid', ...meta(404) })],
    ['ConflictException', new ConflictException({ message: 'Input is invalid', ...meta(409) })],
    ['ModelErrorException', new ModelErrorException({ message: 'Input is invalid', ...meta(424) })],
    [
      'ModelStreamErrorException',
      new ModelStreamErrorException({ message: 'Input is invalid', originalStatusCode: 400, ...meta(424) }),
    ],
  ])('turns %s into a NonRetryableError with the public message format', async (name, sdkError) => {
    bedrockMock.on(ConverseCommand).rejects(sdkError);

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toBe(`Bedrock API error: ${name} - Input is invalid`);
    expect((error as Error).cause).toBe(sdkError);
  });

  it('reports throttling to clients as "Bedrock API error: ThrottlingException - Rate exceeded"', async () => {
    bedrockMock.on(ConverseCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta(429) }));

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect((error as Error).message).toBe('Bedrock API error: ThrottlingException - Rate exceeded');
  });

  it('retries a ModelErrorException whose model answered with a 5xx', async () => {
    bedrockMock
      .on(ConverseCommand)
      .rejects(new ModelErrorException({ message: 'Model failed', originalStatusCode: 503, ...meta(424) }));

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect(error).toBeInstanceOf(RetryableError);
  });

  it.each([
    [502, RetryableError],
    [429, RetryableError],
    [418, NonRetryableError],
  ])('classifies an unknown service exception with status %i by its status', async (status, expected) => {
    bedrockMock.on(ConverseCommand).rejects(
      new BedrockRuntimeServiceException({
        name: 'NewKindOfException',
        $fault: status >= 500 ? 'server' : 'client',
        message: 'Something happened',
        ...meta(status),
      }),
    );

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect(error).toBeInstanceOf(expected);
    expect((error as Error).message).toBe('Bedrock API error: NewKindOfException - Something happened');
  });

  it.each([
    ['TimeoutError', Object.assign(new Error('Connection timed out after 30000 ms'), { name: 'TimeoutError' })],
    ['Error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('turns the network failure %s into a RetryableError', async (name, networkError) => {
    bedrockMock.on(ConverseCommand).rejects(networkError);

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe(`Bedrock API error: ${name} - ${networkError.message}`);
  });

  it('keeps the message on one bounded line without any stack trace', async () => {
    const sdkError = new ValidationException({
      message: `Bad input:\n    at handler (/var/task/index.js:1:1)\n${'x'.repeat(2_000)}`,
      ...meta(400),
    });
    bedrockMock.on(ConverseCommand).rejects(sdkError);

    const error = await captureError(newModel().generate({ prompt: 'Say hello' }));

    const message = (error as Error).message;
    expect(message).toMatch(/^Bedrock API error: ValidationException - Bad input: at handler/);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThanOrEqual('Bedrock API error: ValidationException - '.length + 500);
  });
});

describe('BedrockModel abort', () => {
  it('rethrows the abort reason when the signal aborts during the call', async () => {
    const controller = new AbortController();
    const reason = new Error('attempt timed out');
    bedrockMock.on(ConverseCommand).callsFake(() => {
      controller.abort(reason);
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });

    const error = await captureError(newModel().generate({ prompt: 'Say hello', signal: controller.signal }));

    expect(error).toBe(reason);
  });

  it('rethrows the abort reason without calling Bedrock when the signal is already aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('job cancelled');
    controller.abort(reason);
    bedrockMock.on(ConverseCommand).resolves(converseOutput());

    const error = await captureError(newModel().generate({ prompt: 'Say hello', signal: controller.signal }));

    expect(error).toBe(reason);
    expect(bedrockMock.calls()).toHaveLength(0);
  });
});
