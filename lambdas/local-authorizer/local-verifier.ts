/**
 * The local user pool's identity and the verifier of its ID tokens: what the token issuer
 * (lib/local/tokens.ts), the local gateway of `npm run dev` and the LocalStack authorizer (and
 * route functions) all agree on. Tokens are verified with aws-jwt-verify's CognitoJwtVerifier,
 * exactly as for a real pool; only the JWKS comes from the local key instead of
 * `https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`.
 *
 * It lives on the Lambda side so that functions bundle it without the issuer's key-file code.
 */
import { KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { findJwkInJwks } from 'aws-jwt-verify/jwk';
import type { Jwks, JwksCache, JwkWithKid } from 'aws-jwt-verify/jwk';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import { createPoolVerifier, type PoolVerifier } from '../authorizer/pool-verifier.ts';

export const LOCAL_REGION = 'us-east-1';
/** Matches aws-jwt-verify's pool id format `<region>_<alphanumerics>`. */
export const LOCAL_USER_POOL_ID = `${LOCAL_REGION}_LocalDev`;
/** The app client id: the `aud` of ID tokens. */
export const LOCAL_CLIENT_ID = 'local-dev-client';
export const LOCAL_ISSUER = `https://cognito-idp.${LOCAL_REGION}.amazonaws.com/${LOCAL_USER_POOL_ID}`;

/** A public RSA signing key as a JWK, as Cognito publishes them. */
export interface PublicJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
  readonly n: string;
  readonly e: string;
}

export interface LocalJwks {
  readonly keys: readonly PublicJwk[];
}

/**
 * A JWKS cache holding the local keys only. aws-jwt-verify's default cache fetches the pool's
 * JWKS over HTTPS when a token names an unknown `kid`; this one answers from the local keys, so
 * verification never touches the network.
 */
class LocalJwksCache implements JwksCache {
  constructor(private jwks: Jwks) {}

  getCachedJwk(_jwksUri: string, decomposedJwt: DecomposedJwt): JwkWithKid {
    const kid = decomposedJwt.header.kid;
    const jwk = typeof kid === 'string' ? findJwkInJwks(this.jwks, kid) : undefined;
    if (!jwk) throw new KidNotFoundInJwksError(`JWK for kid ${String(kid)} not found in the local JWKS`);
    return jwk;
  }

  async getJwk(jwksUri: string, decomposedJwt: DecomposedJwt): Promise<JwkWithKid> {
    return this.getCachedJwk(jwksUri, decomposedJwt);
  }

  addJwks(_jwksUri: string, jwks: Jwks): void {
    this.jwks = jwks;
  }

  async getJwks(): Promise<Jwks> {
    return this.jwks;
  }
}

/**
 * The verifier of the local pool's tokens, as the API's authorizer checks a real pool's
 * (lambdas/authorizer/pool-verifier.ts): an ID token of the local people's client, or a
 * client-credentials access token of any local machine client (like usernames, client names need
 * no registration locally). Build it once per process.
 */
export function createLocalVerifier(jwks: LocalJwks): PoolVerifier {
  const local = jwks as unknown as Jwks;
  return createPoolVerifier({ userPoolId: LOCAL_USER_POOL_ID, clientId: LOCAL_CLIENT_ID, jwksCache: new LocalJwksCache(local) });
}
