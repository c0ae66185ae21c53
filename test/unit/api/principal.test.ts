/** GET /api/me's kind, from the adapter's principal: a person's ID token is a `user`, a client-credentials access token a `client`. */
import { describe, expect, it } from 'vitest';
import { handler as getMe } from '../../../lambdas/api/handlers/workspaces/get-me.ts';
import { apiEvent, invoke } from '../../support/api-events.ts';

function withClaims(claims: Record<string, unknown> | null) {
  const event = apiEvent({ method: 'GET', path: '/api/me', sub: 'ignored' });
  (event.requestContext as { authorizer: unknown }).authorizer = claims === null ? null : { claims };
  return event;
}

describe('GET /api/me', () => {
  it('answers a person with their sub and kind user', async () => {
    const answer = await invoke(getMe, withClaims({ sub: 'b1c2d3e4', token_use: 'id', 'cognito:username': 'alice' }));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ principalId: 'b1c2d3e4', kind: 'user' });
  });

  it('answers a machine client (client-credentials access token: no username) with kind client', async () => {
    const answer = await invoke(getMe, withClaims({ sub: '4k1e2q9a8b7c6d5e4f3g2h1i0j', client_id: '4k1e2q9a8b7c6d5e4f3g2h1i0j', token_use: 'access', scope: 'jobs/read' }));
    expect(answer.json).toEqual({ principalId: '4k1e2q9a8b7c6d5e4f3g2h1i0j', kind: 'client' });
  });

  it("takes the kind from the Lambda authorizer's context (the adapter's principal), whatever the scopes", async () => {
    const client = apiEvent({ method: 'GET', path: '/api/me', sub: null });
    (client.requestContext as { authorizer: unknown }).authorizer = { principalId: 'c0ffee0000client0000000000', principalKind: 'client', scopes: 'jobs/read' };
    expect((await invoke(getMe, client)).json).toEqual({ principalId: 'c0ffee0000client0000000000', kind: 'client' });
    const person = apiEvent({ method: 'GET', path: '/api/me', sub: null });
    (person.requestContext as { authorizer: unknown }).authorizer = { principalId: 'b1c2d3e4', principalKind: 'user', scopes: '', sub: 'b1c2d3e4' };
    expect((await invoke(getMe, person)).json).toEqual({ principalId: 'b1c2d3e4', kind: 'user' });
  });

  it('answers a client without jobs/read 403 INSUFFICIENT_SCOPE', async () => {
    const answer = await invoke(getMe, withClaims({ sub: '4k1e2q9a8b7c6d5e4f3g2h1i0j', client_id: '4k1e2q9a8b7c6d5e4f3g2h1i0j', token_use: 'access', scope: 'jobs/write' }));
    expect(answer.status).toBe(403);
    expect(answer.json.code).toBe('INSUFFICIENT_SCOPE');
  });

  it('answers 401 without a verified caller', async () => {
    const answer = await invoke(getMe, withClaims(null));
    expect(answer.status).toBe(401);
    expect(answer.json.code).toBe('UNAUTHENTICATED');
  });
});
