/**
 * The LocalStack stand-in for the Cognito authorizer: a TOKEN Lambda authorizer that verifies the
 * local dev ID tokens (`npm run token`) against the public JWKS of the local key, exactly as the
 * local gateway of `npm run dev` does. LocalStack's free edition has no Cognito.
 */
import { Duration } from 'aws-cdk-lib';
import { IdentitySource, TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { toPublicJwks } from '../../lambdas/local-authorizer/local-tokens.ts';
import type { LocalJwks } from '../../lambdas/local-authorizer/local-verifier.ts';
import { ENV, LOCAL_AUTHORIZER_ENTRY } from '../../lambdas/shared/resources.ts';
import { JobFunction } from './job-function.ts';

export interface LocalTokenAuthorizerProps {
  /** The local token key's JWKS; only the public members of its keys are used. */
  readonly jwks: LocalJwks;
}

/**
 * Results are not cached (TTL 0): a token stops working the second it expires, as with the
 * Cognito authorizer and the local gateway; the price is one authorizer call per request, which
 * a LocalStack deployment can afford. The allow policy covers the whole stage anyway, so a cache
 * could be turned on without breaking other routes.
 */
export class LocalTokenAuthorizer extends Construct {
  readonly function: JobFunction;
  readonly authorizer: TokenAuthorizer;
  /** The JWKS as placed in LOCAL_JWKS: public keys only. */
  readonly jwksJson: string;

  constructor(scope: Construct, id: string, props: LocalTokenAuthorizerProps) {
    super(scope, id);
    if (props.jwks.keys.length === 0) throw new Error('LocalTokenAuthorizer needs at least one key');
    this.jwksJson = JSON.stringify(toPublicJwks(props.jwks));
    // No grants: the function verifies tokens locally and needs nothing but its own logs.
    this.function = new JobFunction(this, 'Function', {
      entry: LOCAL_AUTHORIZER_ENTRY,
      description: 'LocalStack only: verifies local dev ID tokens in place of the Cognito authorizer',
      environment: { [ENV.localJwks]: this.jwksJson },
    });
    this.authorizer = new TokenAuthorizer(this, 'Authorizer', {
      handler: this.function.function,
      identitySource: IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.seconds(0),
    });
  }
}
