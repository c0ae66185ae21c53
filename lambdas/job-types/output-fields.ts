/**
 * Pieces of the structured results the model returns (validated with zod, and turned into the
 * tool's JSON Schema). Objects are not strict: keys the model adds are dropped, not retried.
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
