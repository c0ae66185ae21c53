/**
 * The gateway's stand-in for the API's token authorizer (people's ID tokens, machine clients' access tokens): the `Authorization` header's token
 * (with or without `Bearer `) verified, and its claims as the authorizer passes them on.
 */
import { principalFromClaims } from '../../../lambdas/http/principal.ts';
import { claimsAsStrings, headerValue } from '../api-gateway-events.ts';
import { truncate } from './text.ts';

/** Verifies a token and returns its claims; rejects when the token is not acceptable. */
export interface TokenVerifier {
  verify(token: string): Promise<Record<string, unknown>>;
}

/** The claims of the request's token, or why it is refused (for the log line only). */
export async function authorize(
  headers: Readonly<Record<string, string>>,
  verifier: TokenVerifier,
): Promise<{ claims: Record<string, string> } | { reason: string }> {
  const value = headerValue(headers, 'authorization')?.trim();
  if (!value) return { reason: 'no Authorization header' };
  // The Cognito authorizer takes the header's value as the token; a `Bearer ` prefix is accepted too.
  const token = /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '') : value;
  if (!token) return { reason: 'empty token' };
  try {
    const payload = await verifier.verify(token);
    // As the API's authorizer: an ID token, or a machine client's client-credentials access token.
    if (!principalFromClaims(payload)) return { reason: 'the token names no caller (a person\'s access token?)' };
    return { claims: claimsAsStrings(payload) };
  } catch (error) {
    return { reason: truncate(error instanceof Error ? error.message : String(error), 200) };
  }
}
