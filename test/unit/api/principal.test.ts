/** GET /api/me's kind: a person's ID token is a `user`, a client-credentials access token a `client`. */
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

  it('answers 401 without a verified caller', async () => {
    const answer = await invoke(getMe, withClaims(null));
    expect(answer.status).toBe(401);
    expect(answer.json.code).toBe('UNAUTHENTICATED');
  });
});
