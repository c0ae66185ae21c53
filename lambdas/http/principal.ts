/**
 * Who calls: a person (a Cognito ID token) or a machine client (an OAuth 2.0 client-credentials
 * access token of a Cognito app client), and the scopes a route needs. No AWS imports: the route
 * functions, the authorizers and the local gateway all read tokens' claims through here.
 */
import { HttpError } from './problem.ts';

/** The resource server's identifier: scopes are `jobs/<name>`. */
export const RESOURCE_SERVER_ID = 'jobs';

/** The scopes a route may require, by what the route does. */
export const JOB_SCOPES = { read: `${RESOURCE_SERVER_ID}/read`, write: `${RESOURCE_SERVER_ID}/write` } as const;
export type RouteScope = keyof typeof JOB_SCOPES;
export const ALL_JOB_SCOPES: readonly string[] = Object.values(JOB_SCOPES);

export type PrincipalKind = 'user' | 'client';

export interface Principal {
  /** The owner of the caller's personal jobs: a user's `sub`, a machine client's app client id. */
  readonly id: string;
  readonly kind: PrincipalKind;
  /**
   * What the caller may do. A person (ID token) may do everything the API offers, as before
   * scopes existed; a machine client only what its access token's `scope` claim grants.
   */
  readonly scopes: readonly string[];
}

/** The scope a route requires: its own, else by method (GET and HEAD read, everything else writes). */
export function requiredScope(route: { readonly method: string; readonly scope?: RouteScope }): string {
  return JOB_SCOPES[route.scope ?? (route.method === 'GET' || route.method === 'HEAD' ? 'read' : 'write')];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** `"jobs/read jobs/write"` → the scopes, without duplicates or empties. */
export function parseScopes(value: unknown): string[] {
  return typeof value === 'string' ? [...new Set(value.split(/\s+/).filter((scope) => scope !== ''))] : [];
}

/**
 * The principal a verified token's claims name, or undefined when the token may not call the API.
 * An ID token names a person (`sub`). An access token is a machine client's only when it comes
 * from the client-credentials grant (`sub` = `client_id`, no `username`): a person's access token
 * (which names the user in `username` and carries no job scopes) is refused, people use ID tokens.
 */
export function principalFromClaims(claims: Readonly<Record<string, unknown>>): Principal | undefined {
  const sub = text(claims.sub);
  if (!sub) return undefined;
  if (claims.token_use === 'id') return { id: sub, kind: 'user', scopes: ALL_JOB_SCOPES };
  if (claims.token_use === 'access') {
    const clientId = text(claims.client_id);
    if (!clientId || clientId !== sub || claims.username !== undefined) return undefined;
    return { id: clientId, kind: 'client', scopes: parseScopes(claims.scope) };
  }
  return undefined;
}

/**
 * The context a Lambda authorizer hands to the integration (string values only) for a principal;
 * API Gateway adds the policy's `principalId` itself.
 */
export function authorizerContext(principal: Principal): Record<string, string> {
  return { principalKind: principal.kind, scopes: principal.scopes.join(' ') };
}

/** The principal from a Lambda authorizer's context (`requestContext.authorizer`). */
export function principalFromAuthorizer(authorizer: Readonly<Record<string, unknown>>): Principal | undefined {
  const id = text(authorizer.principalId);
  const kind = authorizer.principalKind;
  if (!id || (kind !== 'user' && kind !== 'client')) return undefined;
  return { id, kind, scopes: kind === 'user' ? ALL_JOB_SCOPES : parseScopes(authorizer.scopes) };
}

/** 403 INSUFFICIENT_SCOPE unless the principal holds `scope`. */
export function requireScope(principal: Principal, scope: string): void {
  if (principal.scopes.includes(scope)) return;
  const held = principal.scopes.length > 0 ? principal.scopes.join(' ') : 'none';
  throw new HttpError(403, 'INSUFFICIENT_SCOPE', `This route requires the scope ${scope}; the token grants: ${held}`, {
    requiredScope: scope,
  });
}
