import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTokenAuthorizer, stageWildcardArn } from '../../../lambdas/authorizer/token-authorizer.ts';
import { bearerToken, localTokenVerifier, parseLocalJwks } from '../../../lambdas/local-authorizer/local-tokens.ts';
import { FunctionLogger } from '../../../lambdas/shared/logger.ts';
import { ENV } from '../../../lambdas/shared/resources.ts';
import {
  issueIdToken,
  LOCAL_EMAIL_DOMAIN,
  loadOrCreateSigningKey,
  localSub,
  type SigningKey,
} from '../../../lib/local/tokens.ts';

const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:abc123def4/prod/POST/api/jobs/{id}/cancel';

function tokenEvent(authorizationToken: string, methodArn = METHOD_ARN): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', authorizationToken, methodArn };
}

describe('local token authorizer', () => {
  let dir: string;
  let key: SigningKey;
  let other: SigningKey;
  let authorize: ReturnType<typeof createTokenAuthorizer>;
  const lines: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-authorizer-'));
    key = loadOrCreateSigningKey(join(dir, 'keys'));
    other = loadOrCreateSigningKey(join(dir, 'other'));
    authorize = createTokenAuthorizer(
      localTokenVerifier(parseLocalJwks(JSON.stringify(key.jwks))),
      FunctionLogger.create({ level: 'info' }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    // The logger writes JSON lines to stdout and (warnings, errors) stderr: keep them here instead.
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
  });
  afterEach(() => {
    lines.length = 0;
    vi.unstubAllEnvs();
  });

  it('allows a valid local ID token on every route of the stage, with the caller as context', async () => {
    const result = await authorize(tokenEvent(`Bearer ${issueIdToken(key, 'alice')}`));
    expect(result).toEqual({
      principalId: localSub('alice'),
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:abc123def4/prod/*' },
        ],
      },
      context: { principalKind: 'user', scopes: 'jobs/read jobs/write', sub: localSub('alice'), username: 'alice', email: `alice@${LOCAL_EMAIL_DOMAIN}` },
    });
  });

  it('accepts the token without the Bearer prefix, as the Cognito authorizer does', async () => {
    const result = await authorize(tokenEvent(issueIdToken(key, 'bob')));
    expect(result.context?.sub).toBe(localSub('bob'));
  });

  it('passes only string context values', async () => {
    const result = await authorize(tokenEvent(issueIdToken(key, 'carol', { overrides: { email: undefined } })));
    expect(result.context).toEqual({ principalKind: 'user', scopes: 'jobs/read jobs/write', sub: localSub('carol'), username: 'carol' });
    for (const value of Object.values(result.context ?? {})) expect(typeof value).toBe('string');
  });

  it.each([
    ['a missing token', () => ''],
    ['a bare Bearer prefix', () => 'Bearer '],
    ['garbage', () => 'Bearer not.a.jwt'],
    ['an expired token', () => issueIdToken(key, 'alice', { now: new Date(Date.now() - 2 * 3600_000), expiresInSeconds: 3600 })],
    ['a token signed by another key', () => issueIdToken(other, 'alice', { headerOverrides: { kid: key.kid } })],
    ['a token of an unknown key', () => issueIdToken(other, 'alice')],
    ['an access token', () => issueIdToken(key, 'alice', { overrides: { token_use: 'access' } })],
    ['a token for another client', () => issueIdToken(key, 'alice', { overrides: { aud: 'someone-else' } })],
    ['a token of another issuer', () => issueIdToken(key, 'alice', { overrides: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })],
    ['a token with alg none', () => issueIdToken(key, 'alice', { headerOverrides: { alg: 'none' } })],
    ['a tampered payload', () => tamper(issueIdToken(key, 'alice'))],
  ])('throws Unauthorized for %s', async (_, token) => {
    await expect(authorize(tokenEvent(token()))).rejects.toThrow(/^Unauthorized$/);
    expect(lines.at(-1)).toContain('"unauthorized"');
  });

  it('throws Unauthorized (fails closed) for a method ARN it cannot read', async () => {
    await expect(authorize(tokenEvent(issueIdToken(key, 'alice'), 'not-an-arn'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('logs why a token was refused, never the token', async () => {
    const token = issueIdToken(key, 'alice', { overrides: { token_use: 'access' } });
    await expect(authorize(tokenEvent(token))).rejects.toThrow('Unauthorized');
    expect(lines.join('\n')).not.toContain(token.split('.')[2]!);
  });

  it('is the Lambda entry when LOCAL_JWKS holds the public JWKS', async () => {
    vi.stubEnv(ENV.localJwks, JSON.stringify(key.jwks));
    vi.resetModules();
    const { handler } = await import('../../../lambdas/local-authorizer/handler.ts');
    await expect(handler(tokenEvent(issueIdToken(key, 'dave')))).resolves.toMatchObject({ principalId: localSub('dave') });
    await expect(handler(tokenEvent(issueIdToken(other, 'dave')))).rejects.toThrow(/^Unauthorized$/);
  });

  it('fails the cold start without a usable LOCAL_JWKS', async () => {
    vi.stubEnv(ENV.localJwks, '');
    vi.resetModules();
    await expect(import('../../../lambdas/local-authorizer/handler.ts')).rejects.toThrow(/LOCAL_JWKS/);
  });
});

describe('LOCAL_JWKS', () => {
  let dir: string;
  let key: SigningKey;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-jwks-'));
    key = loadOrCreateSigningKey(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a JWKS of public RS256 keys', () => {
    expect(parseLocalJwks(JSON.stringify(key.jwks))).toEqual(key.jwks);
  });

  it.each([
    ['missing', () => undefined],
    ['blank', () => '  '],
    ['not JSON', () => '{keys'],
    ['without keys', () => '{"keys":[]}'],
    ['a private key', () => JSON.stringify({ keys: [{ ...key.publicJwk, ...key.privateKey.export({ format: 'jwk' }) }] })],
    ['a symmetric key', () => JSON.stringify({ keys: [{ ...key.publicJwk, k: 'c2VjcmV0' }] })],
    ['a key of another type', () => JSON.stringify({ keys: [{ ...key.publicJwk, kty: 'EC' }] })],
    ['a key without kid', () => JSON.stringify({ keys: [{ ...key.publicJwk, kid: undefined }] })],
  ])('refuses %s', (_, text) => {
    expect(() => parseLocalJwks(text())).toThrow(/LOCAL_JWKS/);
  });
});

describe('helpers', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Bearer ', undefined],
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['abc', 'abc'],
  ])('bearerToken(%j) is %j', (value, expected) => {
    expect(bearerToken(value)).toBe(expected);
  });

  it.each([
    ['arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/GET/api/jobs', 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/prod/*'],
    ['arn:aws-cn:execute-api:cn-north-1:123456789012:a1b2c3/dev/POST/', 'arn:aws-cn:execute-api:cn-north-1:123456789012:a1b2c3/dev/*'],
    ['arn:aws:execute-api:eu-west-1:123456789012:a1b2c3', undefined],
    ['arn:aws:lambda:eu-west-1:123456789012:function/x/prod/GET', undefined],
  ])('stageWildcardArn(%s)', (methodArn, expected) => {
    expect(stageWildcardArn(methodArn)).toBe(expected);
  });
});

/** Flips one character of the payload, keeping the signature. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims.sub = localSub('mallory');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}
