/**
 * The API's authorizer in AWS: a TOKEN Lambda authorizer that accepts both kinds of caller of the
 * user pool — people's ID tokens (of the people's app client) and services' client-credentials
 * access tokens — verified with aws-jwt-verify, and answers a policy per caller (a machine client
 * gets only the methods its scopes cover). A Cognito user-pool authorizer cannot do both on one
 * method: without OAuth scopes it takes ID tokens only, with scopes access tokens only.
 */
import { Duration } from 'aws-cdk-lib';
import { IdentitySource, TokenAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { AUTHORIZER_ENTRY, ENV } from '../../lambdas/shared/resources.ts';
import { JobFunction } from './job-function.ts';

export interface PoolTokenAuthorizerProps {
  readonly userPool: IUserPool;
  /** The people's app client: the `aud` of the ID tokens accepted. */
  readonly userPoolClient: IUserPoolClient;
  /**
   * How long API Gateway reuses a token's policy without calling the function. The Cognito
   * authorizer's default; a revoked or expired token keeps working up to this long.
   * @default Duration.minutes(5)
   */
  readonly resultsCacheTtl?: Duration;
}

export class PoolTokenAuthorizer extends Construct {
  readonly function: JobFunction;
  readonly authorizer: TokenAuthorizer;

  constructor(scope: Construct, id: string, props: PoolTokenAuthorizerProps) {
    super(scope, id);
    // No grants: it fetches the pool's public JWKS over HTTPS once per cold start, nothing else.
    this.function = new JobFunction(this, 'Function', {
      entry: AUTHORIZER_ENTRY,
      description: "Verifies people's ID tokens and services' client-credentials access tokens of the user pool",
      environment: {
        [ENV.userPoolId]: props.userPool.userPoolId,
        [ENV.userPoolClientId]: props.userPoolClient.userPoolClientId,
      },
    });
    this.authorizer = new TokenAuthorizer(this, 'Authorizer', {
      handler: this.function.function,
      identitySource: IdentitySource.header('Authorization'),
      resultsCacheTtl: props.resultsCacheTtl ?? Duration.minutes(5),
    });
  }
}
