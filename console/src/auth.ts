/**
 * Signing in: the local token issuer on `npm run dev` (POST /dev/sign-in), or the Cognito Hosted
 * UI of a deployed stack (authorization code with PKCE, no client secret). The ID token is kept in
 * sessionStorage (gone with the tab) and handed to the typed client by its token provider.
 */
import type { ConsoleConfig, HostedUiSignIn } from './config.ts';

const SESSION_KEY = 'jobs-console.session';
const VERIFIER_KEY = 'jobs-console.pkce';

export interface Session {
  readonly idToken: string;
  readonly username: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export function currentSession(): Session | undefined {
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (!stored) return undefined;
  try {
    const session = JSON.parse(stored) as Session;
    // A minute of margin: a token about to expire is not worth a 401.
    return session.expiresAt - 60_000 > Date.now() ? session : undefined;
  } catch {
    return undefined;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION_KEY);
}

function keep(idToken: string, expiresInSeconds: number): Session {
  const claims = JSON.parse(atob(idToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  const username = String(claims['cognito:username'] ?? claims.email ?? claims.sub ?? 'user');
  const session: Session = { idToken, username, expiresAt: Date.now() + expiresInSeconds * 1000 };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** `npm run dev` only: an ID token for any username from the local issuer. */
export async function devSignIn(username: string): Promise<Session> {
  const response = await fetch('/dev/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  const body = (await response.json()) as { idToken?: string; expiresIn?: number; error?: string };
  if (!response.ok || !body.idToken) throw new Error(body.error ?? `Sign-in failed (${response.status})`);
  return keep(body.idToken, body.expiresIn ?? 3600);
}

const redirectUri = (config: HostedUiSignIn) => config.redirectUri ?? `${location.origin}${location.pathname}`;

/** Sends the browser to the Hosted UI; it comes back with `?code=`. */
export async function hostedUiSignIn(config: HostedUiSignIn): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem(VERIFIER_KEY, verifier);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(config),
    scope: config.scopes ?? 'openid email',
    code_challenge_method: 'S256',
    code_challenge: challenge,
  });
  location.assign(`${config.domain.replace(/\/+$/, '')}/oauth2/authorize?${query}`);
}

/** Back from the Hosted UI: exchanges `?code=` for the tokens, once. */
export async function completeHostedUiSignIn(config: ConsoleConfig): Promise<Session | undefined> {
  const code = new URLSearchParams(location.search).get('code');
  const verifier = sessionStorage.getItem(VERIFIER_KEY);
  if (config.signIn.kind !== 'hosted-ui' || !code || !verifier) return undefined;
  sessionStorage.removeItem(VERIFIER_KEY);
  history.replaceState(null, '', location.pathname);
  const response = await fetch(`${config.signIn.domain.replace(/\/+$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.signIn.clientId,
      code,
      redirect_uri: redirectUri(config.signIn),
      code_verifier: verifier,
    }),
  });
  const body = (await response.json()) as { id_token?: string; expires_in?: number; error?: string };
  if (!response.ok || !body.id_token) throw new Error(`Sign-in failed: ${body.error ?? response.status}`);
  return keep(body.id_token, body.expires_in ?? 3600);
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
