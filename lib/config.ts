/**
 * Stack configuration, read once from CDK context (`cdk.json` or `cdk synth -c key=value`) and
 * validated up front: a bad value fails synthesis with a message naming the context key.
 */
import { typeQuotaLimits } from '../lambdas/domain/job-types.ts';
import { JOB_TYPE_DEFINITIONS, MODEL_SETTINGS_SPECS } from '../lambdas/job-types/definitions.ts';
import { MODEL_ID, MODEL_SETTINGS_BOUNDS } from '../lambdas/job-types/model-settings.ts';
import { ALL_JOB_SCOPES } from '../lambdas/http/principal.ts';
import { MAX_WORKER_CONCURRENCY, MIN_WORKER_CONCURRENCY, QUOTAS, WORKER } from '../lambdas/shared/resources.ts';
import { readAlarmConfig, type AlarmConfig } from './alarm-config.ts';
import { ConfigError, isAbsent, readNumber, type ContextLookup } from './context.ts';

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
  /**
   * Context `bedrockModelId` or `bedrock.modelId` (equal if both are given): the worker's default
   * model. Default `amazon.nova-lite-v1:0`.
   */
  readonly bedrockModelId: string;
  /**
   * Context `bedrock` apart from its `modelId`: Bedrock Region and model settings, per job type
   * where given. Absent when none is set (the worker then uses its own defaults).
   */
  readonly bedrock?: BedrockSettings;
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
   * Context `maxActiveJobsPerCaller`: unfinished (PENDING or PROCESSING) jobs a caller may have at
   * once; beyond, creates and retries answer 429 TOO_MANY_JOBS. Default 100.
   */
  readonly maxActiveJobsPerCaller: number;
  /**
   * Unfinished jobs of a type a caller may have at once, by type: the types' own limits
   * (maxActivePerCaller) with context `maxActiveJobsPerCallerByType` (`{"PARSE_DOCUMENT": 10}`, an
   * object or its JSON text, registered types only) over them. Default: the types' own.
   */
  readonly maxActiveJobsPerCallerByType: Readonly<Record<string, number>>;
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
  /**
   * Context `machineClients`: app clients the stack creates for services, by name, each with the
   * scopes it may ask for (`{"billing": ["jobs/read", "jobs/write"], "reports": ["jobs/read"]}`, an
   * object or its JSON text). Each gets a secret and the client-credentials grant. Default: none
   * (the resource server and its scopes exist anyway, for clients the team creates itself).
   */
  readonly machineClients: Readonly<Record<string, readonly string[]>>;
  /**
   * Context `authDomainPrefix`: the Cognito domain prefix of the token endpoint
   * (`https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`). Default: `jobs-<account>-<region>`
   * when the stack creates the pool; none for an existing pool (it has its own domain).
   */
  readonly authDomainPrefix?: string;
  /**
   * Where alarms notify and when they fire: contexts `alarmEmail` or `alarmTopicArn` and the
   * `alarm…` thresholds (lib/alarm-config.ts, with their defaults).
   */
  readonly alarms: AlarmConfig;
}

/** Model settings of one job type (context `bedrock.types.<TYPE>`). */
export interface BedrockTypeSettings {
  readonly modelId?: string;
  readonly maxTokens?: number;
  readonly temperature?: number;
}

/** Context `bedrock`, validated; only what is set. */
export interface BedrockSettings {
  /** The Region the worker calls Bedrock in (and its IAM policy names). Default: the stack's Region. */
  readonly region?: string;
  /** Max tokens of every type without its own (the worker's BEDROCK_MAX_TOKENS). */
  readonly maxTokens?: number;
  /** Temperature of every type without its own (the worker's BEDROCK_TEMPERATURE). */
  readonly temperature?: number;
  /** Per job type, keyed by registered type name; types with nothing set are left out. */
  readonly types: Readonly<Record<string, BedrockTypeSettings>>;
}

export const CONFIG_DEFAULTS = {
  allowedOrigins: ['*'],
  bedrockModelId: 'amazon.nova-lite-v1:0',
  jobRetentionDays: 30,
  retainData: true,
  workerMaxConcurrency: WORKER.maxConcurrency,
  maxActiveJobsPerCaller: QUOTAS.defaultMaxActiveJobsPerCaller,
  localstack: false,
} as const satisfies Omit<JobsConfig, 'existingUserPool' | 'bedrockEndpoint' | 'maxActiveJobsPerCallerByType' | 'machineClients' | 'authDomainPrefix' | 'alarms'>;

export { ConfigError, type ContextLookup };

export function readConfig(lookup: ContextLookup): JobsConfig {
  const localstack = readBoolean(lookup, 'localstack', CONFIG_DEFAULTS.localstack);
  const existingUserPool = readUserPool(lookup);
  if (localstack && existingUserPool) {
    throw new ConfigError('userPoolId', 'no user pool with "localstack" (LocalStack\'s free edition has no Cognito)', existingUserPool.userPoolId);
  }
  const bedrockEndpoint = readEndpoint(lookup('bedrockEndpoint'));
  const { modelId: bedrockModelId, settings: bedrock } = readBedrock(lookup);
  return {
    ...(existingUserPool ? { existingUserPool } : {}),
    allowedOrigins: readOrigins(lookup('allowedOrigins')),
    bedrockModelId,
    ...(bedrock ? { bedrock } : {}),
    jobRetentionDays: readInteger(lookup, 'jobRetentionDays', 1, 3650, CONFIG_DEFAULTS.jobRetentionDays),
    retainData: readBoolean(lookup, 'retainData', localstack ? false : CONFIG_DEFAULTS.retainData),
    // Lambda accepts 2..1000 per SQS event source; the total is split over the four priority bands
    // (at 2668 the normal band's share is 1000).
    workerMaxConcurrency: readInteger(lookup, 'workerMaxConcurrency', MIN_WORKER_CONCURRENCY, MAX_WORKER_CONCURRENCY, CONFIG_DEFAULTS.workerMaxConcurrency),
    maxActiveJobsPerCaller: readInteger(lookup, 'maxActiveJobsPerCaller', 1, 100_000, CONFIG_DEFAULTS.maxActiveJobsPerCaller),
    maxActiveJobsPerCallerByType: readTypeLimits(lookup('maxActiveJobsPerCallerByType')),
    localstack,
    ...(bedrockEndpoint ? { bedrockEndpoint } : {}),
    ...readMachineAuth(lookup, localstack),
    alarms: readAlarmConfig(lookup),
  };
}

/** Cognito app client names: letters, digits and `_+=,.@-`, 1 to 128 (construct ids too). */
const CLIENT_NAME = /^[\w+=,.@-]{1,128}$/;
/** Cognito domain prefixes: lowercase letters, digits and hyphens, not starting or ending with one. */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MACHINE_CLIENTS_EXAMPLE = '{"billing":["jobs/read","jobs/write"],"reports":["jobs/read"]}';

function readMachineAuth(lookup: ContextLookup, localstack: boolean): Pick<JobsConfig, 'machineClients' | 'authDomainPrefix'> {
  const raw = lookup('machineClients');
  const expected = `an object of client name to scopes (${ALL_JOB_SCOPES.join(', ')}), like ${MACHINE_CLIENTS_EXAMPLE}`;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError('machineClients', expected, raw);
    }
  }
  const machineClients: Record<string, readonly string[]> = {};
  if (!isAbsent(value)) {
    if (!isPlainObject(value)) throw new ConfigError('machineClients', expected, raw);
    for (const [name, scopes] of Object.entries(value)) {
      if (!CLIENT_NAME.test(name)) throw new ConfigError(`machineClients.${name}`, 'a client name of 1 to 128 letters, digits or _+=,.@-', name);
      const valid = Array.isArray(scopes) && scopes.length > 0 && scopes.every((scope) => ALL_JOB_SCOPES.includes(scope as string));
      if (!valid) throw new ConfigError(`machineClients.${name}`, `a non-empty list of scopes among ${ALL_JOB_SCOPES.join(', ')}`, scopes);
      machineClients[name] = [...new Set(scopes as string[])];
    }
  }
  if (localstack && Object.keys(machineClients).length > 0) {
    throw new ConfigError('machineClients', 'none with "localstack" (no Cognito there: `npm run token -- --client <name>` issues client tokens)', raw);
  }
  const authDomainPrefix = readString(lookup, 'authDomainPrefix', DOMAIN_PREFIX, 'a Cognito domain prefix (lowercase letters, digits, hyphens)');
  if (authDomainPrefix && /aws|amazon|cognito/.test(authDomainPrefix)) {
    throw new ConfigError('authDomainPrefix', 'a prefix without "aws", "amazon" or "cognito" (Cognito refuses them)', authDomainPrefix);
  }
  return { machineClients, ...(authDomainPrefix ? { authDomainPrefix } : {}) };
}

function readTypeLimits(value: unknown): Record<string, number> {
  try {
    return typeQuotaLimits(JOB_TYPE_DEFINITIONS, isAbsent(value) ? undefined : value, 'Invalid CDK context "maxActiveJobsPerCallerByType"');
  } catch (error) {
    throw new ConfigError('maxActiveJobsPerCallerByType', '', value, (error as Error).message);
  }
}

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

const MODEL_ID_EXPECTED = 'a Bedrock model or inference profile id like "amazon.nova-lite-v1:0" (no wildcards)';

function readModelId(value: unknown): string {
  if (isAbsent(value)) return CONFIG_DEFAULTS.bedrockModelId;
  return checkModelId('bedrockModelId', value);
}

/**
 * provider.model[:version], optionally behind an inference-profile prefix: the worker's own rule
 * (`us.anthropic.claude-…-v1:0`). No wildcards: the id is placed in IAM resource ARNs.
 */
function checkModelId(key: string, value: unknown): string {
  if (typeof value !== 'string' || !MODEL_ID.test(value)) throw new ConfigError(key, MODEL_ID_EXPECTED, value);
  return value;
}

/** Registered job type names (lambdas/job-types/definitions.ts). */
const JOB_TYPE_NAMES: readonly string[] = JOB_TYPE_DEFINITIONS.map((definition) => definition.name);

/** Types whose worker settings take only a model id (AI_PREVIEW: its max tokens come from the job input). */
const MODEL_ID_ONLY_TYPES: ReadonlySet<string> = new Set(
  Object.entries(MODEL_SETTINGS_SPECS)
    .filter(([, spec]) => spec === 'model-id-only')
    .map(([name]) => name),
);

const BEDROCK_KEYS = ['modelId', 'region', 'maxTokens', 'temperature', 'types'] as const;
const BEDROCK_TYPE_KEYS = ['modelId', 'maxTokens', 'temperature'] as const;
const BEDROCK_EXAMPLE = '{"region":"us-east-1","maxTokens":2048,"types":{"REPORT_GENERATION":{"maxTokens":4096}}}';

/**
 * Context `bedrock`: a JSON object (a string from `-c bedrock='{…}'`, an object from cdk.json) of
 * the default model id, Bedrock Region, max tokens and temperature, with per-type overrides under
 * `types`. Checked like the worker checks its environment, so that a bad value fails synthesis
 * rather than the worker's cold start. Its `modelId` and context `bedrockModelId` are one setting.
 */
function readBedrock(lookup: ContextLookup): { modelId: string; settings?: BedrockSettings } {
  const legacyModelId = readModelId(lookup('bedrockModelId'));
  const raw = lookup('bedrock');
  if (isAbsent(raw)) return { modelId: legacyModelId };

  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ConfigError('bedrock', `a JSON object like ${BEDROCK_EXAMPLE} (${(error as Error).message})`, raw);
    }
  }
  const bedrock = readObject('bedrock', value, BEDROCK_KEYS, `a JSON object like ${BEDROCK_EXAMPLE}`);

  let modelId = legacyModelId;
  if (bedrock.modelId !== undefined) {
    modelId = checkModelId('bedrock.modelId', bedrock.modelId);
    if (!isAbsent(lookup('bedrockModelId')) && modelId !== legacyModelId) {
      throw new ConfigError('bedrock.modelId', `the same model id as context "bedrockModelId" ("${legacyModelId}"), or only one of the two`, modelId);
    }
  }
  const region = bedrock.region === undefined ? undefined : readRegion('bedrock.region', bedrock.region);
  const maxTokens = bedrock.maxTokens === undefined ? undefined : readMaxTokens('bedrock.maxTokens', bedrock.maxTokens);
  const temperature = bedrock.temperature === undefined ? undefined : readTemperature('bedrock.temperature', bedrock.temperature);
  const types = bedrock.types === undefined ? {} : readTypes(bedrock.types);

  if (region === undefined && maxTokens === undefined && temperature === undefined && Object.keys(types).length === 0) {
    return { modelId };
  }
  return {
    modelId,
    settings: {
      ...(region !== undefined ? { region } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
      types,
    },
  };
}

function readTypes(value: unknown): Record<string, BedrockTypeSettings> {
  const expected = `an object keyed by job type (${JOB_TYPE_NAMES.join(', ')})`;
  if (!isPlainObject(value)) throw new ConfigError('bedrock.types', expected, value);
  const types: Record<string, BedrockTypeSettings> = {};
  for (const [name, entry] of Object.entries(value)) {
    const key = `bedrock.types.${name}`;
    if (!JOB_TYPE_NAMES.includes(name)) throw new ConfigError(key, `a registered job type (${JOB_TYPE_NAMES.join(', ')})`, name);
    const settings = readObject(key, entry, BEDROCK_TYPE_KEYS, 'an object with modelId, maxTokens and/or temperature');
    if (MODEL_ID_ONLY_TYPES.has(name)) {
      for (const setting of ['maxTokens', 'temperature'] as const) {
        if (settings[setting] !== undefined) {
          throw new ConfigError(`${key}.${setting}`, `nothing: ${name} takes only modelId (its max tokens come from the job input)`, settings[setting]);
        }
      }
    }
    const modelId = settings.modelId === undefined ? undefined : checkModelId(`${key}.modelId`, settings.modelId);
    const maxTokens = settings.maxTokens === undefined ? undefined : readMaxTokens(`${key}.maxTokens`, settings.maxTokens);
    const temperature = settings.temperature === undefined ? undefined : readTemperature(`${key}.temperature`, settings.temperature);
    if (modelId === undefined && maxTokens === undefined && temperature === undefined) continue;
    types[name] = {
      ...(modelId !== undefined ? { modelId } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
      ...(temperature !== undefined ? { temperature } : {}),
    };
  }
  return types;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A plain object with only `keys` (each optional; null counts as absent). */
function readObject<K extends string>(key: string, value: unknown, keys: readonly K[], expected: string): Partial<Record<K, unknown>> {
  if (!isPlainObject(value)) throw new ConfigError(key, expected, value);
  const result: Partial<Record<K, unknown>> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!(keys as readonly string[]).includes(name)) throw new ConfigError(`${key}.${name}`, `a known key (${keys.join(', ')})`, entry);
    if (entry !== null) result[name as K] = entry;
  }
  return result;
}

function readRegion(key: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(value)) {
    throw new ConfigError(key, 'an AWS Region like "us-east-1"', value);
  }
  return value;
}

function readMaxTokens(key: string, value: unknown): number {
  const { min, max } = MODEL_SETTINGS_BOUNDS.maxTokens;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(key, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function readTemperature(key: string, value: unknown): number {
  const { min, max } = MODEL_SETTINGS_BOUNDS.temperature;
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new ConfigError(key, `a number from ${min} to ${max}`, value);
  }
  return value;
}

function readInteger(lookup: ContextLookup, key: string, min: number, max: number, fallback: number): number {
  return readNumber(lookup, key, { min, max, fallback, integer: true });
}

function readBoolean(lookup: ContextLookup, key: string, fallback: boolean): boolean {
  const value = lookup(key);
  if (isAbsent(value)) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(key, 'true or false', value);
}
