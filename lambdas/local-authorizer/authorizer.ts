/**
 * The TOKEN authorizer of the LocalStack deployment, standing in for the Cognito user-pool
 * authorizer: a valid local dev ID token gets an IAM policy allowing every method of this API's
 * stage, and its `sub`, `username` and `email` as the authorizer context, which API Gateway hands
 * to the route functions as `requestContext.authorizer.sub` (and so on).
 *
 * Anything else throws `Error('Unauthorized')`: that exact message is how a Lambda authorizer makes
 * API Gateway answer 401 (the stack's UNAUTHORIZED gateway response). Any other error would be a
 * 500 AUTHORIZER_FAILURE.
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import type { Logger } from '../domain/ports.ts';
import { bearerToken, type LocalTokenVerifier } from './local-tokens.ts';

export const UNAUTHORIZED = 'Unauthorized';

/**
 * `arn:aws:execute-api:<region>:<account>:<api>/<stage>/*` from a method ARN
 * (`…:<api>/<stage>/<METHOD>/<path>`): the policy covers every route of the stage, so a cached
 * policy is right for whichever route the same token calls next.
 */
export function stageWildcardArn(methodArn: string): string | undefined {
  const match = /^(arn:[\w-]+:execute-api:[\w-]*:\d*:[\w-]+)\/([^/]+)\//.exec(methodArn);
  return match ? `${match[1]}/${match[2]}/*` : undefined;
}

export function createLocalAuthorizer(verify: LocalTokenVerifier, logger: Logger) {
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
    let caller;
    try {
      caller = verify(token);
    } catch (error) {
      return deny(error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'invalid token');
    }
    return {
      principalId: caller.sub,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resource }],
      },
      // API Gateway passes only string, number and boolean context values.
      context: {
        sub: caller.sub,
        ...(caller.username ? { username: caller.username } : {}),
        ...(caller.email ? { email: caller.email } : {}),
      },
    };
  };
}
