/**
 * The local token issuer: a stand-in for the Cognito user pool that signs ID tokens with an RS256
 * key kept in the data folder, so tokens survive restarts. The pool's identity and the verifier
 * (aws-jwt-verify's CognitoJwtVerifier, exactly as for a real pool, with the local JWKS) are in
 * lambdas/local-authorizer/local-verifier.ts, which the Lambda side bundles too; they are
 * re-exported here.
 *
 * For local development only: the key is a file on disk and anybody who can read it can sign in
 * as anybody.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_JOB_SCOPES } from '../../lambdas/http/principal.ts';
import { LOCAL_CLIENT_ID, LOCAL_ISSUER, type LocalJwks, type PublicJwk } from '../../lambdas/local-authorizer/local-verifier.ts';

export {
  createLocalVerifier,
  LOCAL_CLIENT_ID,
  LOCAL_ISSUER,
  LOCAL_REGION,
  LOCAL_USER_POOL_ID,
  type LocalJwks,
  type PublicJwk,
} from '../../lambdas/local-authorizer/local-verifier.ts';

/** The domain of the local users' `email` claim (`.test` is reserved: it never routes anywhere). */
export const LOCAL_EMAIL_DOMAIN = 'local.test';

export const SIGNING_KEY_FILE = 'signing-key.json';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: PublicJwk;
  /** The JWKS a verifier needs: this key only. */
  readonly jwks: LocalJwks;
  /** The file the key is kept in. */
  readonly file: string;
}

interface StoredKey {
  readonly version: 1;
  readonly kid: string;
  readonly alg: 'RS256';
  readonly createdAt: string;
  readonly privateKeyPem: string;
  readonly publicJwk: PublicJwk;
}

/**
 * The signing key kept in `<dir>/signing-key.json` (mode 0600), created on first use. Creation is
 * atomic (written aside, then hard-linked into place), so two processes starting together agree
 * on one key. The `kid` is the key's RFC 7638 thumbprint: stable for as long as the file lives.
 */
export function loadOrCreateSigningKey(dir: string): SigningKey {
  const file = join(dir, SIGNING_KEY_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let text = readIfExists(file);
  if (text === undefined) {
    createKeyFile(file);
    text = readFileSync(file, 'utf8');
  }
  restrictMode(file);
  return parseStoredKey(text, file);
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function createKeyFile(file: string): void {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = thumbprint(publicKey);
  const stored: StoredKey = {
    version: 1,
    kid,
    alg: 'RS256',
    createdAt: new Date().toISOString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicJwk: publicJwk(publicKey, kid),
  };
  const aside = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(aside, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
}

function restrictMode(file: string): void {
  if (process.platform === 'win32') return;
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

function parseStoredKey(text: string, file: string): SigningKey {
  const broken = (why: string) =>
    new Error(`The local signing key ${file} is unusable (${why}); delete it to create a new one (issued tokens stop working)`);
  let stored: Partial<StoredKey>;
  try {
    stored = JSON.parse(text) as Partial<StoredKey>;
  } catch {
    throw broken('not JSON');
  }
  if (stored.version !== 1 || typeof stored.privateKeyPem !== 'string') throw broken('unknown format');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(stored.privateKeyPem);
  } catch {
    throw broken('bad private key');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw broken('not an RSA key');
  // The public half and the kid are derived from the private key, so they cannot disagree with it.
  const publicKey = createPublicKey(privateKey);
  const kid = thumbprint(publicKey);
  if (stored.kid !== undefined && stored.kid !== kid) throw broken('kid does not match the key');
  const jwk = publicJwk(publicKey, kid);
  return { kid, privateKey, publicJwk: jwk, jwks: { keys: [jwk] }, file };
}

function publicJwk(publicKey: KeyObject, kid: string): PublicJwk {
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new Error('Not an RSA public key');
  return { kty: 'RSA', kid, alg: 'RS256', use: 'sig', n, e };
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url). */
function thumbprint(publicKey: KeyObject): string {
  const { n, e } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
}

/** Cognito usernames: 1–128 characters, no whitespace or control characters. */
const USERNAME = /^[^\s\p{C}]{1,128}$/u;

export function isValidUsername(username: string): boolean {
  return USERNAME.test(username);
}

/**
 * The user's `sub`: a UUID derived from the username (SHA-256, RFC 9562 version 8 layout), so the
 * same username is the same user across restarts and keeps its jobs.
 */
export function localSub(username: string): string {
  const bytes = createHash('sha256').update(`async-jobs-local-user:${username}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface IssueOptions {
  /** Lifetime; Cognito's default for ID tokens is one hour. */
  readonly expiresInSeconds?: number;
  /** The issue time (default: now). */
  readonly now?: Date;
  /** Claims to set or, with `undefined`, to remove: for tests forging variants. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Header fields to set or, with `undefined`, to remove. */
  readonly headerOverrides?: Readonly<Record<string, unknown>>;
}

/** An RS256 ID token with the claims a Cognito user pool puts in one. */
export function issueIdToken(key: SigningKey, username: string, options: IssueOptions = {}): string {
  if (!isValidUsername(username)) {
    throw new Error('A username is 1 to 128 characters without whitespace or control characters');
  }
  const expiresIn = options.expiresInSeconds ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new Error('expiresInSeconds must be a positive integer');
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const sub = localSub(username);
  const claims: Record<string, unknown> = {
    sub,
    email_verified: true,
    iss: LOCAL_ISSUER,
    'cognito:username': username,
    origin_jti: randomUUID(),
    aud: LOCAL_CLIENT_ID,
    event_id: randomUUID(),
    token_use: 'id',
    auth_time: iat,
    exp: iat + expiresIn,
    iat,
    jti: randomUUID(),
    email: `${username}@${LOCAL_EMAIL_DOMAIN}`,
  };
  const header: Record<string, unknown> = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
  return signJwt(key.privateKey, applyOverrides(header, options.headerOverrides), applyOverrides(claims, options.overrides));
}

/**
 * A local machine client's app client id: 26 lowercase letters and digits like Cognito's, derived
 * from its name, so the same name is the same client (and principal) across restarts and scopes.
 */
export function localClientId(name: string): string {
  const digest = createHash('sha256').update(`async-jobs-local-client:${name}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...digest.subarray(0, 26)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** The scopes a local client token may carry: the resource server's (Cognito grants no others). */
export function checkClientScopes(scopes: readonly string[]): void {
  const unknown = scopes.filter((scope) => !ALL_JOB_SCOPES.includes(scope));
  if (unknown.length > 0) throw new Error(`Unknown scope ${unknown.join(', ')}; the scopes are ${ALL_JOB_SCOPES.join(', ')}`);
}

/**
 * An RS256 access token with the claims Cognito's client-credentials grant puts in one: `sub` and
 * `client_id` are the app client id, `scope` the granted scopes, no user claims.
 */
export function issueClientAccessToken(key: SigningKey, clientName: string, scopes: readonly string[], options: IssueOptions = {}): string {
  if (!isValidUsername(clientName)) throw new Error('A client name is 1 to 128 characters without whitespace or control characters');
  checkClientScopes(scopes);
  const expiresIn = options.expiresInSeconds ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new Error('expiresInSeconds must be a positive integer');
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const clientId = localClientId(clientName);
  const claims: Record<string, unknown> = {
    sub: clientId,
    token_use: 'access',
    scope: [...new Set(scopes)].join(' '),
    auth_time: iat,
    iss: LOCAL_ISSUER,
    exp: iat + expiresIn,
    iat,
    version: 2,
    jti: randomUUID(),
    client_id: clientId,
  };
  const header: Record<string, unknown> = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
  return signJwt(key.privateKey, applyOverrides(header, options.headerOverrides), applyOverrides(claims, options.overrides));
}

function applyOverrides(base: Record<string, unknown>, overrides?: Readonly<Record<string, unknown>>) {
  const result = { ...base };
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

function signJwt(privateKey: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const encode = (part: Record<string, unknown>) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}
