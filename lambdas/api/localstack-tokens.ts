/**
 * The LocalStack variant's token check inside the route functions: LocalStack's free edition
 * creates the stack's Lambda authorizer but never invokes it, so with LOCAL_JWKS set a function
 * verifies the bearer token itself (the local dev tokens, `npm run token`).
 */
import type { TokenCaller } from '../http/request.ts';
import { ENV } from '../shared/resources.ts';

/**
 * Whether this build may verify local dev tokens: a compile-time constant the stack defines for
 * route functions (LOCAL_TOKENS_DEFINE). `false` in the AWS variant, whose bundles then leave the
 * verifier (and aws-jwt-verify) out; `true` in the LocalStack variant. Unbundled (tests,
 * `npm run dev`) it is undefined, and LOCAL_JWKS alone decides.
 */
declare const JOBS_LOCAL_TOKENS: boolean | undefined;

/** The token check for this function, or undefined where an authorizer runs in front of it. */
export async function localStackTokenCaller(env: Readonly<Record<string, string | undefined>>): Promise<TokenCaller | undefined> {
  const jwks = env[ENV.localJwks]?.trim();
  // The constant stays inline, and the import inside the branch: esbuild drops the branch, and
  // the verifier with it, only so.
  if (jwks && (typeof JOBS_LOCAL_TOKENS === 'boolean' ? JOBS_LOCAL_TOKENS : true)) {
    const { bearerToken, localTokenVerifier, parseLocalJwks } = await import('../local-authorizer/local-tokens.ts');
    const verify = localTokenVerifier(parseLocalJwks(jwks));
    return (authorization) => {
      const token = bearerToken(authorization);
      if (!token) throw new Error('No bearer token');
      return verify(token).principal;
    };
  }
  return undefined;
}
