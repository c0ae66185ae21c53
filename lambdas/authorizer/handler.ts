/**
 * Lambda entry of the API's TOKEN authorizer in AWS (token-authorizer.ts): people's ID tokens and
 * machine clients' access tokens of the stack's user pool, verified with aws-jwt-verify. The
 * verifiers are built and the pool's JWKS fetched at cold start (init), so a request never waits
 * for it; a missing variable fails the init (API Gateway answers 500, nobody gets in).
 */
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { ConfigurationError } from '../domain/errors.ts';
import { callerFromClaims } from '../local-authorizer/local-tokens.ts';
import { FunctionLogger, type InvocationContext } from '../shared/logger.ts';
import { ENV } from '../shared/resources.ts';
import { createPoolVerifier } from './pool-verifier.ts';
import { createTokenAuthorizer } from './token-authorizer.ts';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new ConfigurationError(`Environment variable ${name} is missing`);
  return value;
}

const verifier = createPoolVerifier({
  userPoolId: required(ENV.userPoolId),
  clientId: required(ENV.userPoolClientId),
  jwksCache: new SimpleJwksCache(),
});
const logger = FunctionLogger.create({ context: { function: 'authorizer' } });
try {
  await verifier.hydrate();
} catch (error) {
  // Not fatal: the first request fetches it again.
  logger.warn('jwks prefetch failed', { error: error instanceof Error ? error.message : String(error) });
}

const authorize = createTokenAuthorizer(async (token) => callerFromClaims(await verifier.verify(token)), logger);
export const handler = (event: Parameters<typeof authorize>[0], context?: InvocationContext) => {
  logger.startInvocation(context);
  return authorize(event);
};
