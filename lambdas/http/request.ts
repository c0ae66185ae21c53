/** Reading API Gateway REST proxy events: caller, path id, query and JSON body. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { IDEMPOTENCY } from '../domain/fingerprints.ts';
import { isUuid } from '../shared/messages.ts';
import { ALL_JOB_SCOPES, principalFromAuthorizer, principalFromClaims, type Principal } from './principal.ts';
import { HttpError } from './problem.ts';

/** Largest JSON body accepted by POST /api/jobs (256 KB). */
export const MAX_BODY_BYTES = 256 * 1024;

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * Verifies the request's Authorization header itself and returns the caller, or throws.
 * Only for where no authorizer runs in front of the function: LocalStack's free edition creates
 * the stack's Lambda authorizer but never invokes it.
 */
export type TokenCaller = (authorization: string | undefined) => Principal;

/**
 * The caller: the principal the Lambda authorizer put in its context (`requestContext.authorizer`:
 * `principalId`, `principalKind`, `scopes`), or the one the claims of a Cognito-style authorizer
 * name (`requestContext.authorizer.claims`: the local gateway), or a context with only a `sub` (a
 * person). Without any, `verifyToken` (when given) verifies the Authorization header; otherwise 401.
 */
export function callerPrincipal(event: APIGatewayProxyEvent, verifyToken?: TokenCaller): Principal {
  const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const claims = authorizer?.claims as Record<string, unknown> | null | undefined;
  const legacySub = typeof authorizer?.sub === 'string' && authorizer.sub !== '' ? authorizer.sub : undefined;
  const principal =
    (claims ? principalFromClaims(claims) : undefined) ??
    (authorizer ? principalFromAuthorizer(authorizer) : undefined) ??
    (legacySub ? { id: legacySub, kind: 'user' as const, scopes: ALL_JOB_SCOPES } : undefined) ??
    (verifyToken ? verifiedPrincipal(event, verifyToken) : undefined);
  if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'A valid bearer token is required');
  return principal;
}

/** The caller's id (a person's `sub`, a machine client's app client id); see callerPrincipal. */
export function callerId(event: APIGatewayProxyEvent, verifyToken?: TokenCaller): string {
  return callerPrincipal(event, verifyToken).id;
}

function verifiedPrincipal(event: APIGatewayProxyEvent, verifyToken: TokenCaller): Principal | undefined {
  try {
    return verifyToken(header(event, 'authorization'));
  } catch {
    return undefined;
  }
}

/** The `Idempotency-Key` header, if sent: 400 unless 1 to 255 visible ASCII characters. */
export function idempotencyKey(event: APIGatewayProxyEvent): string | undefined {
  const key = header(event, IDEMPOTENCY.header);
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY.keyPattern.test(key)) {
    throw new HttpError(
      400,
      'INVALID_IDEMPOTENCY_KEY',
      `The ${IDEMPOTENCY.header} header must be 1 to ${IDEMPOTENCY.maxKeyChars} visible ASCII characters (no spaces), e.g. a UUID`,
    );
  }
  return key;
}

/** The `{id}` path parameter, which must be a UUID. */
export function jobIdParameter(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.id ?? '';
  if (!isUuid(id)) {
    throw new HttpError(400, 'INVALID_JOB_ID', `The job id must be a UUID, got "${id.slice(0, 64)}"`);
  }
  return id.toLowerCase();
}

/** Single-valued query parameters; unknown or repeated parameters are refused. */
export function queryParameters<K extends string>(
  event: APIGatewayProxyEvent,
  allowed: readonly K[],
  repeatable: readonly K[] = [],
): Partial<Record<K, string>> {
  const result: Partial<Record<K, string>> = {};
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (!(allowed as readonly string[]).includes(key)) {
      throw new HttpError(400, 'INVALID_QUERY', `Unknown query parameter "${key}"; allowed: ${allowed.join(', ')}`);
    }
    if ((repeatable as readonly string[]).includes(key)) continue;
    // Own properties only: a parameter named `constructor` must not find Object's.
    if ((Object.hasOwn(multi, key) ? (multi[key]?.length ?? 1) : 1) > 1) {
      throw new HttpError(400, 'INVALID_QUERY', `Query parameter "${key}" is given more than once`);
    }
    if (value !== undefined) result[key as K] = value;
  }
  return result;
}

/** Every value of a repeatable query parameter (`?priority=high&priority=urgent`), in order; [] when absent. */
export function queryValues(event: APIGatewayProxyEvent, key: string): string[] {
  const multi = event.multiValueQueryStringParameters ?? {};
  if (Object.hasOwn(multi, key)) return [...(multi[key] ?? [])];
  const single = event.queryStringParameters ?? {};
  return Object.hasOwn(single, key) && single[key] !== undefined ? [single[key]!] : [];
}

/** The body parsed as JSON: 415 for a non-JSON content type, 413 over 256 KB, 400 when malformed. */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  const contentType = header(event, 'content-type');
  if (contentType && !/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send the body as application/json, not ${contentType.slice(0, 100)}`);
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The body is ${bytes.length} bytes; the limit is ${MAX_BODY_BYTES}`, {
      limitBytes: MAX_BODY_BYTES,
    });
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'INVALID_JSON', 'The request body is empty; send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'not JSON';
    throw new HttpError(400, 'INVALID_JSON', `The request body is not valid JSON: ${reason.slice(0, 200)}`);
  }
}
