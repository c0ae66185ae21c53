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
