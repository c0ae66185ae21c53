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
  /**
   * Context `retainData`: keep table, user pool and logs when the stack is deleted. Default true,
   * but false with `localstack` (LocalStack's resources are throw-away).
   */
  readonly retainData: boolean;
  /** Context `workerMaxConcurrency`: SQS event source maximum concurrency. Default WORKER.maxConcurrency. */
  readonly workerMaxConcurrency: number;
  /**
   * Context `localstack`: build the variant `npm run deploy:local` deploys to LocalStack, whose
   * free edition has no Cognito: no user pool, and a Lambda authorizer that trusts the local dev
   * tokens (`npm run token`) instead. Never deploy it to AWS. Default false.
   */
  readonly localstack: boolean;
  /**
   * Context `bedrockEndpoint`: an http(s) URL the worker sends its Bedrock Runtime calls to (e.g. a
   * Bedrock stand-in reachable from LocalStack's Lambda containers), with one HTTP attempt per
   * model call. Default: none (the SDK's endpoint).
   */
  readonly bedrockEndpoint?: string;
}

export const CONFIG_DEFAULTS = {
  allowedOrigins: ['*'],
  bedrockModelId: 'amazon.nova-lite-v1:0',
  jobRetentionDays: 30,
  retainData: true,
  workerMaxConcurrency: WORKER.maxConcurrency,
  localstack: false,
} as const satisfies Omit<JobsConfig, 'existingUserPool' | 'bedrockEndpoint'>;

export class ConfigError extends Error {
  constructor(key: string, expected: string, got: unknown) {
    super(`Invalid CDK context "${key}": expected ${expected}, got ${JSON.stringify(got)}`);
    this.name = 'ConfigError';
  }
}

/** Reads a context value; `cdk.json` gives typed JSON, `-c key=value` always gives strings. */
export type ContextLookup = (key: string) => unknown;

export function readConfig(lookup: ContextLookup): JobsConfig {
  const localstack = readBoolean(lookup, 'localstack', CONFIG_DEFAULTS.localstack);
  const existingUserPool = readUserPool(lookup);
  if (localstack && existingUserPool) {
    throw new ConfigError('userPoolId', 'no user pool with "localstack" (LocalStack\'s free edition has no Cognito)', existingUserPool.userPoolId);
  }
  const bedrockEndpoint = readEndpoint(lookup('bedrockEndpoint'));
  return {
    ...(existingUserPool ? { existingUserPool } : {}),
    allowedOrigins: readOrigins(lookup('allowedOrigins')),
    bedrockModelId: readModelId(lookup('bedrockModelId')),
    jobRetentionDays: readInteger(lookup, 'jobRetentionDays', 1, 3650, CONFIG_DEFAULTS.jobRetentionDays),
    retainData: readBoolean(lookup, 'retainData', localstack ? false : CONFIG_DEFAULTS.retainData),
    // 2..1000 is what Lambda accepts for an SQS event source's maximum concurrency.
    workerMaxConcurrency: readInteger(lookup, 'workerMaxConcurrency', 2, 1000, CONFIG_DEFAULTS.workerMaxConcurrency),
    localstack,
    ...(bedrockEndpoint ? { bedrockEndpoint } : {}),
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

/** An http(s) URL without credentials, query or fragment, e.g. `http://host.docker.internal:4567`. */
function readEndpoint(value: unknown): string | undefined {
  if (isAbsent(value)) return undefined;
  const expected = 'an http(s) URL like "http://host.docker.internal:4567" (no credentials, query or fragment)';
  if (typeof value !== 'string' || !URL.canParse(value.trim())) throw new ConfigError('bedrockEndpoint', expected, value);
  const url = new URL(value.trim());
  const plain = url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !/[?#]/.test(value);
  if (!(url.protocol === 'http:' || url.protocol === 'https:') || !plain) throw new ConfigError('bedrockEndpoint', expected, value);
  return value.trim();
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
