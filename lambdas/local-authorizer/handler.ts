/**
 * Lambda entry of the LocalStack deployment's TOKEN authorizer (see authorizer.ts). The JWKS is
 * read and the verifier built at cold start: a missing or unusable LOCAL_JWKS fails the init, so
 * API Gateway answers 500 rather than letting anybody in.
 */
import { JsonLogger } from '../shared/logger.ts';
import { ENV } from '../shared/resources.ts';
import { createLocalAuthorizer } from './authorizer.ts';
import { localTokenVerifier, parseLocalJwks } from './local-tokens.ts';

export const handler = createLocalAuthorizer(
  localTokenVerifier(parseLocalJwks(process.env[ENV.localJwks])),
  new JsonLogger({ context: { function: 'local-authorizer' } }),
);
