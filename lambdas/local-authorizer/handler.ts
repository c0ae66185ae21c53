/**
 * Lambda entry of the LocalStack deployment's TOKEN authorizer (the API's token authorizer,
 * lambdas/authorizer/token-authorizer.ts, with the local dev tokens' verifier). The JWKS is read and
 * the verifier built at cold start: a missing or unusable LOCAL_JWKS fails the init, so API Gateway
 * answers 500 rather than letting anybody in.
 */
import { createTokenAuthorizer } from '../authorizer/token-authorizer.ts';
import { JsonLogger } from '../shared/logger.ts';
import { ENV } from '../shared/resources.ts';
import { localTokenVerifier, parseLocalJwks } from './local-tokens.ts';

export const handler = createTokenAuthorizer(
  localTokenVerifier(parseLocalJwks(process.env[ENV.localJwks])),
  new JsonLogger({ context: { function: 'local-authorizer' } }),
);
