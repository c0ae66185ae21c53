/**
 * Machine clients at the route functions: the principal (a person's ID token or a machine client's
 * client-credentials access token), the scope each route requires, and the authorization matrix —
 * every route × {person, client with jobs/read, jobs/write, both, no scope, no token} — as the
 * local gateway (Cognito-style claims), the API's Lambda authorizer (its context) and the LocalStack
 * functions (their own verification) hand the caller over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRouteHandler, type ApiRequest } from '../../../lambdas/api/http-adapter.ts';
import { localStackTokenCaller } from '../../../lambdas/api/localstack-tokens.ts';
import { ROUTES, routeScope } from '../../../lambdas/api/routes.ts';
import { ALL_JOB_SCOPES, principalFromClaims, requiredScope, type Principal } from '../../../lambdas/http/principal.ts';
import { callerPrincipal } from '../../../lambdas/http/request.ts';
import { ENV } from '../../../lambdas/shared/resources.ts';
import { FunctionLogger } from '../../../lambdas/shared/logger.ts';
import { issueClientAccessToken, issueIdToken, loadOrCreateSigningKey, localClientId, localSub, LOCAL_CLIENT_ID, type SigningKey } from '../../../lib/local/tokens.ts';
import { apiEvent } from '../../support/api-events.ts';
import { CALLERS, CLIENT_SCOPES, expectedStatus, READ_ROUTES, type Caller } from '../../support/authorization-matrix.ts';

const logger = FunctionLogger.create({ level: 'silent' });
const CLIENT = 'c0ffee0000client0000000000';

const withAuthorizer = (authorizer: Record<string, unknown> | null): APIGatewayProxyEvent => {
  const event = apiEvent({ method: 'GET', path: '/api/jobs', sub: null });
  return { ...event, requestContext: { ...event.requestContext, authorizer } };
};

/** The caller as the local gateway hands it over: the verified token's claims. */
function claimsEvent(caller: Caller): APIGatewayProxyEvent {
  if (caller === 'anonymous') return withAuthorizer(null);
  if (caller === 'person') return withAuthorizer({ claims: { sub: 'person-sub', token_use: 'id', aud: 'people-client' } });
  return withAuthorizer({ claims: { sub: CLIENT, client_id: CLIENT, token_use: 'access', scope: CLIENT_SCOPES[caller] } });
}

/** The caller as the API's Lambda authorizer hands it over: `principalId` and its context. */
function contextEvent(caller: Caller): APIGatewayProxyEvent {
  if (caller === 'anonymous') return withAuthorizer(null);
  if (caller === 'person') return withAuthorizer({ principalId: 'person-sub', principalKind: 'user', scopes: 'jobs/read jobs/write', sub: 'person-sub' });
  return withAuthorizer({ principalId: CLIENT, principalKind: 'client', scopes: CLIENT_SCOPES[caller] });
}

const MATRIX = CALLERS.flatMap((caller) => ROUTES.map((route) => [caller, route.name, expectedStatus(caller, route.name, 200)] as const));

describe.each([
  ['claims (local gateway)', claimsEvent],
  ['Lambda authorizer context', contextEvent],
])('the authorization matrix, caller from %s', (_how, eventOf) => {
  it.each(MATRIX)('%s calling %s gets %i', async (caller, route, status) => {
    const logic = vi.fn(async (request: ApiRequest) => ({ status: 200, body: { ownerId: request.ownerId, kind: request.principal.kind } }));
    const handler = createRouteHandler(route, logic, { useCase: undefined, scope: routeScope(route), logger, origins: ['*'] });
    const result = await handler(eventOf(caller));
    const body = JSON.parse(result.body);
    expect(result.statusCode, result.body).toBe(status);
    if (status === 200) {
      expect(body).toEqual(caller === 'person' ? { ownerId: 'person-sub', kind: 'user' } : { ownerId: CLIENT, kind: 'client' });
      return;
    }
    // Refused before any work: the route's logic never runs.
    expect(logic).not.toHaveBeenCalled();
    expect(result.headers?.['Content-Type']).toBe('application/problem+json');
    if (status === 401) expect(body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    else expect(body).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPE', requiredScope: routeScope(route), title: 'Insufficient scope' });
  });
});

describe('the scope a route requires', () => {
  it('reads for GET and HEAD, writes for every other method, unless the route says otherwise', () => {
    expect(requiredScope({ method: 'GET' })).toBe('jobs/read');
    expect(requiredScope({ method: 'HEAD' })).toBe('jobs/read');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(requiredScope({ method })).toBe('jobs/write');
    expect(requiredScope({ method: 'POST', scope: 'read' })).toBe('jobs/read');
    expect(requiredScope({ method: 'GET', scope: 'write' })).toBe('jobs/write');
  });

  it('gives every route of the table one of the two job scopes: read for the reads, write for the changes', () => {
    for (const route of ROUTES) expect(routeScope(route.name)).toBe(READ_ROUTES.has(route.name) ? 'jobs/read' : 'jobs/write');
  });
});

describe('the principal a token names', () => {
  it('is the sub of an ID token: a person, who may do everything', () => {
    expect(principalFromClaims({ sub: 'u-1', token_use: 'id' })).toEqual({ id: 'u-1', kind: 'user', scopes: ALL_JOB_SCOPES });
  });

  it('is the app client id of a client-credentials access token, with its scopes', () => {
    expect(principalFromClaims({ sub: CLIENT, client_id: CLIENT, token_use: 'access', scope: 'jobs/write  jobs/read jobs/write' })).toEqual({
      id: CLIENT,
      kind: 'client',
      scopes: ['jobs/write', 'jobs/read'],
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ["a person's access token (sub is the user)", { sub: 'u-1', client_id: CLIENT, token_use: 'access', username: 'alice', scope: 'jobs/read' }],
    ['an access token naming a user', { sub: CLIENT, client_id: CLIENT, token_use: 'access', username: 'alice' }],
    ['an access token without client_id', { sub: CLIENT, token_use: 'access', scope: 'jobs/read' }],
    ['a token of no known use', { sub: 'u-1', token_use: 'refresh' }],
    ['a token without sub', { token_use: 'id' }],
  ])('is nobody for %s', (_name, claims) => {
    expect(principalFromClaims(claims)).toBeUndefined();
  });

  it('is nobody (401) for a Lambda authorizer context of an unknown kind', () => {
    expect(() => callerPrincipal(withAuthorizer({ principalId: CLIENT, principalKind: 'robot', scopes: 'jobs/read' }))).toThrow(
      expect.objectContaining({ status: 401, code: 'UNAUTHENTICATED' }),
    );
  });

  it("ignores scopes a Lambda authorizer context gives a person: people may do everything, as before", () => {
    const principal: Principal = callerPrincipal(withAuthorizer({ principalId: 'u-1', principalKind: 'user', scopes: '' }));
    expect(principal).toEqual({ id: 'u-1', kind: 'user', scopes: ALL_JOB_SCOPES });
  });
});

describe('machine clients on LocalStack (LOCAL_JWKS set, the function verifies the token)', () => {
  let dir: string;
  let key: SigningKey;
  let verify: Awaited<ReturnType<typeof localStackTokenCaller>>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'machine-clients-'));
    key = loadOrCreateSigningKey(join(dir, 'keys'));
    verify = await localStackTokenCaller({ [ENV.localJwks]: JSON.stringify(key.jwks) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const headerEvent = (token: string) => apiEvent({ method: 'POST', path: '/api/jobs', sub: null, headers: { Authorization: `Bearer ${token}` } });

  it("names the client and its scopes from a local client's access token, and a person from an ID token", () => {
    expect(callerPrincipal(headerEvent(issueClientAccessToken(key, 'billing', ['jobs/read'])), verify)).toEqual({
      id: localClientId('billing'),
      kind: 'client',
      scopes: ['jobs/read'],
    });
    expect(callerPrincipal(headerEvent(issueIdToken(key, 'alice')), verify)).toMatchObject({ id: localSub('alice'), kind: 'user' });
  });

  it("refuses a person's access token and an expired client token with 401", () => {
    const personAccess = issueIdToken(key, 'alice', { overrides: { token_use: 'access', client_id: LOCAL_CLIENT_ID, username: 'alice', aud: undefined } });
    const expired = issueClientAccessToken(key, 'billing', ['jobs/read'], { now: new Date(Date.now() - 7_200_000) });
    for (const token of [personAccess, expired]) {
      expect(() => callerPrincipal(headerEvent(token), verify)).toThrow(expect.objectContaining({ status: 401 }));
    }
  });

  it('answers 403 INSUFFICIENT_SCOPE to a jobs/read client creating a job', async () => {
    const logic = vi.fn(async () => ({ status: 202, body: {} }));
    const handler = createRouteHandler('create-job', logic, { useCase: undefined, scope: routeScope('create-job'), logger, origins: ['*'], ...(verify ? { verifyToken: verify } : {}) });
    const result = await handler(headerEvent(issueClientAccessToken(key, 'billing', ['jobs/read'])));
    expect(result.statusCode).toBe(403);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'INSUFFICIENT_SCOPE', requiredScope: 'jobs/write' });
    expect(logic).not.toHaveBeenCalled();
  });
});

describe('local client tokens', () => {
  it('derive a Cognito-like client id from the name: the same name, the same client', () => {
    expect(localClientId('billing')).toMatch(/^[a-z0-9]{26}$/);
    expect(localClientId('billing')).toBe(localClientId('billing'));
    expect(localClientId('billing')).not.toBe(localClientId('reports'));
  });

  it('refuse scopes the resource server does not have', () => {
    const key = { kid: 'k' } as SigningKey;
    expect(() => issueClientAccessToken(key, 'billing', ['jobs/admin'])).toThrow(/Unknown scope jobs\/admin/);
  });
});
