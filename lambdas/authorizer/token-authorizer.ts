/**
 * The API's TOKEN authorizer, one for both kinds of caller: a person's Cognito ID token or a
 * machine client's client-credentials access token (aws-jwt-verify, see handler.ts; the LocalStack
 * deployment's local-authorizer verifies the local dev tokens with the same code). A valid token
 * gets an IAM policy and the caller as the authorizer context, which API Gateway hands to the route
 * functions as `requestContext.authorizer` (`principalId`, `principalKind`, `scopes`, and for a
 * person `sub`, `username`, `email`).
 *
 * The policy is the caller's for the whole stage, so API Gateway may cache it per token and reuse
 * it on any route: a person may call every method; a machine client the methods whose scope
 * (routes.ts: `jobs/read` for GET, `jobs/write` for the rest) its token holds, and API Gateway
 * refuses the others itself (403 INSUFFICIENT_SCOPE, the stack's ACCESS_DENIED gateway response).
 *
 * Anything else throws `Error('Unauthorized')`: that exact message is how a Lambda authorizer makes
 * API Gateway answer 401 (the stack's UNAUTHORIZED gateway response). Any other error would be a
 * 500 AUTHORIZER_FAILURE.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, Statement } from 'aws-lambda';
import type { Logger } from '../domain/ports.ts';
import { authorizerContext, requiredScope, type Principal } from '../http/principal.ts';
import { ROUTES } from '../api/routes.ts';
import { bearerToken, type LocalCaller } from '../local-authorizer/local-tokens.ts';

export const UNAUTHORIZED = 'Unauthorized';

/** Verifies a token and names its caller; throws when the token may not call the API. */
export type CallerVerifier = (token: string) => LocalCaller | Promise<LocalCaller>;

/**
 * `arn:aws:execute-api:<region>:<account>:<api>/<stage>/*` from a method ARN
 * (`…:<api>/<stage>/<METHOD>/<path>`): the policy covers every route of the stage, so a cached
 * policy is right for whichever route the same token calls next.
 */
export function stageWildcardArn(methodArn: string): string | undefined {
  const match = /^(arn:[\w-]+:execute-api:[\w-]*:\d*:[\w-]+)\/([^/]+)\//.exec(methodArn);
  return match ? `${match[1]}/${match[2]}/*` : undefined;
}

/**
 * The statements of a principal's policy, for the stage `stageArn` (`…/<stage>/*`): everything
 * for a person; for a machine client each route whose scope it holds (`…/<stage>/GET/api/jobs/*`),
 * or a Deny of the stage when it holds none.
 */
export function policyStatements(principal: Principal, stageArn: string): Statement[] {
  if (principal.kind === 'user') return [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageArn }];
  const stage = stageArn.slice(0, -1);
  const allowed = ROUTES.filter((route) => principal.scopes.includes(requiredScope(route))).map(
    (route) => `${stage}${route.method}${route.path.replace(/\{\w+\}/g, '*')}`,
  );
  if (allowed.length === 0) return [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: stageArn }];
  return [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowed }];
}

export function createTokenAuthorizer(verify: CallerVerifier, logger: Logger) {
  return async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const deny = (reason: string): never => {
      // The reason is for the logs only; the client gets API Gateway's plain 401.
      logger.info('unauthorized', { reason });
      throw new Error(UNAUTHORIZED);
    };
    const resource = stageWildcardArn(event.methodArn ?? '');
    if (!resource) return deny('unexpected methodArn');
    const token = bearerToken(event.authorizationToken);
    if (!token) return deny('no token');
    let caller: LocalCaller;
    try {
      caller = await verify(token);
    } catch (error) {
      return deny(error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'invalid token');
    }
    const { principal } = caller;
    return {
      principalId: principal.id,
      policyDocument: { Version: '2012-10-17', Statement: policyStatements(principal, resource) },
      // API Gateway passes only string, number and boolean context values.
      context: {
        ...authorizerContext(principal),
        ...(principal.kind === 'user' ? { sub: principal.id } : {}),
        ...(caller.username ? { username: caller.username } : {}),
        ...(caller.email ? { email: caller.email } : {}),
      },
    };
  };
}
