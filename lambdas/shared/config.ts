/**
 * Configuration, read once from the environment and validated at start-up: a missing or
 * malformed variable fails fast with a message that names it.
 */
import { ConfigurationError } from '../domain/errors.ts';
import { QUEUE_MAX_DELAY_SECONDS, type LifecycleSettings } from '../domain/job.ts';
import { parseTypeLimits } from '../domain/job-types.ts';
import { ENV, QUOTAS } from './resources.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function requireEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigurationError(`Missing required environment variable ${name}`);
  return value;
}

export function numberEnv(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigurationError(`Environment variable ${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function lifecycleSettings(env: Env): LifecycleSettings {
  return {
    stalePendingMs: numberEnv(env, ENV.stalePendingSeconds, 300, 1, 86_400) * 1000,
    leaseGraceMs: 60_000,
    retentionMs: numberEnv(env, ENV.retentionDays, 30, 1, 3650) * 86_400_000,
    scheduleHorizonMs: numberEnv(env, ENV.scheduleHorizonSeconds, QUEUE_MAX_DELAY_SECONDS, 1, QUEUE_MAX_DELAY_SECONDS) * 1000,
  };
}

/**
 * The quota of unfinished jobs per caller (MAX_ACTIVE_JOBS_PER_CALLER, default 100) and the
 * per-type limits (MAX_ACTIVE_JOBS_PER_CALLER_BY_TYPE, as resolved by the stack or `npm run dev`:
 * the types were checked there; absent, no type has a limit of its own).
 */
export function quotaSettings(env: Env): {
  readonly maxActiveJobsPerCaller: number;
  readonly maxActiveJobsPerCallerByType: Readonly<Record<string, number>>;
} {
  const max = numberEnv(env, ENV.maxActiveJobsPerCaller, QUOTAS.defaultMaxActiveJobsPerCaller, 1, 100_000);
  if (!Number.isInteger(max)) throw new ConfigurationError(`Environment variable ${ENV.maxActiveJobsPerCaller} must be an integer, got "${max}"`);
  try {
    return { maxActiveJobsPerCaller: max, maxActiveJobsPerCallerByType: parseTypeLimits(env[ENV.maxActiveJobsPerCallerByType]?.trim(), `Environment variable ${ENV.maxActiveJobsPerCallerByType}`) };
  } catch (error) {
    throw new ConfigurationError((error as Error).message);
  }
}

export interface RetrySettings {
  readonly baseDelaySeconds: number;
  readonly maxDelaySeconds: number;
}

export function retrySettings(env: Env): RetrySettings {
  return {
    baseDelaySeconds: numberEnv(env, ENV.retryBaseDelaySeconds, 5, 0, 900),
    maxDelaySeconds: numberEnv(env, ENV.retryMaxDelaySeconds, 300, 0, 900),
  };
}

/** `*` or a comma-separated list of origins allowed to call the API from a browser. */
export function allowedOrigins(env: Env): readonly string[] {
  const raw = env[ENV.allowedOrigins]?.trim() || '*';
  return raw
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}
