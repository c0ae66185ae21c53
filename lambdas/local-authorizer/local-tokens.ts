/**
 * The local dev ID tokens (lib/local/tokens.ts, `npm run token`) verified inside Lambda, for the
 * LocalStack deployment (`cdk deploy -c localstack=true`), which has no Cognito. Verification is
 * the local gateway's (local-verifier.ts): aws-jwt-verify's CognitoJwtVerifier for the local pool
 * and client, with `tokenUse: 'id'`, against the public JWKS given in LOCAL_JWKS; it never
 * touches the network.
 *
 * For LocalStack only: whoever can read the signing key in `.dev-data/keys` can sign in as anybody.
 */
import { ConfigurationError } from '../domain/errors.ts';
import { principalFromClaims, type Principal } from '../http/principal.ts';
import { ENV } from '../shared/resources.ts';
import { createLocalVerifier, type LocalJwks, type PublicJwk } from './local-verifier.ts';

/** The caller a valid token names: API Gateway passes these to the integration as strings. */
export interface LocalCaller {
  readonly principal: Principal;
  /** People only. */
  readonly username?: string;
  readonly email?: string;
}

/**
 * Verifies an ID token or a machine client's access token; throws when it is missing, malformed,
 * expired, forged, of another kind, or a person's access token.
 */
export type LocalTokenVerifier = (token: string) => LocalCaller;

/** Members of private (or symmetric) JWKs: none of them may ever reach a function's environment. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The public half of each key only (kty, kid, alg, use, n, e), whatever else the input holds. */
export function toPublicJwks(jwks: LocalJwks): LocalJwks {
  return { keys: jwks.keys.map(({ kty, kid, alg, use, n, e }): PublicJwk => ({ kty, kid, alg, use, n, e })) };
}

/** Reads LOCAL_JWKS: a JWKS of RSA public signing keys; anything else fails the cold start. */
export function parseLocalJwks(text: string | undefined): LocalJwks {
  const fail = (why: string) => new ConfigurationError(`Environment variable ${ENV.localJwks} ${why}`);
  if (!text?.trim()) throw fail('is missing: it must hold the public JWKS of the local token key');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail('is not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw fail('must be a JWKS: {"keys":[...]} with at least one key');
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== 'object' || key === null) throw fail('holds a key that is not an object');
    if (SECRET_MEMBERS.some((member) => member in key)) throw fail('holds private key material; give it the public keys only');
    const valid =
      key.kty === 'RSA' && key.alg === 'RS256' && (key.use === undefined || key.use === 'sig') &&
      typeof key.kid === 'string' && key.kid !== '' && typeof key.n === 'string' && key.n !== '' &&
      typeof key.e === 'string' && key.e !== '';
    if (!valid) throw fail('holds a key that is not an RS256 RSA public signing key with a kid');
  }
  return toPublicJwks({ keys: keys as PublicJwk[] });
}

/** The verifier of the local pool's tokens; build it once per process (cold start). */
export function localTokenVerifier(jwks: LocalJwks): LocalTokenVerifier {
  const verifier = createLocalVerifier(jwks);
  // The JWKS is cached up front, so verification is synchronous and local.
  return (token) => callerFromClaims(verifier.verifySync(token));
}

/** The caller verified claims name; throws for claims that may not call the API. */
export function callerFromClaims(payload: Readonly<Record<string, unknown>>): LocalCaller {
  const principal = principalFromClaims(payload);
  if (!principal) throw new Error('The token names no caller: an ID token with a sub, or a client-credentials access token');
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const username = text(payload['cognito:username']);
  const email = text(payload.email);
  return { principal, ...(username ? { username } : {}), ...(email ? { email } : {}) };
}

/**
 * The token of an Authorization header value. Like the Cognito authorizer (and the local gateway),
 * the header may hold the token itself or `Bearer <token>`.
 */
export function bearerToken(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed || /^bearer$/i.test(trimmed)) return undefined;
  const token = /^bearer\s+/i.test(trimmed) ? trimmed.replace(/^bearer\s+/i, '').trim() : trimmed;
  return token || undefined;
}
