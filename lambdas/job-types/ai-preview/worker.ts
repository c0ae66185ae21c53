/** AI_PREVIEW in the worker: one model call; its reply and usage are the result. */
import type { z } from 'zod';
import { defineWorker, type InputOf } from '../job-type-worker.ts';
import type { definition } from './index.ts';
import type { result } from './result.ts';

export const worker = defineWorker<InputOf<typeof definition>>('AI_PREVIEW', {
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
  render: (result) => (typeof result.output === 'string' ? result.output : undefined),
});
