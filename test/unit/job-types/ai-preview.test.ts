import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { NonRetryableError } from '../../../lambdas/domain/errors.ts';
import { defineJobType, type ProcessorContext } from '../../../lambdas/domain/job-types.ts';
import type { Model, ModelRequest, ModelResponse } from '../../../lambdas/domain/model.ts';
import { aiPreviewType, type AiPreviewInput } from '../../../lambdas/job-types/ai-preview/definition.ts';
import { createAiPreviewProcessor } from '../../../lambdas/job-types/ai-preview/processor.ts';
import { JOB_TYPE_DEFINITIONS, jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import {
  MAX_JOB_TIMEOUT_SECONDS,
  bind,
  createJobTypes,
  joinJobTypes,
} from '../../../lambdas/job-types/processors.ts';

function modelResponse(overrides: Partial<ModelResponse> = {}): ModelResponse {
  return {
    text: 'A short answer.',
    modelId: 'amazon.nova-lite-v1:0',
    usage: { inputTokens: 21, outputTokens: 7 },
    stopReason: 'end_turn',
    latencyMs: 412,
    ...overrides,
  };
}

/** A Model that records its requests and answers with `response` (or throws `error`). */
function fakeModel(options: { response?: ModelResponse; error?: Error; events?: string[] } = {}) {
  const requests: ModelRequest[] = [];
  const model: Model = {
    async generate(request) {
      options.events?.push('generate');
      requests.push(request);
      if (options.error) throw options.error;
      return options.response ?? modelResponse();
    },
  };
  return { model, requests };
}

function processorContext(events: string[] = []) {
  const controller = new AbortController();
  const reportProgress = vi.fn(async () => {
    events.push('reportProgress');
  });
  const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn(), child: () => logger };
  const context: ProcessorContext = {
    jobId: 'job-1',
    ownerId: 'owner-1',
    attempt: 1,
    maxAttempts: 3,
    signal: controller.signal,
    reportProgress,
    loadSources: async () => [],
    loadDocument: async () => {
      throw new Error('AI_PREVIEW takes no document');
    },
    logger,
  };
  return { context, reportProgress, logger, controller };
}

function issuesOf(input: unknown): { path: PropertyKey[]; message: string; code: string }[] {
  const result = aiPreviewType.input.safeParse(input);
  return result.success ? [] : result.error.issues.map(({ path, message, code }) => ({ path, message, code }));
}

describe('AI_PREVIEW input schema', () => {
  it('accepts a prompt alone and trims it', () => {
    const parsed = aiPreviewType.input.parse({ prompt: '  Explain queues.  ' });

    expect(parsed).toStrictEqual({ prompt: 'Explain queues.' });
  });

  it('accepts a prompt with a system prompt and maxTokens at their limits', () => {
    const input = { prompt: 'p'.repeat(20_000), system: 's'.repeat(10_000), maxTokens: 4096 };

    const parsed = aiPreviewType.input.parse(input);

    expect(parsed).toStrictEqual(input);
  });

  it.each([
    ['missing', {}],
    ['blank', { prompt: ' \n\t ' }],
    ['too long', { prompt: 'p'.repeat(20_001) }],
    ['not a string', { prompt: 42 }],
  ])('rejects a prompt that is %s at path prompt', (_case, input) => {
    const issues = issuesOf(input);

    expect(issues.map((issue) => issue.path)).toStrictEqual([['prompt']]);
  });

  it('says why a blank prompt is rejected', () => {
    const issues = issuesOf({ prompt: '   ' });

    expect(issues[0]?.message).toBe('prompt must not be empty');
  });

  it('rejects a system prompt longer than 10000 characters at path system', () => {
    const issues = issuesOf({ prompt: 'Hi', system: 's'.repeat(10_001) });

    expect(issues).toMatchObject([{ path: ['system'], message: 'system must be at most 10000 characters' }]);
  });

  it.each([0, 4097, 1.5, '100', null])('rejects maxTokens %j at path maxTokens', (maxTokens) => {
    const issues = issuesOf({ prompt: 'Hi', maxTokens });

    expect(issues.map((issue) => issue.path)).toStrictEqual([['maxTokens']]);
  });

  it('rejects unknown keys, naming them', () => {
    const result = aiPreviewType.input.safeParse({ prompt: 'Hi', temperature: 0.5 });

    expect(result.success).toBe(false);
    expect(result.error?.issues).toMatchObject([{ code: 'unrecognized_keys', keys: ['temperature'] }]);
  });

  it('is registered in the catalog the API uses, with a 60 s timeout and 3 attempts', () => {
    const definition = jobTypeCatalog.get('AI_PREVIEW');

    expect(definition).toBe(aiPreviewType);
    expect(definition).toMatchObject({ timeoutSeconds: 60, maxAttempts: 3 });
  });
});

describe('AI_PREVIEW processor', () => {
  const input: AiPreviewInput = { prompt: 'Explain queues.', system: 'Be brief.', maxTokens: 200 };

  it('returns the reply, model, usage, stop reason and latency', async () => {
    const { model } = fakeModel();
    const { context } = processorContext();

    const result = await createAiPreviewProcessor(model)(input, context);

    expect(result).toStrictEqual({
      output: 'A short answer.',
      model: 'amazon.nova-lite-v1:0',
      usage: { inputTokens: 21, outputTokens: 7 },
      stopReason: 'end_turn',
      latencyMs: 412,
    });
  });

  it('reports progress once, before calling the model', async () => {
    const events: string[] = [];
    const { model } = fakeModel({ events });
    const { context, reportProgress } = processorContext(events);

    await createAiPreviewProcessor(model)(input, context);

    expect(reportProgress).toHaveBeenCalledTimes(1);
    expect(reportProgress).toHaveBeenCalledWith({ percent: 10, message: 'waiting for model' });
    expect(events).toStrictEqual(['reportProgress', 'generate']);
  });

  it('passes the prompt, system prompt, maxTokens and the attempt signal to the model', async () => {
    const { model, requests } = fakeModel();
    const { context } = processorContext();

    await createAiPreviewProcessor(model)(input, context);

    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ prompt: 'Explain queues.', system: 'Be brief.', maxTokens: 200 });
    expect(requests[0]?.signal).toBe(context.signal);
  });

  it('logs token usage and latency', async () => {
    const { model } = fakeModel();
    const { context, logger } = processorContext();

    await createAiPreviewProcessor(model)(input, context);

    expect(logger.info).toHaveBeenCalledWith(
      'model call finished',
      expect.objectContaining({ inputTokens: 21, outputTokens: 7, latencyMs: 412 }),
    );
  });

  it('sends no model id of its own unless settings give one', async () => {
    const { model, requests } = fakeModel();

    await createAiPreviewProcessor(model)(input, processorContext().context);

    expect(requests[0]).not.toHaveProperty('modelId');
  });

  it('sends the model id its settings give (BEDROCK_MODEL_ID_AI_PREVIEW)', async () => {
    const { model, requests } = fakeModel();

    await createAiPreviewProcessor(model, { modelId: 'amazon.nova-micro-v1:0' })(input, processorContext().context);

    expect(requests[0]?.modelId).toBe('amazon.nova-micro-v1:0');
  });

  it('lets a model failure through unchanged', async () => {
    const failure = new NonRetryableError('Bedrock API error: ValidationException - Input is invalid');
    const { model } = fakeModel({ error: failure });
    const { context } = processorContext();

    await expect(createAiPreviewProcessor(model)(input, context)).rejects.toBe(failure);
  });
});

describe('createJobTypes', () => {
  const stubProcess = async () => ({ ok: true });
  const fabricated = (name: string, timeoutSeconds: number) =>
    defineJobType({ name, description: 'test type', input: z.object({}), timeoutSeconds });

  it('joins every definition with its processor', async () => {
    const { model } = fakeModel();
    const structured = { ...model, generateStructured: () => Promise.reject(new Error('not used by AI_PREVIEW')) };

    const jobTypes = createJobTypes({ model: structured }, {});

    expect(jobTypes.map((type) => type.name)).toStrictEqual(JOB_TYPE_DEFINITIONS.map((type) => type.name));
    const aiPreview = jobTypes.find((type) => type.name === 'AI_PREVIEW');
    expect(aiPreview).toMatchObject({ timeoutSeconds: 60, maxAttempts: 3, input: aiPreviewType.input });
    await expect(aiPreview?.process({ prompt: 'Hi' }, processorContext().context)).resolves.toMatchObject({
      output: 'A short answer.',
    });
  });

  it('throws at start-up when a type’s timeout leaves no finish margin in the worker', () => {
    const tooSlow = fabricated('TOO_SLOW', MAX_JOB_TIMEOUT_SECONDS + 1);

    expect(() => joinJobTypes([tooSlow], [bind(tooSlow, stubProcess)])).toThrow(
      'Job type TOO_SLOW: timeoutSeconds 111 exceeds 110 (worker timeout 120s minus 10s finish margin)',
    );
  });

  it('accepts a timeout equal to the worker timeout minus the finish margin', () => {
    const justFits = fabricated('JUST_FITS', MAX_JOB_TIMEOUT_SECONDS);

    const jobTypes = joinJobTypes([justFits], [bind(justFits, stubProcess)]);

    expect(jobTypes.map((type) => type.name)).toStrictEqual(['JUST_FITS']);
  });

  it('throws at start-up when a definition has no processor', () => {
    const orphan = fabricated('NO_PROCESSOR', 30);

    expect(() => joinJobTypes([orphan], [])).toThrow('Job type NO_PROCESSOR has no processor');
  });

  it('throws at start-up when a processor has no definition', () => {
    const registered = fabricated('REGISTERED', 30);
    const unregistered = fabricated('UNREGISTERED', 30);

    expect(() => joinJobTypes([registered], [bind(registered, stubProcess), bind(unregistered, stubProcess)])).toThrow(
      'Processors without a job type definition: UNREGISTERED',
    );
  });
});
