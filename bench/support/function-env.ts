/**
 * The environment the benchmarks import a bundled function with: every variable the stack gives a
 * function (ENV, the priority bands' queue URLs), set to placeholders, with credentials and a region
 * so SDK clients build; nothing is called at import. Shared by bench/bundles.ts and
 * bench/observability.ts.
 */
import { ENV, PRIORITY_BANDS } from '../../lambdas/shared/resources.ts';

export const FUNCTION_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  [ENV.tableName]: 'bench',
  [ENV.workspacesTableName]: 'bench-workspaces',
  ...Object.fromEntries(Object.values(PRIORITY_BANDS.queueUrlEnv).map((name) => [name, `https://sqs.us-east-1.amazonaws.com/123456789012/${name.toLowerCase()}`])),
  [ENV.payloadBucket]: 'bench-payloads',
  [ENV.cursorSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench',
  [ENV.bedrockModelId]: 'amazon.nova-lite-v1:0',
  LOG_LEVEL: 'silent',
};
