/**
 * The verifier of a user pool's two kinds of caller, with aws-jwt-verify: a person's ID token
 * (`token_use: id`, `aud` = the people's app client) or a machine client's access token
 * (`token_use: access`, any app client of the pool: a client that can get no `jobs/*` scope can
 * call nothing). Signature, issuer and expiry are checked for both. The unverified `token_use` only
 * picks which of the two verifies; each checks it again. Build it once per process: the JWKS is
 * fetched once and cached (`hydrate` at cold start).
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';

export interface PoolVerifier {
  /** Verifies with the cached JWKS only (throws if it is not cached yet). */
  verifySync(token: string): Record<string, unknown>;
  /** Verifies, fetching the JWKS first if needed. */
  verify(token: string): Promise<Record<string, unknown>>;
  /** Fetches the JWKS now (cold start) rather than on the first request. */
  hydrate(): Promise<void>;
}

export interface PoolVerifierOptions {
  readonly userPoolId: string;
  /** The people's app client: the `aud` of the ID tokens accepted. */
  readonly clientId: string;
  /** One cache shared by both verifiers, so the JWKS is fetched once. */
  readonly jwksCache: JwksCache;
}

export function createPoolVerifier({ userPoolId, clientId, jwksCache }: PoolVerifierOptions): PoolVerifier {
  const id = CognitoJwtVerifier.create({ userPoolId, tokenUse: 'id', clientId }, { jwksCache });
  const access = CognitoJwtVerifier.create({ userPoolId, tokenUse: 'access', clientId: null }, { jwksCache });
  const pick = (token: string) => (tokenUseOf(token) === 'access' ? access : id);
  return {
    verifySync: (token) => pick(token).verifySync(token) as Record<string, unknown>,
    verify: async (token) => (await pick(token).verify(token)) as Record<string, unknown>,
    hydrate: () => id.hydrate(),
  };
}

/** The unverified `token_use` claim, or undefined when the token does not decode. */
function tokenUseOf(token: string): unknown {
  try {
    return decomposeUnverifiedJwt(token).payload.token_use;
  } catch {
    return undefined;
  }
}
