import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalVerifier,
  issueIdToken,
  LOCAL_CLIENT_ID,
  LOCAL_ISSUER,
  LOCAL_USER_POOL_ID,
  loadOrCreateSigningKey,
  localSub,
  SIGNING_KEY_FILE,
  type SigningKey,
} from '../../../lib/local/tokens.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('local token issuer', () => {
  let dir: string;
  // Generating RSA keys takes a while: the tests that do not need a fresh one share these two.
  let shared: string;
  let ours: SigningKey;
  let theirs: SigningKey;

  beforeAll(() => {
    shared = mkdtempSync(join(tmpdir(), 'local-tokens-shared-'));
    ours = loadOrCreateSigningKey(join(shared, 'ours'));
    theirs = loadOrCreateSigningKey(join(shared, 'theirs'));
  });
  afterAll(() => {
    rmSync(shared, { recursive: true, force: true });
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-tokens-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the constants of a Cognito pool in us-east-1', () => {
    expect(LOCAL_USER_POOL_ID).toBe('us-east-1_LocalDev');
    expect(LOCAL_ISSUER).toBe('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LocalDev');
    expect(LOCAL_CLIENT_ID).toBe('local-dev-client');
  });

  it('creates the signing key once, readable by its owner only, and reuses it', () => {
    const keysDir = join(dir, 'keys');
    const first = loadOrCreateSigningKey(keysDir);
    const file = join(keysDir, SIGNING_KEY_FILE);
    expect(first.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, 'utf8');

    const second = loadOrCreateSigningKey(keysDir);
    expect(second.kid).toBe(first.kid);
    expect(second.jwks).toEqual(first.jwks);
    expect(readFileSync(file, 'utf8')).toBe(stored);
    expect(first.jwks.keys).toEqual([
      { kty: 'RSA', kid: first.kid, alg: 'RS256', use: 'sig', n: expect.any(String), e: 'AQAB' },
    ]);
    expect(JSON.stringify(first.jwks)).not.toContain('"d"');

    expect(first.kid).not.toBe(ours.kid); // another folder, another key
  });

  it('tightens a key file left readable by others', () => {
    const file = join(dir, SIGNING_KEY_FILE);
    writeFileSync(file, readFileSync(ours.file));
    chmodSync(file, 0o644);
    expect(loadOrCreateSigningKey(dir).kid).toBe(ours.kid);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a corrupt key file with a clear message instead of replacing it', () => {
    writeFileSync(join(dir, SIGNING_KEY_FILE), 'not json', { mode: 0o600 });
    expect(() => loadOrCreateSigningKey(dir)).toThrow(/signing-key\.json is unusable \(not JSON\); delete it/);
  });

  it('issues ID tokens that verify, also after a restart (new key load, new verifier)', async () => {
    const token = issueIdToken(ours, 'alice');
    const restarted = loadOrCreateSigningKey(join(shared, 'ours'));
    const payload = await createLocalVerifier(restarted.jwks).verify(token);
    expect(payload.sub).toBe(localSub('alice'));
    expect(payload['cognito:username']).toBe('alice');
  });

  it('puts the claims and header of a Cognito ID token in it', () => {
    const key = ours;
    const now = new Date('2030-01-02T03:04:05Z');
    const token = issueIdToken(key, 'alice', { now, expiresInSeconds: 600 });
    expect(decodePart(token, 0)).toEqual({ alg: 'RS256', kid: key.kid, typ: 'JWT' });
    const iat = Math.floor(now.getTime() / 1000);
    expect(decodePart(token, 1)).toEqual({
      sub: localSub('alice'),
      aud: LOCAL_CLIENT_ID,
      iss: LOCAL_ISSUER,
      token_use: 'id',
      'cognito:username': 'alice',
      email: 'alice@local.test',
      email_verified: true,
      auth_time: iat,
      iat,
      exp: iat + 600,
      event_id: expect.stringMatching(UUID),
      jti: expect.stringMatching(UUID),
      origin_jti: expect.stringMatching(UUID),
    });
  });

  it('gives the same username the same sub, in every process, and others another', () => {
    expect(localSub('alice')).toMatch(UUID);
    expect(localSub('alice')).toBe(localSub('alice'));
    expect(localSub('alice')).not.toBe(localSub('bob'));
    expect(localSub('alice')).not.toBe(localSub('Alice'));
    // Pinned: a change here would orphan every local user's jobs.
    expect(localSub('alice')).toBe('6d3bf066-cfee-86b1-a126-29a281849266');
  });

  it('lets tests set and remove claims and header fields', () => {
    const key = ours;
    const token = issueIdToken(key, 'alice', {
      overrides: { aud: 'someone-else', email: undefined, 'cognito:groups': ['admins'] },
      headerOverrides: { typ: undefined },
    });
    const payload = decodePart(token, 1);
    expect(payload.aud).toBe('someone-else');
    expect(payload).not.toHaveProperty('email');
    expect(payload['cognito:groups']).toEqual(['admins']);
    expect(decodePart(token, 0)).toEqual({ alg: 'RS256', kid: key.kid });
  });

  it('refuses bad usernames and lifetimes', () => {
    const key = ours;
    expect(() => issueIdToken(key, '')).toThrow(/username/);
    expect(() => issueIdToken(key, 'a b')).toThrow(/username/);
    expect(() => issueIdToken(key, 'x'.repeat(129))).toThrow(/username/);
    expect(() => issueIdToken(key, 'alice', { expiresInSeconds: 0 })).toThrow(/expiresInSeconds/);
  });

  describe('the verifier refuses', () => {
    const variants: [string, (key: SigningKey, other: SigningKey) => string, RegExp][] = [
      ['an expired token', (key) => issueIdToken(key, 'alice', { now: new Date(Date.now() - 7200_000) }), /expired/i],
      ['another audience', (key) => issueIdToken(key, 'alice', { overrides: { aud: 'other-client' } }), /audience/i],
      ['another issuer', (key) => issueIdToken(key, 'alice', { overrides: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } }), /issuer/i],
      ['a token signed by another key', (_key, other) => issueIdToken(other, 'alice'), /not found/i],
      ['another key claiming our kid', (key, other) => issueIdToken(other, 'alice', { headerOverrides: { kid: key.kid } }), /signature/i],
      [
        'a tampered payload',
        (key) => {
          const [header, , signature] = issueIdToken(key, 'alice').split('.');
          const payload = decodePart(issueIdToken(key, 'mallory'), 1);
          return `${header}.${Buffer.from(JSON.stringify({ ...payload, sub: localSub('alice') })).toString('base64url')}.${signature}`;
        },
        /signature/i,
      ],
      [
        'an unsigned token (alg none)',
        (key) => {
          const [, payload] = issueIdToken(key, 'alice').split('.');
          return `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url')}.${payload}.`;
        },
        /./,
      ],
      ['garbage', () => 'not-a-jwt', /./],
    ];
    it.each(variants)('%s', async (_name, make, message) => {
      const verifier = createLocalVerifier(ours.jwks);
      await expect(verifier.verify(make(ours, theirs))).rejects.toThrow(message);
    });
  });

  it('never fetches a JWKS for an unknown kid: the local keys are the whole truth', async () => {
    const key = ours;
    const other = theirs;
    const verifier = createLocalVerifier(key.jwks);
    // Twice: the default cache would fetch the pool's JWKS over HTTPS, then refuse to retry
    // ("wait period"); the local one answers "not found" at once, every time.
    for (let attempt = 0; attempt < 2; attempt++) {
      const started = Date.now();
      await expect(verifier.verify(issueIdToken(other, 'alice'))).rejects.toBeInstanceOf(KidNotFoundInJwksError);
      expect(Date.now() - started).toBeLessThan(500);
    }
    await expect(verifier.verify(issueIdToken(key, 'alice'))).resolves.toMatchObject({ sub: localSub('alice') });
  });
});
