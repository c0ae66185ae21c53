/** Factories for API Gateway REST proxy events as the Cognito authorizer passes them on. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export interface EventSpec {
  readonly method?: string;
  readonly path?: string;
  readonly resource?: string;
  readonly id?: string;
  readonly query?: Record<string, string>;
  readonly body?: string | null;
  readonly headers?: Record<string, string>;
  /** The caller's `sub`; null for no authorizer claims at all. */
  readonly sub?: string | null;
  readonly stage?: string;
}

export function apiEvent(spec: EventSpec = {}): APIGatewayProxyEvent {
  const path = spec.path ?? (spec.id ? `/api/jobs/${spec.id}` : '/api/jobs');
  const query = spec.query ?? null;
  return {
    httpMethod: spec.method ?? 'GET',
    path,
    resource: spec.resource ?? path,
    pathParameters: spec.id !== undefined ? { id: spec.id } : null,
    queryStringParameters: query,
    multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
    headers: { 'Content-Type': 'application/json', ...spec.headers },
    multiValueHeaders: {},
    body: spec.body ?? null,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      path: `${spec.stage ? `/${spec.stage}` : ''}${path}`,
      httpMethod: spec.method ?? 'GET',
      stage: spec.stage ?? 'prod',
      authorizer: spec.sub === null ? null : { claims: { sub: spec.sub ?? 'user-a', token_use: 'id' } },
    } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

export interface ParsedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly json: any;
}

export function parse(result: APIGatewayProxyResult): ParsedResponse {
  return {
    status: result.statusCode,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    json: result.body ? JSON.parse(result.body) : undefined,
  };
}
