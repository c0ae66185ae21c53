/** AI_PREVIEW in the worker: one model call; its reply and usage are the result. */
import * as z from 'zod';
import { defineWorker } from '../job-type-worker.ts';
import { definition } from './index.ts';

/** What an AI_PREVIEW job's result holds (published in openapi.json). */
const result = z.object({
  output: z.string().describe("The model's reply"),
  model: z.string().describe('The model that answered'),
  usage: z.object({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) }),
  stopReason: z.string().describe('Why the model stopped, e.g. end_turn or max_tokens'),
  latencyMs: z.number().min(0),
});

export const worker = defineWorker(definition, {
  // The type takes only its model id from the settings: max tokens come from the input.
  processor: ({ model }, { modelId }) => async (input, context) => {
    await context.reportProgress({ percent: 10, message: 'waiting for model' });

    const response = await model.generate({
      prompt: input.prompt,
      system: input.system,
      maxTokens: input.maxTokens,
      ...(modelId !== undefined ? { modelId } : {}),
      signal: context.signal,
    });

    const usage = { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens };
    context.logger.info('model call finished', {
      modelId: response.modelId,
      ...usage,
      stopReason: response.stopReason,
      latencyMs: response.latencyMs,
    });
    return {
      output: response.text,
      model: response.modelId,
      usage,
      stopReason: response.stopReason,
      latencyMs: response.latencyMs,
    } satisfies z.infer<typeof result>;
  },
  result,
  render: (result) => (typeof result.output === 'string' ? result.output : undefined),
});
