/**
 * Model settings per job type, read once from the environment at start-up and validated: a bad
 * value fails the worker's cold start with a ConfigurationError naming the variable.
 *
 * For a type `T` (e.g. REPORT_GENERATION), first match wins:
 * - model id:    BEDROCK_MODEL_ID_T,    then BEDROCK_MODEL_ID,    then the adapter's default;
 * - max tokens:  BEDROCK_MAX_TOKENS_T,  then BEDROCK_MAX_TOKENS,  then the type's default (2048 unless it says otherwise);
 * - temperature: BEDROCK_TEMPERATURE_T, then BEDROCK_TEMPERATURE, then the type's default (0.2 unless it says otherwise).
 *
 * A type declared `'model-id-only'` (AI_PREVIEW, whose max tokens come from its input) takes only
 * the model id; setting its max-tokens or temperature variable is an error rather than ignored.
 * A per-type variable naming no job type (a typo) is an error too. Blank values count as unset.
 */
import { ConfigurationError } from '../domain/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const MODEL_SETTINGS_ENV = {
  modelId: 'BEDROCK_MODEL_ID',
  maxTokens: 'BEDROCK_MAX_TOKENS',
  temperature: 'BEDROCK_TEMPERATURE',
} as const;

export const MODEL_SETTINGS_DEFAULTS = { maxTokens: 2048, temperature: 0.2 } as const;

export const MODEL_SETTINGS_BOUNDS = {
  maxTokens: { min: 1, max: 65_536 },
  temperature: { min: 0, max: 1 },
} as const;

/**
 * provider.model[:version], optionally behind an inference-profile prefix
 * (`us.anthropic.claude-…-v1:0`): the form the stack accepts, since the worker's IAM policy
 * names each model.
 */
export const MODEL_ID = /^[a-z0-9-]+(\.[a-z0-9-]+)+(:[a-z0-9-]+)*$/;

export interface ModelSettings {
  /** undefined: the model adapter's default. */
  readonly modelId: string | undefined;
  readonly maxTokens: number;
  readonly temperature: number;
}

/** A type's own defaults, or `'model-id-only'` for a type that takes only its model id from here. */
export type ModelSettingsSpec =
  | { readonly maxTokens?: number; readonly temperature?: number }
  | 'model-id-only';

/** The settings of every type in `specs`, keyed by type name. */
export function readModelSettings<Name extends string>(
  env: Env,
  specs: Readonly<Record<Name, ModelSettingsSpec>>,
): Record<Name, ModelSettings> {
  const names = Object.keys(specs) as Name[];
  rejectUnknownTypes(env, names);

  const global = {
    modelId: modelIdVar(env, MODEL_SETTINGS_ENV.modelId),
    maxTokens: maxTokensVar(env, MODEL_SETTINGS_ENV.maxTokens),
    temperature: temperatureVar(env, MODEL_SETTINGS_ENV.temperature),
  };
  const settings = {} as Record<Name, ModelSettings>;
  for (const name of names) {
    const spec = specs[name];
    const modelId = modelIdVar(env, `${MODEL_SETTINGS_ENV.modelId}_${name}`) ?? global.modelId;
    if (spec === 'model-id-only') {
      for (const base of [MODEL_SETTINGS_ENV.maxTokens, MODEL_SETTINGS_ENV.temperature]) {
        if (present(env, `${base}_${name}`)) {
          throw new ConfigurationError(
            `Environment variable ${base}_${name} is not used: ${name} takes only ${MODEL_SETTINGS_ENV.modelId}_${name}; remove it`,
          );
        }
      }
      settings[name] = { modelId, maxTokens: MODEL_SETTINGS_DEFAULTS.maxTokens, temperature: MODEL_SETTINGS_DEFAULTS.temperature };
      continue;
    }
    settings[name] = {
      modelId,
      maxTokens:
        maxTokensVar(env, `${MODEL_SETTINGS_ENV.maxTokens}_${name}`) ??
        global.maxTokens ??
        spec.maxTokens ??
        MODEL_SETTINGS_DEFAULTS.maxTokens,
      temperature:
        temperatureVar(env, `${MODEL_SETTINGS_ENV.temperature}_${name}`) ??
        global.temperature ??
        spec.temperature ??
        MODEL_SETTINGS_DEFAULTS.temperature,
    };
  }
  return settings;
}

function present(env: Env, name: string): boolean {
  return (env[name]?.trim() ?? '') !== '';
}

function rejectUnknownTypes(env: Env, names: readonly string[]): void {
  const known = new Set(names);
  for (const variable of Object.keys(env)) {
    for (const base of Object.values(MODEL_SETTINGS_ENV)) {
      const prefix = `${base}_`;
      if (!variable.startsWith(prefix) || !present(env, variable)) continue;
      const type = variable.slice(prefix.length);
      if (!known.has(type)) {
        throw new ConfigurationError(
          `Environment variable ${variable} names no job type ("${type}"); per-type settings exist for: ${names.join(', ')}`,
        );
      }
    }
  }
}

function modelIdVar(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!MODEL_ID.test(raw)) {
    throw new ConfigurationError(
      `Environment variable ${name} must be a Bedrock model or inference profile id like "amazon.nova-lite-v1:0", got "${raw.slice(0, 100)}"`,
    );
  }
  return raw;
}

function maxTokensVar(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const { min, max } = MODEL_SETTINGS_BOUNDS.maxTokens;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`Environment variable ${name} must be an integer from ${min} to ${max}, got "${raw.slice(0, 100)}"`);
  }
  return value;
}

function temperatureVar(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const { min, max } = MODEL_SETTINGS_BOUNDS.temperature;
  const value = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new ConfigurationError(`Environment variable ${name} must be a number from ${min} to ${max}, got "${raw.slice(0, 100)}"`);
  }
  return value;
}
