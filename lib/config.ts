/**
 * Stack configuration, read once from CDK context (`cdk.json` or `cdk synth -c key=value`) and
 * validated up front: a bad value fails synthesis with a message naming the context key.
 */
import { WORKER } from '../lambdas/shared/resources.ts';

/** An existing Cognito user pool (and app client) to trust instead of creating one. */
export interface ExistingUserPool {
  readonly userPoolId: string;
  readonly userPoolClientId: string;
}

export interface JobsConfig {
  /** Context `userPoolId` + `userPoolClientId` (both or neither). Default: the stack creates a pool. */
  readonly existingUserPool?: ExistingUserPool;
  /** Context `allowedOrigins`, comma-separated. Default `*` (any origin). */
  readonly allowedOrigins: readonly string[];
  /** Context `bedrockModelId`. Default `amazon.nova-lite-v1:0`. */
  readonly bedrockModelId: string;
  /** Context `jobRetentionDays`: days a finished job is kept before TTL deletes it. Default 30. */
  readonly jobRetentionDays: number;
  /** Context `retainData`: keep table, user pool and logs when the stack is deleted. Default true. */
  readonly retainData: boolean;
  /** Context `workerMaxConcurrency`: SQS event source maximum concurrency. Default WORKER.maxConcurrency. */
  readonly workerMaxConcurrency: number;
}

export const CONFIG_DEFAULTS = {
  allowedOrigins: ['*'],
  bedrockModelId: 'amazon.nova-lite-v1:0',
  jobRetentionDays: 30,
  retainData: true,
  workerMaxConcurrency: WORKER.maxConcurrency,
} as const satisfies Omit<JobsConfig, 'existingUserPool'>;

export class ConfigError extends Error {
  constructor(key: string, expected: string, got: unknown) {
    super(`Invalid CDK context "${key}": expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

/** Reads a context value; `cdk.json` gives typed JSON, `-c key=value` always gives strings. */
export type ContextLookup = (key: string) => unknown;

export function readConfig(lookup: ContextLookup): JobsConfig {
  const existingUserPool = readUserPool(lookup);
  return {
    ...(existingUserPool ? { existingUserPool } : {}),
    allowedOrigins: readOrigins(lookup('allowedOrigins')),
    bedrockModelId: readModelId(lookup('bedrockModelId')),
    jobRetentionDays: readInteger(lookup, 'jobRetentionDays', 1, 3650, CONFIG_DEFAULTS.jobRetentionDays),
    retainData: readBoolean(lookup, 'retainData', CONFIG_DEFAULTS.retainData),
    // 2..1000 is what Lambda accepts for an SQS event source's maximum concurrency.
    workerMaxConcurrency: readInteger(lookup, 'workerMaxConcurrency', 2, 1000, CONFIG_DEFAULTS.workerMaxConcurrency),
  };
}

const isAbsent = (value: unknown): boolean => value === undefined || value === null || value === '';

function readString(lookup: ContextLookup, key: string, pattern: RegExp, expected: string): string | undefined {
  const value = lookup(key);
  if (isAbsent(value)) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) throw new ConfigError(key, expected, value);
  return value;
}

function readUserPool(lookup: ContextLookup): ExistingUserPool | undefined {
  const userPoolId = readString(lookup, 'userPoolId', /^[\w-]+_[0-9a-zA-Z]+$/, 'a user pool id like "eu-west-1_AbC123"');
  const userPoolClientId = readString(lookup, 'userPoolClientId', /^[\w+]{1,128}$/, 'an app client id');
  if (userPoolId && userPoolClientId) return { userPoolId, userPoolClientId };
  if (userPoolId) throw new ConfigError('userPoolClientId', 'an app client id when "userPoolId" is set', undefined);
  if (userPoolClientId) throw new ConfigError('userPoolId', 'a user pool id when "userPoolClientId" is set', undefined);
  return undefined;
}

function readOrigins(value: unknown): readonly string[] {
  if (isAbsent(value)) return CONFIG_DEFAULTS.allowedOrigins;
  const expected = '"*" or comma-separated origins like "https://app.example.com"';
  if (typeof value !== 'string') throw new ConfigError('allowedOrigins', expected, value);
  const origins = value.split(',').map((origin) => origin.trim());
  if (origins.length === 1 && origins[0] === '*') return origins;
  for (const origin of origins) {
    if (!isOrigin(origin)) throw new ConfigError('allowedOrigins', expected, value);
  }
  return origins;
}

/** An origin is scheme://host[:port], with no path, query or trailing slash. */
function isOrigin(candidate: string): boolean {
  if (!URL.canParse(candidate)) return false;
  const url = new URL(candidate);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === candidate;
}

function readModelId(value: unknown): string {
  if (isAbsent(value)) return CONFIG_DEFAULTS.bedrockModelId;
  // provider.model[:version], optionally behind an inference-profile prefix: `us.anthropic.claude-…-v1:0`.
  // No wildcards: the id is placed in IAM resource ARNs.
  if (typeof value !== 'string' || !/^[a-z0-9-]+(\.[a-z0-9-]+)+(:[a-z0-9-]+)*$/.test(value)) {
    throw new ConfigError('bedrockModelId', 'a Bedrock model id like "amazon.nova-lite-v1:0"', value);
  }
  return value;
}

function readInteger(lookup: ContextLookup, key: string, min: number, max: number, fallback: number): number {
  const value = lookup(key);
  if (isAbsent(value)) return fallback;
  const parsed = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(key, `an integer from ${min} to ${max}`, value);
  }
  return parsed;
}

function readBoolean(lookup: ContextLookup, key: string, fallback: boolean): boolean {
  const value = lookup(key);
  if (isAbsent(value)) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(key, 'true or false', value);
}
