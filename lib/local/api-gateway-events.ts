/**
 * API Gateway REST proxy events, as a Lambda proxy integration behind the Cognito user-pool
 * authorizer receives them: the one builder the local gateway and the tests both use.
 *
 * - `resource` is the route template; `path` is the path as sent (still percent-encoded);
 *   `requestContext.path` is the base path (`/<stage>` on the execute-api host, empty behind a
 *   custom domain and locally) followed by the path.
 * - Single-value headers and query parameters keep the last value; names are the client's, and a
 *   name like `__proto__` is a name like any other (own properties only, as JSON.parse gives them
 *   in AWS).
 * - API Gateway appends the caller to `X-Forwarded-For` and sets `X-Forwarded-Port` and
 *   `X-Forwarded-Proto` itself.
 * - The body is base64 (`isBase64Encoded`) only when it is not text: a binary content type or
 *   bytes that are not UTF-8.
 * - Claims are strings (`claimsAsStrings`); without claims (no authorizer) `requestContext.authorizer`
 *   is null.
 */
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** A request's headers as API Gateway passes them. */
export interface RequestHeaders {
  /** Last value per name, names as first sent. */
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

/** What a proxy event is built from. */
export interface ProxyRequest {
  readonly method: string;
  /** The path as sent, without a stage, still percent-encoded. */
  readonly path: string;
  /** The resource (route template) that matched, e.g. `/api/jobs/{id}`. */
  readonly resource: string;
  /** Decoded path parameters; null when the resource has none. */
  readonly pathParameters: Readonly<Record<string, string>> | null;
  readonly headers: RequestHeaders;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** The authorizer's claims, as strings; null where no authorizer ran. */
  readonly claims: Record<string, string> | null;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly stage: string;
  /** What stands before the path in `requestContext.path`: `/<stage>`, or empty behind a custom domain. */
  readonly basePath: string;
  readonly sourceIp: string;
  /** The port the request came in on: `X-Forwarded-Port`, and the domain name without a Host header. */
  readonly port: number | undefined;
  /** `1.1`, as Node's `IncomingMessage.httpVersion`. */
  readonly httpVersion: string;
}

/** Headers from name/value pairs in the order sent (Node's `rawHeaders` layout: name, value, name, value, …). */
export function collectHeaders(rawHeaders: readonly string[]): RequestHeaders {
  // Names are the client's: collect them in Maps, so that `__proto__` or `constructor` are names
  // like any other, and build the objects with own properties only (as JSON.parse would in AWS).
  const names = new Map<string, string>(); // lower-case → as first sent
  const values = new Map<string, string[]>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const sent = rawHeaders[index]!;
    const value = rawHeaders[index + 1]!;
    const name = names.get(sent.toLowerCase()) ?? sent;
    names.set(sent.toLowerCase(), name);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return {
    single: Object.fromEntries([...values].map(([name, list]) => [name, list[list.length - 1]!])),
    multi: Object.fromEntries(values),
  };
}

/** A header's value, whatever the case of its name. */
export function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

export function proxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  const { method, path, requestId, sourceIp, stage } = request;
  const headers = { ...request.headers.single };
  const multiValueHeaders = Object.fromEntries(Object.entries(request.headers.multi).map(([k, v]) => [k, [...v]]));
  // API Gateway appends the caller to X-Forwarded-For and sets the port and protocol it served.
  const forwarded: Record<string, string> = {
    'X-Forwarded-For': [headerValue(headers, 'x-forwarded-for'), sourceIp].filter(Boolean).join(', '),
    'X-Forwarded-Port': String(request.port ?? ''),
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key];
    for (const key of Object.keys(multiValueHeaders)) if (key.toLowerCase() === name.toLowerCase()) delete multiValueHeaders[key];
    headers[name] = value;
    multiValueHeaders[name] = [value];
  }
  const { single: query, multi: multiQuery } = parseQuery(request.query);
  const { body, isBase64Encoded } = encodeBody(request.body, headerValue(headers, 'content-type'));
  const resourcePath = request.resource;
  return {
    resource: resourcePath,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: request.pathParameters ? { ...request.pathParameters } : null,
    stageVariables: null,
    body,
    isBase64Encoded,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: request.claims === null ? null : { claims: request.claims },
      domainName: headerValue(headers, 'host') ?? `127.0.0.1:${request.port ?? ''}`,
      domainPrefix: 'local',
      extendedRequestId: requestId,
      httpMethod: method,
      identity: callerIdentity(sourceIp, headerValue(headers, 'user-agent') ?? null),
      path: `${request.basePath}${path}`,
      protocol: `HTTP/${request.httpVersion}`,
      requestId,
      requestTime: clfDate(request.requestTimeEpoch),
      requestTimeEpoch: request.requestTimeEpoch,
      resourceId: 'local',
      resourcePath,
      stage,
    },
  };
}

/** `requestContext.identity` of a request authorized by a user-pool token (no IAM caller). */
export function callerIdentity(sourceIp: string, userAgent: string | null): APIGatewayProxyEvent['requestContext']['identity'] {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}

/** Content types whose bodies API Gateway hands over as text. */
const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml))\b)/i;

function encodeBody(body: Buffer, contentType: string | undefined): { body: string | null; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: null, isBase64Encoded: false };
  const textual = contentType === undefined || TEXT_TYPE.test(contentType.trim());
  if (textual && isUtf8(body)) return { body: body.toString('utf8'), isBase64Encoded: false };
  return { body: body.toString('base64'), isBase64Encoded: true };
}

/** Query parameters decoded; the single-value map keeps the last value, as API Gateway REST. */
function parseQuery(params: URLSearchParams): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const values = new Map<string, string[]>();
  for (const [key, value] of params) values.set(key, [...(values.get(key) ?? []), value]);
  if (values.size === 0) return { single: null, multi: null };
  return {
    single: Object.fromEntries([...values].map(([key, list]) => [key, list[list.length - 1]!])),
    multi: Object.fromEntries(values),
  };
}

/**
 * Claims as API Gateway's Cognito authorizer passes them to a REST proxy integration: every value
 * a string; `exp` and `iat` as `Wed May 01 13:10:22 UTC 2024`; other numbers and booleans as
 * text (`"1714565422"`, `"true"`); arrays comma-joined (`cognito:groups`: `"a,b"`); objects as JSON.
 */
export function claimsAsStrings(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  const claims: [string, string][] = [];
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if ((name === 'exp' || name === 'iat') && typeof value === 'number') claims.push([name, javaDate(value)]);
    else if (typeof value === 'string') claims.push([name, value]);
    else if (typeof value === 'number' || typeof value === 'boolean') claims.push([name, String(value)]);
    else if (Array.isArray(value)) claims.push([name, value.map(String).join(',')]);
    else claims.push([name, JSON.stringify(value)]);
  }
  // Own properties only, whatever the names (a claim named `__proto__` stays a claim).
  return Object.fromEntries(claims);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number) => String(value).padStart(2, '0');
const utcTime = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** Epoch seconds as Java's `Date.toString()` in UTC. */
function javaDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${utcTime(d)} UTC ${d.getUTCFullYear()}`;
}

/** `22/Nov/2026:09:53:28 +0000`, as `requestContext.requestTime`. */
function clfDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${utcTime(d)} +0000`;
}
