/**
 * Pieces of the structured results the model returns, for a type's result.ts: compiled into the
 * tool's JSON Schema, against which the worker checks the reply (compile.ts, json-check.ts).
 * Objects are not strict: keys the model adds are dropped, not retried.
 */
import * as z from 'zod';

export const LEVELS = ['low', 'medium', 'high'] as const;
export type Level = (typeof LEVELS)[number];

export function level(description: string) {
  return z.enum(LEVELS).describe(description);
}

/** A trimmed, non-empty string of at most `maxChars`. */
export function outputText(maxChars: number, description: string) {
  return z.string().trim().min(1).max(maxChars).describe(description);
}

/** A list of at most `max` items, described for the model. */
export function outputList<Item extends z.ZodType>(item: Item, max: number, description: string) {
  return z.array(item).max(max).describe(description);
}
