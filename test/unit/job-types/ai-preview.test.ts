import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../../lambdas/domain/errors.ts';
import { definition as aiPreviewType } from '../../../lambdas/job-types/ai-preview/index.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { processorContext } from '../../support/processor-context.ts';
import { ScriptedModel, fakeReply } from '../../support/scripted-model.ts';
import { attempt, issuesOf, workerType } from './fixtures.ts';

const issues = (input: unknown) => issuesOf(aiPreviewType.input, input);

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
    expect(issues(input).map(([path]) => path)).toStrictEqual(['prompt']);
  });

  it('says why a blank prompt is rejected', () => {
    expect(issues({ prompt: '   ' })).toStrictEqual([['prompt', 'prompt must not be empty']]);
  });

  it('rejects a system prompt longer than 10000 characters at path system', () => {
    expect(issues({ prompt: 'Hi', system: 's'.repeat(10_001) })).toStrictEqual([['system', 'system must be at most 10000 characters']]);
  });

  it.each([0, 4097, 1.5, '100', null])('rejects maxTokens %j at path maxTokens', (maxTokens) => {
    expect(issues({ prompt: 'Hi', maxTokens }).map(([path]) => path)).toStrictEqual(['maxTokens']);
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
  const input = { prompt: 'Explain queues.', system: 'Be brief.', maxTokens: 200 };
  /** The fake model's reply to `input`, the only call. */
  const reply = fakeReply(1, input);

  /** Runs one attempt on `input` (env: the model settings' variables; `script` scripts the model). */
  async function preview(env: Record<string, string> = {}, script: (model: ScriptedModel) => void = () => {}) {
    const events: string[] = [];
    const model = new ScriptedModel(events);
    script(model);
    const recorded = processorContext({ events });
    const outcome = await attempt(workerType('AI_PREVIEW', model, env), input, recorded.context);
    return { ...recorded, ...outcome, requests: model.requests };
  }

  it("returns the model's reply with its model, usage, stop reason and latency", async () => {
    const { result } = await preview();

    expect(result).toStrictEqual({
      output: reply.text,
      model: reply.modelId,
      usage: reply.usage,
      stopReason: reply.stopReason,
      latencyMs: reply.latencyMs,
    });
  });

  it('reports progress once, before calling the model', async () => {
    const { progress, events } = await preview();

    expect(progress).toStrictEqual([{ percent: 10, message: 'waiting for model' }]);
    expect(events).toStrictEqual(['progress 10', 'model']);
  });

  it('passes the prompt, system prompt, maxTokens and the attempt signal to the model', async () => {
    const { requests, context } = await preview();

    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ prompt: 'Explain queues.', system: 'Be brief.', maxTokens: 200 });
    expect(requests[0]?.signal).toBe(context.signal);
  });

  it('logs token usage and latency', async () => {
    const { logger } = await preview();

    expect(logger.info).toHaveBeenCalledWith('model call finished', {
      modelId: reply.modelId,
      ...reply.usage,
      stopReason: reply.stopReason,
      latencyMs: reply.latencyMs,
    });
  });

  it('sends no model id of its own unless settings give one', async () => {
    const { requests } = await preview();

    expect(requests[0]).not.toHaveProperty('modelId');
  });

  it('sends the model id BEDROCK_MODEL_ID_AI_PREVIEW gives, and no max tokens or temperature of the settings', async () => {
    const { requests } = await preview({ BEDROCK_MODEL_ID_AI_PREVIEW: 'amazon.nova-micro-v1:0', BEDROCK_MAX_TOKENS: '1000' });

    expect(requests[0]).toMatchObject({ modelId: 'amazon.nova-micro-v1:0', maxTokens: 200 });
    expect(requests[0]).not.toHaveProperty('temperature');
  });

  it('lets a model failure through unchanged', async () => {
    const denied = new NonRetryableError('Bedrock API error: ValidationException - Input is invalid');

    const { failure } = await preview({}, (model) => model.failWith(denied));

    expect(failure).toBe(denied);
  });
});
