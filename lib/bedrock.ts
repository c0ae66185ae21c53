/**
 * IAM statements that let a function call one Bedrock model (Converse needs bedrock:InvokeModel).
 */
import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/** Geography prefixes of system-defined cross-Region inference profiles (`us.anthropic.…`). */
export const INFERENCE_PROFILE_PREFIXES: readonly string[] = ['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'];

export interface BedrockModelAccess {
  readonly statements: readonly PolicyStatement[];
  /** For an inference profile: the id of the model behind it, allowed in any Region (`*`). */
  readonly anyRegionModelId?: string;
}

/**
 * A plain model id gets the foundation model in this Region. An inference-profile id gets the
 * profile in this account and Region, plus the foundation model in every Region (the profile
 * routes across Regions; `*` also matches the Region-less ARN of global profiles), the latter only
 * when called through this profile (`bedrock:InferenceProfileArn`).
 */
export function bedrockModelAccess(scope: IConstruct, modelId: string): BedrockModelAccess {
  const stack = Stack.of(scope);
  const foundationModel = (id: string, region?: string) =>
    stack.formatArn({ service: 'bedrock', resource: 'foundation-model', resourceName: id, account: '', ...(region ? { region } : {}) });
  const actions = ['bedrock:InvokeModel'];

  const [prefix, ...rest] = modelId.split('.');
  if (!prefix || !INFERENCE_PROFILE_PREFIXES.includes(prefix) || rest.length < 2) {
    return { statements: [new PolicyStatement({ actions, resources: [foundationModel(modelId)] })] };
  }
  const profileArn = stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: modelId });
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
