/**
 * Lambda entry of the LocalStack deployment's TOKEN authorizer (the API's token authorizer,
 * lambdas/authorizer/token-authorizer.ts, with the local dev tokens' verifier). The JWKS is read and
 * the verifier built at cold start: a missing or unusable LOCAL_JWKS fails the init, so API Gateway
 * answers 500 rather than letting anybody in.
 */
import { createTokenAuthorizer } from '../authorizer/token-authorizer.ts';
import { FunctionLogger, type InvocationContext } from '../shared/logger.ts';
import { ENV } from '../shared/resources.ts';
import { localTokenVerifier, parseLocalJwks } from './local-tokens.ts';

const logger = FunctionLogger.create({ context: { function: 'local-authorizer' } });
const authorize = createTokenAuthorizer(localTokenVerifier(parseLocalJwks(process.env[ENV.localJwks])), logger);
export const handler = (event: Parameters<typeof authorize>[0], context?: InvocationContext) => {
  logger.startInvocation(context);
  return authorize(event);
};
