/**
 * Workspaces end to end through `npm run dev` over HTTP (issue 11): the authorization matrix
 * (every workspace route and GET /api/jobs/{id} × owner, admin, member, viewer, non-member, no
 * token, with the codes the integration matrix expects), a removed member refused on the next
 * request, another workspace's job 404, a cursor refused in another workspace, GET /api/me.
 */
import { describe, expect, it } from 'vitest';
import { nonce, type Answer, type Client } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';
import { EXPECTED, ROLES, type Caller } from '../support/workspace-fixture.ts';

const USERS = ['owner', 'admin', 'member', 'viewer', 'nonMember'].map((role) => `${role}-${nonce()}`);
const dev = useDevServer({ users: USERS });
// Jobs that stay unfinished while the matrix runs: the stand-in answers after 60 s.
const SLOW = { type: 'AI_PREVIEW', input: { prompt: `Matrix [[delay:60000]] ${nonce()}` } };

interface Team {
  readonly wid: string;
  readonly as: Record<Caller, Client>;
  readonly ids: Record<Exclude<Caller, 'noToken'>, string>;
}

const status = (answer: Answer, expected: number, what: string) => expect(answer.status, `${what}: ${answer.text}`).toBe(expected);

async function me(client: Client): Promise<string> {
  const answer = await client.call('/api/me');
  status(answer, 200, 'GET /api/me');
  return answer.json.principalId as string;
}

let team: Team | undefined;
/** One workspace for the whole file: its owner added the others with their roles. */
async function theTeam(): Promise<Team> {
  if (team) return team;
  const clients = Object.fromEntries(ROLES.filter((r) => r !== 'noToken').map((role, index) => [role, dev.client(USERS[index]!)])) as Record<Exclude<Caller, 'noToken'>, Client>;
  const as = { ...clients, noToken: new (clients.owner.constructor as new (baseUrl: string, token: string) => Client)(clients.owner.baseUrl, '') } as Record<Caller, Client>;
  const ids = Object.fromEntries(await Promise.all(Object.entries(clients).map(async ([role, client]) => [role, await me(client)]))) as Team['ids'];
  const created = await as.owner.call('/api/workspaces', { method: 'POST', body: { name: 'E2E team' } });
  status(created, 201, 'create');
  const wid = created.json.id as string;
  for (const role of ['admin', 'member', 'viewer'] as const) {
    status(await as.owner.call(`/api/workspaces/${wid}/members/${ids[role]}`, { method: 'PUT', body: { role } }), 201, `add ${role}`);
  }
  team = { wid, as, ids };
  return team;
}

async function ownerJob(t: Team): Promise<string> {
  const answer = await t.as.owner.call(`/api/workspaces/${t.wid}/jobs`, { method: 'POST', body: SLOW });
  status(answer, 202, 'create as owner');
  return answer.json.id as string;
}

/** How each route is called as `caller` (creating what it acts on first, as the owner). */
const SEND: Record<string, (t: Team, caller: Caller) => Promise<Answer>> = {
  'get-me': (t, c) => t.as[c].call('/api/me'),
  'create-workspace': (t, c) => t.as[c].call('/api/workspaces', { method: 'POST', body: { name: 'Another' } }),
  'list-workspaces': (t, c) => t.as[c].call('/api/workspaces'),
  'get-workspace': (t, c) => t.as[c].call(`/api/workspaces/${t.wid}`),
  'update-workspace': (t, c) => t.as[c].call(`/api/workspaces/${t.wid}`, { method: 'PATCH', body: { name: 'E2E team' } }),
  'delete-workspace': async (t, c) => {
    await ownerJob(t);
    return t.as[c].call(`/api/workspaces/${t.wid}`, { method: 'DELETE' });
  },
  'list-members': (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/members`),
  'put-member': (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/members/user-${nonce()}`, { method: 'PUT', body: { role: 'viewer' } }),
  'remove-member': async (t, c) => {
    const principal = `user-${nonce()}`;
    status(await t.as.owner.call(`/api/workspaces/${t.wid}/members/${principal}`, { method: 'PUT', body: { role: 'member' } }), 201, 'add');
    return t.as[c].call(`/api/workspaces/${t.wid}/members/${principal}`, { method: 'DELETE' });
  },
  'workspace-create-job': (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/jobs`, { method: 'POST', body: SLOW }),
  'workspace-list-jobs': (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/jobs?limit=2`),
  'workspace-get-job': async (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/jobs/${await ownerJob(t)}`),
  'workspace-get-job-status': async (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/jobs/${await ownerJob(t)}/status`),
  'workspace-get-job-result': async (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/jobs/${await ownerJob(t)}/result`),
  'workspace-cancel-job': async (t, c) => t.as[c].call(`/api/workspaces/${t.wid}/jobs/${await ownerJob(t)}/cancel`, { method: 'POST' }),
  'workspace-retry-job': async (t, c) => {
    const id = await ownerJob(t);
    status(await t.as.owner.call(`/api/workspaces/${t.wid}/jobs/${id}/cancel`, { method: 'POST' }), 200, 'cancel first');
    return t.as[c].call(`/api/workspaces/${t.wid}/jobs/${id}/retry`, { method: 'POST' });
  },
  'get-job': async (t, c) => t.as[c].call(`/api/jobs/${await ownerJob(t)}`),
};

describe('workspaces through the local API', () => {
  // First, while the workers are free (the matrix's jobs hold them for a minute).
  it('runs a workspace job to completion and shows it to every member with its creator', async () => {
    const t = await theTeam();
    const created = await t.as.member.call(`/api/workspaces/${t.wid}/jobs`, { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: `Team job ${nonce()}` } } });
    status(created, 202, 'create as member');
    const done = await t.as.viewer.waitForFinish(created.json.id, 30_000);
    expect(done).toMatchObject({ status: 'COMPLETED', workspaceId: t.wid, createdBy: t.ids.member });
    const result = await t.as.viewer.call(`/api/workspaces/${t.wid}/jobs/${created.json.id}/result`);
    status(result, 200, 'result');
    expect(result.json.result).toEqual(done.result);
  }, 60_000);

  it('answers every workspace route with the expected code for every caller', async () => {
    const t = await theTeam();
    expect(Object.keys(SEND).sort()).toEqual(Object.keys(EXPECTED).sort());
    const wrong: string[] = [];
    for (const [route, send] of Object.entries(SEND)) {
      for (const caller of ROLES) {
        const answer = await send(t, caller);
        if (answer.status !== EXPECTED[route]![caller]) wrong.push(`${route} as ${caller}: ${answer.status} (expected ${EXPECTED[route]![caller]}) ${answer.text.slice(0, 200)}`);
        if (answer.status === 403 && answer.json?.code !== (caller === 'nonMember' ? 'WORKSPACE_ACCESS_DENIED' : 'WORKSPACE_ROLE_FORBIDDEN')) wrong.push(`${route} as ${caller}: ${answer.json?.code}`);
      }
    }
    expect(wrong).toEqual([]);
    // Cancel what is still running, so the workers are free for the other tests.
    const listed = await t.as.owner.call(`/api/workspaces/${t.wid}/jobs?status=PENDING&limit=100`);
    for (const job of listed.json.items) await t.as.owner.call(`/api/workspaces/${t.wid}/jobs/${job.id}/cancel`, { method: 'POST' });
  }, 120_000);

  it('refuses a removed member on the very next request, and a cursor in another workspace', async () => {
    const t = await theTeam();
    const id = await ownerJob(t);
    const principal = USERS[4]!;
    const outsider = dev.client(principal);
    const outsiderId = t.ids.nonMember;
    status(await t.as.admin.call(`/api/workspaces/${t.wid}/members/${outsiderId}`, { method: 'PUT', body: { role: 'viewer' } }), 201, 'join');
    status(await outsider.call(`/api/workspaces/${t.wid}/jobs/${id}`), 200, 'member reads');
    status(await t.as.admin.call(`/api/workspaces/${t.wid}/members/${outsiderId}`, { method: 'DELETE' }), 200, 'remove');
    const after = await outsider.call(`/api/workspaces/${t.wid}/jobs/${id}`);
    status(after, 403, 'removed');
    expect(after.json.code).toBe('WORKSPACE_ACCESS_DENIED');
    status(await outsider.get(id), 404, 'GET /api/jobs/{id} after removal');

    // A second workspace of the owner: the first one's cursor is refused there; its jobs are 404 here.
    const other = await t.as.owner.call('/api/workspaces', { method: 'POST', body: { name: 'Other' } });
    await ownerJob(t);
    const page = await t.as.owner.call(`/api/workspaces/${t.wid}/jobs?limit=1`);
    const cursor = encodeURIComponent(page.json.nextCursor);
    status(await t.as.owner.call(`/api/workspaces/${t.wid}/jobs?limit=1&cursor=${cursor}`), 200, 'same workspace');
    const refused = await t.as.owner.call(`/api/workspaces/${other.json.id}/jobs?limit=1&cursor=${cursor}`);
    status(refused, 400, 'other workspace');
    expect(refused.json.code).toBe('INVALID_CURSOR');
    status(await t.as.owner.call(`/api/workspaces/${other.json.id}/jobs/${id}`), 404, "another workspace's job");
    status(await t.as.owner.call(`/api/workspaces/${t.wid}/jobs/${id}/cancel`, { method: 'POST' }), 200, 'clean up');
  }, 60_000);

});
