/**
 * Bedrock for the worker: the IAM statements that let a function call one model (Converse needs
 * bedrock:InvokeModel), and the environment that carries the configured model settings.
 */
import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { MODEL_SETTINGS_SPECS } from '../lambdas/job-types/definitions.ts';
import { MODEL_SETTINGS_ENV, readModelSettings } from '../lambdas/job-types/model-settings.ts';
import { ENV } from '../lambdas/shared/resources.ts';
import type { BedrockSettings } from './config.ts';

/** Geography prefixes of system-defined cross-Region inference profiles (`us.anthropic.…`). */
export const INFERENCE_PROFILE_PREFIXES: readonly string[] = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'];

export interface BedrockModelAccess {
  readonly statements: readonly PolicyStatement[];
  /** For an inference profile: the id of the model behind it, allowed in any Region (`*`). */
  readonly anyRegionModelId?: string;
}

export interface BedrockModelAccessOptions {
  /** The Region the function calls Bedrock in. @default - the stack's Region */
  readonly region?: string;
}

/**
 * A plain model id gets the foundation model in the Bedrock Region (the stack's unless
 * `options.region`). An inference-profile id gets the profile in this account and that Region,
 * plus the foundation model in every Region (the profile routes across Regions; `*` also matches
 * the Region-less ARN of global profiles), the latter only when called through this profile
 * (`bedrock:InferenceProfileArn`).
 */
export function bedrockModelAccess(scope: IConstruct, modelId: string, options: BedrockModelAccessOptions = {}): BedrockModelAccess {
  const stack = Stack.of(scope);
  const inRegion = options.region ? { region: options.region } : {};
  const foundationModel = (id: string, region?: string) =>
    stack.formatArn({ service: 'bedrock', resource: 'foundation-model', resourceName: id, account: '', ...(region ? { region } : {}) });
  const actions = ['bedrock:InvokeModel'];

  const [prefix, ...rest] = modelId.split('.');
  if (!prefix || !INFERENCE_PROFILE_PREFIXES.includes(prefix) || rest.length < 2) {
    return { statements: [new PolicyStatement({ actions, resources: [foundationModel(modelId, options.region)] })] };
  }
  const profileArn = stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: modelId, ...inRegion });
  const anyRegionModelId = rest.join('.');
  return {
    anyRegionModelId,
    statements: [
      new PolicyStatement({ actions, resources: [profileArn] }),
      new PolicyStatement({
        actions,
        resources: [foundationModel(anyRegionModelId, '*')],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      }),
    ],
  };
}

/** Every distinct model id the worker may call: the default one, then the per-type ones. */
export function bedrockModelIds(defaultModelId: string, settings?: BedrockSettings): string[] {
  const perType = Object.values(settings?.types ?? {}).map((type) => type.modelId);
  return [...new Set([defaultModelId, ...perType].filter((id): id is string => id !== undefined))];
}

/**
 * The worker's Bedrock environment (lambdas/job-types/model-settings.ts): BEDROCK_MODEL_ID, the
 * shared BEDROCK_MAX_TOKENS / BEDROCK_TEMPERATURE, their `_<TYPE>` overrides and BEDROCK_REGION,
 * each only when set. Read back with the worker's own reader, so that a value the worker would
 * refuse at its cold start fails synthesis instead.
 */
export function bedrockWorkerEnvironment(defaultModelId: string, settings?: BedrockSettings): Record<string, string> {
  const env: Record<string, string> = { [ENV.bedrockModelId]: defaultModelId };
  const put = (suffix: string, values: { modelId?: string; maxTokens?: number; temperature?: number }) => {
    if (suffix && values.modelId !== undefined) env[`${MODEL_SETTINGS_ENV.modelId}${suffix}`] = values.modelId;
    if (values.maxTokens !== undefined) env[`${MODEL_SETTINGS_ENV.maxTokens}${suffix}`] = String(values.maxTokens);
    if (values.temperature !== undefined) env[`${MODEL_SETTINGS_ENV.temperature}${suffix}`] = decimal(values.temperature);
  };
  if (settings) {
    put('', settings);
    for (const [type, values] of Object.entries(settings.types)) put(`_${type}`, values);
    if (settings.region) env[ENV.bedrockRegion] = settings.region;
  }
  try {
    readModelSettings(env, MODEL_SETTINGS_SPECS);
  } catch (error) {
    throw new Error(`The worker would refuse its Bedrock settings: ${(error as Error).message}`);
  }
  return env;
}

/** A number in plain decimal notation (the worker does not read `1e-7`). */
function decimal(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20).replace(/\.?0+$/, '') : text;
}
