/**
 * Where a route's function is put together: each handler module calls `routeHandler` with its
 * logic and a `wire` function that builds its one use case from the environment, with exactly
 * the adapters its IAM policy (the route table's `access`) allows. Modules build with top-level
 * await, so a missing variable fails the cold start, not a request.
 */
import { asInvocation, invocationHooks, type Flushable } from '../shared/invocation.ts';
import { FunctionLogger } from '../shared/logger.ts';
import { allowedOrigins, type Env } from '../shared/config.ts';
import type { Logger } from '../domain/ports.ts';
import { createRouteHandler, type ApiHandler, type RouteLogic } from './http-adapter.ts';
import { localStackTokenCaller } from './localstack-tokens.ts';
import type { RouteName } from './routes.ts';

/**
 * The route's scope, defined at build time for the stack's route functions (ROUTE_SCOPE_DEFINE),
 * so their bundles leave the route table out; unbundled (tests, `npm run dev`) undefined, and
 * the route table is read.
 */
declare const JOBS_ROUTE_SCOPE: string | undefined;

export interface RouteWiring {
  readonly env: Env;
  readonly logger: Logger;
  /** Registers what is written at the end of every invocation (the function's metrics). */
  afterEach(flushable: Flushable): void;
}

export async function routeHandler<UseCase>(
  name: RouteName,
  logic: RouteLogic<UseCase>,
  wire: (wiring: RouteWiring) => UseCase | Promise<UseCase>,
  env: Env = process.env,
): Promise<ApiHandler> {
  const logger = FunctionLogger.create();
  const flushables: Flushable[] = [];
  const useCase = await wire({ env, logger, afterEach: (flushable) => flushables.push(flushable) });
  const verifyToken = await localStackTokenCaller(env);
  // The constant stays inline, and the import inside the branch: esbuild drops the branch, and the route table with it, only so.
  const scope = typeof JOBS_ROUTE_SCOPE === 'string' ? JOBS_ROUTE_SCOPE : (await import('./routes.ts')).routeScope(name);
  const handle = createRouteHandler(name, logic, { useCase, scope, logger, origins: allowedOrigins(env), ...(verifyToken ? { verifyToken } : {}) });
  const hooks = invocationHooks(logger, flushables);
  return (event, context) => asInvocation(hooks, context, () => handle(event, context));
}
