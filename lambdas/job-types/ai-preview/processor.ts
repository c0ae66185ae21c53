/** The AI_PREVIEW processor: one model call, its reply and usage as the result. */
import type { Processor } from '../../domain/job-types.ts';
import type { Model } from '../../domain/model.ts';
import type { AiPreviewInput } from './definition.ts';

export interface AiPreviewSettings {
  /** From BEDROCK_MODEL_ID_AI_PREVIEW (or BEDROCK_MODEL_ID); undefined: the adapter's default. */
  readonly modelId?: string | undefined;
}

export function createAiPreviewProcessor(model: Model, settings: AiPreviewSettings = {}): Processor<AiPreviewInput> {
  return async (input, context) => {
    await context.reportProgress({ percent: 10, message: 'waiting for model' });

    const response = await model.generate({
      prompt: input.prompt,
      system: input.system,
      maxTokens: input.maxTokens,
      ...(settings.modelId !== undefined ? { modelId: settings.modelId } : {}),
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
    };
  };
}
