/**
 * AI_PREVIEW's result (published in openapi.json): the model's reply and its usage. Loaded by the
 * OpenAPI document and at build time, never by the worker.
 */
import * as z from 'zod';

export const result = z.object({
  output: z.string().describe("The model's reply"),
  model: z.string().describe('The model that answered'),
  usage: z.object({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) }),
  stopReason: z.string().describe('Why the model stopped, e.g. end_turn or max_tokens'),
  latencyMs: z.number().min(0),
});
