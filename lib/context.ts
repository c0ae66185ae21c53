/**
 * What every reader of CDK context shares: how a value is looked up, when it counts as absent, and
 * the error that names the context key of a bad value (lib/config.ts, lib/alarm-config.ts).
 */

/** Reads a context value; `cdk.json` gives typed JSON, `-c key=value` always gives strings. */
export type ContextLookup = (key: string) => unknown;

export class ConfigError extends Error {
  /** `message` replaces the standard one (expected …, got …). */
  constructor(key: string, expected: string, got: unknown, message?: string) {
    super(message ?? `Invalid CDK context "${key}": expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

export const isAbsent = (value: unknown): boolean => value === undefined || value === null || value === '';

/**
 * A number from context (`-c key=12` gives the string "12"): `fallback` when absent, a ConfigError
 * naming the key when it is not a number from `min` to `max` (an integer when `integer`).
 */
export function readNumber(lookup: ContextLookup, key: string, bounds: { min: number; max: number; fallback: number; integer?: boolean }): number {
  const { min, max, fallback, integer } = bounds;
  const value = lookup(key);
  if (isAbsent(value)) return fallback;
  const parsed = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  const valid = typeof parsed === 'number' && Number.isFinite(parsed) && parsed >= min && parsed <= max && (!integer || Number.isInteger(parsed));
  if (!valid) throw new ConfigError(key, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
  return parsed;
}
