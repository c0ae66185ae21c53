/** The caller's kind, for GET /api/me (no AWS client: the route's bundle carries none). */
import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * `client` for a client-credentials access token (token_use `access` without a username: an app
 * client, not a person), else `user`.
 */
export function principalKind(event: APIGatewayProxyEvent): 'user' | 'client' {
  const authorizer = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const claims = (authorizer?.claims ?? authorizer ?? {}) as Record<string, unknown>;
  const kind = authorizer?.principalKind ?? authorizer?.kind;
  if (kind === 'client' || kind === 'user') return kind;
  return claims.token_use === 'access' && !claims.username && !claims['cognito:username'] ? 'client' : 'user';
}
