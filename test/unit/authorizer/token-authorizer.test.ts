/**
 * The API's token authorizer with machine clients: a client-credentials access token gets a
 * policy allowing exactly the routes its scopes cover (API Gateway refuses the others itself, with
 * the stack's 403 INSUFFICIENT_SCOPE gateway response), a token with no job scope gets a Deny,
 * a person's access token is refused (401). Verified with the local key, as on LocalStack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../lambdas/api/routes.ts';
import { createTokenAuthorizer, policyStatements, UNAUTHORIZED } from '../../../lambdas/authorizer/token-authorizer.ts';
import { ALL_JOB_SCOPES } from '../../../lambdas/http/principal.ts';
import { localTokenVerifier } from '../../../lambdas/local-authorizer/local-tokens.ts';
import { FunctionLogger } from '../../../lambdas/shared/logger.ts';
import { issueClientAccessToken, issueIdToken, loadOrCreateSigningKey, localClientId, LOCAL_CLIENT_ID, type SigningKey } from '../../../lib/local/tokens.ts';

const STAGE = 'arn:aws:execute-api:us-east-1:000000000000:abc123def4/prod';
const METHOD_ARN = `${STAGE}/GET/api/jobs`;
const READS = [
  `${STAGE}/GET/api/jobs`,
  `${STAGE}/GET/api/jobs/*`,
  `${STAGE}/GET/api/jobs/*/status`,
  `${STAGE}/GET/api/jobs/*/result`,
  // Workspaces (issue 11): GET /api/me, the workspaces, members and the job routes in a workspace.
  `${STAGE}/GET/api/me`,
  `${STAGE}/GET/api/workspaces`,
  `${STAGE}/GET/api/workspaces/*`,
  `${STAGE}/GET/api/workspaces/*/members`,
  `${STAGE}/GET/api/workspaces/*/jobs`,
  `${STAGE}/GET/api/workspaces/*/jobs/*`,
  `${STAGE}/GET/api/workspaces/*/jobs/*/status`,
  `${STAGE}/GET/api/workspaces/*/jobs/*/result`,
];
const WRITES = [
  `${STAGE}/POST/api/jobs`,
  `${STAGE}/POST/api/jobs/*/cancel`,
  `${STAGE}/POST/api/jobs/*/retry`,
  `${STAGE}/POST/api/uploads`,
  `${STAGE}/POST/api/workspaces`,
  `${STAGE}/PATCH/api/workspaces/*`,
  `${STAGE}/DELETE/api/workspaces/*`,
  `${STAGE}/PUT/api/workspaces/*/members/*`,
  `${STAGE}/DELETE/api/workspaces/*/members/*`,
  `${STAGE}/POST/api/workspaces/*/jobs`,
  `${STAGE}/POST/api/workspaces/*/jobs/*/cancel`,
  `${STAGE}/POST/api/workspaces/*/jobs/*/retry`,
];

describe('the token authorizer and machine clients', () => {
  let dir: string;
  let key: SigningKey;
  let authorize: ReturnType<typeof createTokenAuthorizer>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'token-authorizer-'));
    key = loadOrCreateSigningKey(join(dir, 'keys'));
    authorize = createTokenAuthorizer(localTokenVerifier(key.jwks), FunctionLogger.create({ level: 'silent' }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (token: string) => authorize({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN });
  const resources = (result: APIGatewayAuthorizerResult) => {
    const [statement, ...more] = result.policyDocument.Statement as { Effect: string; Resource: string | string[] }[];
    expect(more).toEqual([]);
    return { effect: statement!.Effect, resources: [statement!.Resource].flat().sort() };
  };

  it.each([
    ['jobs/read', ['jobs/read'], READS],
    ['jobs/write', ['jobs/write'], WRITES],
    ['both', ['jobs/read', 'jobs/write'], [...READS, ...WRITES]],
  ])('allows a %s client exactly the routes of its scopes, with the client id as principal', async (_name, scopes, allowed) => {
    const result = await run(issueClientAccessToken(key, 'billing', scopes));
    expect(result.principalId).toBe(localClientId('billing'));
    expect(result.context).toEqual({ principalKind: 'client', scopes: scopes.join(' ') });
    expect(resources(result)).toEqual({ effect: 'Allow', resources: [...allowed].sort() });
  });

  it('denies the whole stage to a client token with no job scope (API Gateway answers 403)', async () => {
    const result = await run(issueClientAccessToken(key, 'billing', []));
    expect(resources(result)).toEqual({ effect: 'Deny', resources: [`${STAGE}/*`] });
  });

  it('still allows a person every route of the stage', async () => {
    const result = await run(issueIdToken(key, 'alice'));
    expect(resources(result)).toEqual({ effect: 'Allow', resources: [`${STAGE}/*`] });
    expect(result.context).toMatchObject({ principalKind: 'user', scopes: ALL_JOB_SCOPES.join(' ') });
  });

  it.each([
    ["a person's access token", () => issueIdToken(key, 'alice', { overrides: { token_use: 'access', client_id: LOCAL_CLIENT_ID, username: 'alice', aud: undefined } })],
    ['an expired client token', () => issueClientAccessToken(key, 'billing', ['jobs/read'], { now: new Date(Date.now() - 7_200_000) })],
    ['a client token of another issuer', () => issueClientAccessToken(key, 'billing', ['jobs/read'], { overrides: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })],
  ])('refuses %s with Unauthorized (401)', async (_name, make) => {
    await expect(run(make())).rejects.toThrow(UNAUTHORIZED);
  });

  it('covers every route of the table in one of the two scopes, so a policy is right for any route the token calls next', () => {
    const both = policyStatements({ id: 'c', kind: 'client', scopes: ALL_JOB_SCOPES }, `${STAGE}/*`);
    expect([(both[0] as { Resource: string[] }).Resource].flat()).toHaveLength(ROUTES.length);
  });
});
