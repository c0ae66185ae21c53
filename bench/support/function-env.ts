/**
 * The environment the benchmarks import a bundled function with: the variables the stack gives
 * that function (the resources its `use*` grants name: lib/constructs/jobs-api.ts for routes,
 * jobs-background.ts for the others), set to placeholders, with credentials and a region so SDK
 * clients build; nothing is called at import. Shared by bench/bundles.ts and bench/observability.ts.
 */
import type { RouteAccess } from '../../lambdas/api/routes.ts';
import { ENV, PRIORITY_BANDS } from '../../lambdas/shared/resources.ts';

const BASE: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  LOG_LEVEL: 'silent',
};
const RESOURCES = {
  table: { [ENV.tableName]: 'bench' },
  workspaces: { [ENV.workspacesTableName]: 'bench-workspaces' },
  queues: Object.fromEntries(Object.values(PRIORITY_BANDS.queueUrlEnv).map((name) => [name, `https://sqs.us-east-1.amazonaws.com/123456789012/${name.toLowerCase()}`])),
  payloads: { [ENV.payloadBucket]: 'bench-payloads' },
  cursorSecret: { [ENV.cursorSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench' },
  bedrock: { [ENV.bedrockModelId]: 'amazon.nova-lite-v1:0' },
} as const satisfies Record<string, Record<string, string>>;

/** Every variable any function gets (a function that reads more than it is given gets them all). */
export const FUNCTION_ENV: Readonly<Record<string, string>> = Object.assign({}, BASE, ...Object.values(RESOURCES));

/** A route's function's variables, from its access (as jobs-api.ts grants it). */
export function routeEnv(access: RouteAccess): Record<string, string> {
  return {
    ...BASE,
    ...(access.table.length > 0 ? RESOURCES.table : {}),
    ...(access.workspaces && access.workspaces.length > 0 ? RESOURCES.workspaces : {}),
    ...(access.payloads ? RESOURCES.payloads : {}),
    ...(access.queueSend ? RESOURCES.queues : {}),
    ...(access.cursorSecret ? RESOURCES.cursorSecret : {}),
  };
}

/** The background functions' variables (as jobs-background.ts grants them). */
export const BACKGROUND_ENV: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  worker: { ...BASE, ...RESOURCES.table, ...RESOURCES.payloads, ...RESOURCES.queues, ...RESOURCES.bedrock },
  dlqConsumer: { ...BASE, ...RESOURCES.table },
  reconciler: { ...BASE, ...RESOURCES.table, ...RESOURCES.queues },
};
