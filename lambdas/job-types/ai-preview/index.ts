/**
 * AI_PREVIEW: sends one prompt to the text model and returns its reply. What the API and
 * `cdk synth` need (API-safe); the worker's part is worker.ts.
 */
import * as z from 'zod';
import { defineJobType } from '../../domain/job-types.ts';
import type { ModelSettingsSpec } from '../model-settings.ts';

export const AI_PREVIEW_LIMITS = {
  promptMaxChars: 20_000,
  systemMaxChars: 10_000,
  maxTokens: 4096,
} as const;

export const definition = defineJobType({
  name: 'AI_PREVIEW',
  description: 'Sends a prompt (and an optional system prompt) to the text model and returns its reply.',
  timeoutSeconds: 60,
  // A preview is a free-form sample of the model: asking again is how a user gets another answer,
  // so an earlier one must not be served in its place (`reuse` on a create is a 422).
  reusable: false,
  input: z
    .object({
      /** Trimmed; must keep at least one character. */
      prompt: z
        .string()
        .trim()
        .min(1, 'prompt must not be empty')
        .max(AI_PREVIEW_LIMITS.promptMaxChars, `prompt must be at most ${AI_PREVIEW_LIMITS.promptMaxChars} characters`),
      system: z
        .string()
        .max(AI_PREVIEW_LIMITS.systemMaxChars, `system must be at most ${AI_PREVIEW_LIMITS.systemMaxChars} characters`)
        .optional(),
      maxTokens: z
        .number()
        .int('maxTokens must be an integer')
        .min(1, 'maxTokens must be at least 1')
        .max(AI_PREVIEW_LIMITS.maxTokens, `maxTokens must be at most ${AI_PREVIEW_LIMITS.maxTokens}`)
        .optional(),
    })
    .strict(),
});

/** Its max tokens come from the input, so only the model id is configuration. */
export const modelSettings: ModelSettingsSpec = 'model-id-only';
