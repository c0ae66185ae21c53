/** `config.json` beside the console's files: where the API is and how a user signs in. */
export interface ConsoleConfig {
  /** The API's base URL before `/api/...` (with its stage); '' when the API is the console's own origin. */
  readonly apiUrl: string;
  readonly signIn: DevSignIn | HostedUiSignIn;
}

/** `npm run dev`: any username, an ID token from the local token issuer (POST /dev/sign-in). */
export interface DevSignIn {
  readonly kind: 'dev';
}

/** A deployed stack: the Cognito Hosted UI (authorization code with PKCE) of the stack's user pool client. */
export interface HostedUiSignIn {
  readonly kind: 'hosted-ui';
  /** `https://<prefix>.auth.<region>.amazoncognito.com` or a custom domain. */
  readonly domain: string;
  /** The app client the API's authorizer accepts (the stack's `UserPoolClientId` output). */
  readonly clientId: string;
  /** Default: the console's own URL (it must be one of the client's callback URLs). */
  readonly redirectUri?: string;
  /** Default: `openid email`. */
  readonly scopes?: string;
}
