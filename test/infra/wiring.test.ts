/**
 * What a function is wired with matches what the stack grants it. The stack gives a function an
 * environment variable naming a resource exactly when it grants access to that resource (checked
 * in route-functions.test.ts and background.test.ts); here each function's real handler module
 * is started with exactly the environment the stack gives it: it must start, and it must fail to
 * start without any one of its resource variables. So a function builds an adapter for every
 * resource it may use and for none it may not.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { BACKGROUND_ENTRIES, ENV, PRIORITY_BANDS } from '../../lambdas/shared/resources.ts';
import { POWERTOOLS_SERVICE_NAME, type JobFunction } from '../../lib/constructs/job-function.ts';
import { logicalId, synthDefaultStack } from './support/synth.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The variables that name a resource a function may use. */
const RESOURCE_VARIABLES: readonly string[] = [ENV.tableName, ENV.workspacesTableName, ...Object.values(PRIORITY_BANDS.queueUrlEnv), ENV.payloadBucket, ENV.cursorSecretArn];
/** What the Lambda runtime itself provides. */
const RUNTIME = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', LOG_LEVEL: 'silent' };

const { stack, template } = synthDefaultStack();
const functions: { name: string; entry: string; fn: JobFunction }[] = [
  ...ROUTES.map((route) => ({ name: route.name, entry: route.entry, fn: stack.api.routeFunctions.get(route.name)! })),
  { name: 'worker', entry: BACKGROUND_ENTRIES.worker, fn: stack.background.worker },
  { name: 'dlq-consumer', entry: BACKGROUND_ENTRIES.dlqConsumer, fn: stack.background.dlqConsumer },
  { name: 'reconciler', entry: BACKGROUND_ENTRIES.reconciler, fn: stack.background.reconciler },
];

/** The function's environment in the template; references to resources become placeholder strings. */
function environmentOf(fn: JobFunction): Record<string, string> {
  const variables = (template.findResources('AWS::Lambda::Function')[logicalId(fn.function)]?.Properties.Environment?.Variables ??
    {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : `resolved-${name.toLowerCase()}`]),
  );
}

const originalEnv = process.env;
afterEach(() => {
  process.env = originalEnv;
});

/** Imports a fresh copy of the handler module with exactly `env` (and the runtime's variables). */
async function start(entry: string, env: Record<string, string>): Promise<unknown> {
  process.env = { ...RUNTIME, ...env };
  vi.resetModules();
  const module = (await import(resolve(PROJECT_ROOT, entry))) as { handler?: unknown };
  return module.handler;
}

describe.each(functions)('the $name function', ({ name, entry, fn }) => {
  const env = environmentOf(fn);
  const resources = RESOURCE_VARIABLES.filter((name) => name in env);

  // GET /api/me answers from the token alone: the one function given no resource.
  it(name === 'get-me' ? 'is given no resource' : 'is given at least one resource', () => {
    expect(resources.length > 0).toBe(name !== 'get-me');
  });

  it("is given the stack's name as its Powertools service (the `service` of its logs and metrics)", () => {
    expect(env[POWERTOOLS_SERVICE_NAME]).toBe(stack.stackName);
  });

  it('starts with exactly the environment the stack gives it', async () => {
    expect(await start(entry, env)).toBeTypeOf('function');
  });

  it.each(resources)('does not start without %s: it uses every resource it is given', async (name) => {
    const { [name]: _, ...without } = env;
    await expect(start(entry, without)).rejects.toThrow(`Missing required environment variable ${name}`);
  });
});
