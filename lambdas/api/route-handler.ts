/**
 * Turns route logic into a Lambda handler for API Gateway REST proxy events: request id,
 * caller, CORS, JSON responses and problem+json errors are handled here once for every route.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoJobStore } from '../adapters/dynamo-job-store.ts';
import { HmacCursorCodec } from '../adapters/hmac-cursor-codec.ts';
import { ConfigurationError } from '../domain/errors.ts';
import { JobService } from '../domain/job-service.ts';
import type { PayloadStore } from '../domain/ports.ts';
import type { Logger } from '../domain/job-types.ts';
import { callerId, type TokenCaller } from '../http/request.ts';
import { corsHeaders, problemResult, toResult, type ApiResponse } from '../http/responses.ts';
import { allowedOrigins, lifecycleSettings, requireEnv } from '../shared/config.ts';
import { JsonLogger } from '../shared/logger.ts';
import { ENV } from '../shared/resources.ts';
import { ROUTES, type RouteAccess, type RouteName } from './routes.ts';

export interface ApiDependencies {
  readonly service: JobService;
  readonly logger: JsonLogger;
  readonly origins: readonly string[];
  /**
   * LocalStack deployment only (LOCAL_JWKS set): verifies the bearer token when no authorizer
   * context reached the function, as on LocalStack's free edition, which never runs authorizers.
   */
  readonly verifyToken?: TokenCaller;
}

export interface ApiRequest {
  readonly event: APIGatewayProxyEvent;
  readonly ownerId: string;
  readonly requestId: string;
  readonly logger: Logger;
}

export type RouteLogic = (request: ApiRequest, service: JobService) => Promise<ApiResponse>;

type Env = Record<string, string | undefined>;

/**
 * Whether this build may verify local dev tokens (see `verifyToken`): a compile-time constant the
 * stack defines for route functions (LOCAL_TOKENS_DEFINE). `false` in the AWS variant, whose
 * bundles then leave the verifier (and aws-jwt-verify) out; `true` in the LocalStack variant.
 * Unbundled (tests, `npm run dev`) it is undefined, and LOCAL_JWKS alone decides.
 */
declare const JOBS_LOCAL_TOKENS: boolean | undefined;

/**
 * Builds the service a route needs from the environment; what it needs comes from the route
 * table. The SQS and Secrets Manager clients and the job type schemas (zod) are loaded only by
 * routes that use them, so the other functions do not evaluate them at cold start; the local token
 * verifier only with LOCAL_JWKS.
 */
/** Adapters a route's handler module brings itself, so that only its bundle carries their SDK. */
export interface RouteAdapters {
  /** The payload store (S3) for the bucket in JOBS_BUCKET_NAME: routes with `access.payloads`. */
  readonly payloads?: (bucket: string) => PayloadStore;
}

export async function apiDependencies(access: RouteAccess, env: Env = process.env, adapters: RouteAdapters = {}): Promise<ApiDependencies> {
  if (access.payloads && !adapters.payloads) {
    throw new ConfigurationError('This route reads or writes payloads: its handler must give routeHandler a payload store');
  }
  const tableName = requireEnv(env, ENV.tableName);
  const queueUrl = access.queueSend ? requireEnv(env, ENV.queueUrl) : undefined;
  const secret = access.cursorSecret ? cursorSecretSetting(env) : undefined;
  const logger = new JsonLogger();
  const lifecycle = lifecycleSettings(env);
  const service = new JobService({
    store: new DynamoJobStore({ tableName, lifecycle }),
    types: access.jobTypes ? (await import('../job-types/definitions.ts')).jobTypeCatalog : undefined,
    settings: lifecycle,
    logger,
    queue: queueUrl ? new (await import('../adapters/sqs-job-queue.ts')).SqsJobQueue({ queueUrl }) : undefined,
    // Loads the S3 client only when a payload is read or written.
    payloads: access.payloads && adapters.payloads ? adapters.payloads(requireEnv(env, ENV.payloadBucket)) : undefined,
    cursors: secret ? new HmacCursorCodec(await cursorSecretSource(secret)) : undefined,
  });
  let verifyToken: TokenCaller | undefined;
  // The constant stays inline (in a variable, esbuild could not drop the branch).
  if (typeof JOBS_LOCAL_TOKENS === 'boolean' ? JOBS_LOCAL_TOKENS : true) {
    const jwks = env[ENV.localJwks]?.trim();
    if (jwks) verifyToken = await localTokenCaller(jwks);
  }
  return { service, logger, origins: allowedOrigins(env), ...(verifyToken ? { verifyToken } : {}) };
}

async function localTokenCaller(jwks: string): Promise<TokenCaller> {
  const { bearerToken, localTokenVerifier, parseLocalJwks } = await import('../local-authorizer/local-tokens.ts');
  const verify = localTokenVerifier(parseLocalJwks(jwks));
  return (authorization) => {
    const token = bearerToken(authorization);
    if (!token) throw new Error('No bearer token');
    return verify(token).sub;
  };
}

type SecretSetting = { readonly value: string } | { readonly arn: string };

function cursorSecretSetting(env: Env): SecretSetting {
  const value = env[ENV.cursorSecret]?.trim();
  if (!value) return { arn: requireEnv(env, ENV.cursorSecretArn) };
  if (value.length < 32) throw new ConfigurationError(`${ENV.cursorSecret} must be at least 32 characters`);
  return { value };
}

async function cursorSecretSource(setting: SecretSetting): Promise<string | (() => Promise<string>)> {
  if ('value' in setting) return setting.value;
  const { secretsManagerSecret } = await import('../adapters/secrets-manager-secret.ts');
  return secretsManagerSecret(setting.arn);
}

export function routeAccess(name: RouteName): RouteAccess {
  const route = ROUTES.find((candidate) => candidate.name === name);
  if (!route) throw new Error(`No route named ${name}`);
  return route.access;
}

/**
 * The Lambda handler for a route. Handler modules build their dependencies from the environment
 * with top-level await, so a missing variable fails the cold start, not a request.
 */
export async function routeHandler(name: RouteName, logic: RouteLogic, adapters: RouteAdapters = {}) {
  return createRouteHandler(name, logic, await apiDependencies(routeAccess(name), process.env, adapters));
}

export function createRouteHandler(name: RouteName, logic: RouteLogic, deps: ApiDependencies) {
  const baseLogger = deps.logger.child({ route: name });
  return async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId || context?.awsRequestId || crypto.randomUUID();
    const logger = baseLogger.child({ requestId });
    const cors = corsHeaders(event, deps.origins);
    const started = Date.now();
    try {
      const ownerId = callerId(event, deps.verifyToken);
      const response = await logic({ event, ownerId, requestId, logger }, deps.service);
      logger.info('request', { method: event.httpMethod, status: response.status, durationMs: Date.now() - started });
      return toResult(response, requestId, cors);
    } catch (error) {
      const result = problemResult(error, requestId, cors, logger);
      logger.info('request', { method: event.httpMethod, status: result.statusCode, durationMs: Date.now() - started });
      return result;
    }
  };
}

/** The API's base path before `/api/...` (the stage, e.g. `/prod`, or empty behind a custom domain). */
export function basePath(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path ?? event.path;
  return full && event.path && full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
}
