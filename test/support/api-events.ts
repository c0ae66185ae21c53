/**
 * API Gateway REST proxy events for calling a route handler directly, built by the local gateway's
 * builder (lib/local/api-gateway-events.ts) from a short spec, and a way to call a handler with one.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { collectHeaders, proxyEvent } from '../../lib/local/api-gateway-events.ts';

export interface ApiEventSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The request path without the stage, e.g. `/api/jobs/123`. */
  readonly path: string;
  /** The API resource that matched, e.g. `/api/jobs/{id}` (default: the path). */
  readonly resource?: string;
  readonly pathParameters?: Record<string, string>;
  /** Parameters by name, or a query string (`priority=high&priority=urgent`) for repeated ones. */
  readonly query?: Record<string, string> | string;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
  /** The caller's `sub` claim; null for a request without authorizer claims. */
  readonly sub: string | null;
  /**
   * The token's other claims, instead of a person's ID token's (`token_use` `id`): e.g. a machine
   * client's access token, `{ token_use: 'access', client_id, scope }`.
   */
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly headers?: Record<string, string>;
  /**
   * What API Gateway puts before the path in `requestContext.path`: `/<stage>` on the
   * execute-api host (default `/prod`), empty behind a custom domain's base-path mapping.
   */
  readonly basePath?: string;
}

/** A request as API Gateway hands it on behind the Cognito authorizer (or, with `sub: null`, without one). */
export function apiEvent(spec: ApiEventSpec): APIGatewayProxyEvent {
  const basePath = spec.basePath ?? '/prod';
  const body = spec.body === undefined ? null : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: 'Bearer test-id-token',
    Host: 'api.test.invalid',
    'User-Agent': 'integration-test',
    ...(body !== null ? { 'Content-Type': 'application/json' } : {}),
    ...spec.headers,
  };
  return proxyEvent({
    method: spec.method,
    path: spec.path,
    resource: spec.resource ?? spec.path,
    pathParameters: spec.pathParameters ?? null,
    headers: collectHeaders(Object.entries(headers).flat()),
    query: new URLSearchParams(spec.query),
    body: Buffer.from(body ?? '', 'utf8'),
    claims:
      spec.sub === null
        ? null
        : {
            sub: spec.sub,
            ...(spec.claims ?? { token_use: 'id', 'cognito:username': spec.sub }),
            iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_test',
          },
    requestId: randomUUID(),
    requestTimeEpoch: Date.now(),
    stage: basePath.replace(/^\//, '') || 'prod',
    basePath,
    sourceIp: '127.0.0.1',
    port: 443,
    httpVersion: '1.1',
  });
}

export type ApiHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export interface ApiResult {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body; tests read it freely. */
  readonly json: any;
}

/** Calls a route handler as API Gateway would and parses its answer. */
export async function invoke(handler: ApiHandler, event: APIGatewayProxyEvent): Promise<ApiResult> {
  const result = await handler(event);
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  let json: unknown;
  try {
    json = result.body ? JSON.parse(result.body) : undefined;
  } catch {
    throw new Error(`The handler answered ${result.statusCode} with a body that is not JSON: ${result.body.slice(0, 200)}`);
  }
  return { status: result.statusCode, headers, json };
}
