/**
 * AI_PREVIEW: sends one prompt to the text model and returns its reply. The definition only
 * (the API bundles it); the processor lives in processor.ts.
 */
import { z } from 'zod';
import { defineJobType } from '../../domain/job-types.ts';

export const AI_PREVIEW_LIMITS = {
  promptMaxChars: 20_000,
  systemMaxChars: 10_000,
  maxTokens: 4096,
} as const;

export const aiPreviewInputSchema = z
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
  .strict();

export type AiPreviewInput = z.infer<typeof aiPreviewInputSchema>;

export const aiPreviewType = defineJobType<AiPreviewInput>({
  name: 'AI_PREVIEW',
  description: 'Sends a prompt (and an optional system prompt) to the text model and returns its reply.',
  input: aiPreviewInputSchema,
  timeoutSeconds: 60,
});
