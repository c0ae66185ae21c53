/**
 * Workspaces on the real engines through the real handlers (issue 11): the authorization matrix
 * (every workspace route × owner, admin, member, viewer, non-member, no token), a removed member
 * refused at once, another workspace's job 404 under every route, cursors bound to the
 * workspace, chaining, the quota and idempotency keys per workspace, owners, deleting.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../lambdas/adapters/dynamo-job-store.ts';
import { ROUTES, workspaceRouteNames } from '../../lambdas/api/routes.ts';
import { CLIENT_SCOPES, expectedAnswer } from '../support/authorization-matrix.ts';
import { useHarness, type JobsClient } from '../support/harness.ts';
import { createIn, expectStatus, MATRIX, newTeam, ROLES } from '../support/workspace-fixture.ts';

const h = useHarness({ env: { MAX_ACTIVE_JOBS_PER_CALLER: '8' }, resetEach: false });

describe('the authorization matrix', () => {
  it('covers every workspace route and GET /api/jobs/{id}', () => {
    expect(MATRIX.map((row) => row.route).sort()).toEqual([...workspaceRouteNames(), 'get-job'].sort());
  });

  for (const row of MATRIX) {
    it(`${row.route}: ${ROLES.map((role) => `${role} ${row.expect[role]}`).join(', ')}`, async () => {
      const team = await newTeam(h);
      for (const caller of ROLES) {
        const response = await row.send(team, caller, h);
        expectStatus(response, row.expect[caller], `${row.route} as ${caller}`);
        if (response.status === 403) expect(response.json.code).toMatch(caller === 'nonMember' ? /^WORKSPACE_ACCESS_DENIED$/ : /^WORKSPACE_ROLE_FORBIDDEN$/);
      }
    });
  }

  // Machine clients that are not members, with each scope set: the non-member's code (403
  // WORKSPACE_ACCESS_DENIED; GET /api/jobs/{id} 404; GET /api/me, creating and listing workspaces
  // allowed) where the token has the route's scope, 403 INSUFFICIENT_SCOPE where it has not.
  for (const row of MATRIX) {
    it(`${row.route}: machine clients that are not members, with jobs/read, jobs/write, both, no scope`, async () => {
      const team = await newTeam(h);
      for (const [caller, scope] of Object.entries(CLIENT_SCOPES) as [keyof typeof CLIENT_SCOPES, string][]) {
        const client = h.newClient(scope);
        const expected = expectedAnswer(caller, row.route, row.expect.nonMember);
        const response = await row.send({ wid: team.wid, as: { ...team.as, nonMember: client } }, 'nonMember', h);
        expectStatus(response, expected.status, `${row.route} as a client with ${scope || 'no scope'}`);
        if (expected.code) expect(response.json.code).toBe(expected.code);
        else if (response.status === 403) expect(response.json.code).toBe('WORKSPACE_ACCESS_DENIED');
        else if (response.status === 404) expect(response.json.code).toBe('JOB_NOT_FOUND');
      }
    });
  }

  it('lets a member cancel and retry the jobs they created', async () => {
    const { wid, as } = await newTeam(h);
    const id = await createIn(as.member, wid);
    expectStatus(await as.member.call('workspace-cancel-job', { params: { wid }, id }), 200, 'cancel own');
    const retried = await as.member.call('workspace-retry-job', { params: { wid }, id });
    expectStatus(retried, 202, 'retry own');
    expect(retried.json).toMatchObject({ id, status: 'PENDING', workspaceId: wid, createdBy: as.member.sub });
  });
});

describe('workspace jobs', () => {
  it('records the workspace and the creator, and every member sees the job in the list', async () => {
    const { wid, as } = await newTeam(h);
    const id = await createIn(as.member, wid);
    for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
      const listed = await as[role].call('workspace-list-jobs', { params: { wid } });
      expect(listed.json.items.map((item: { id: string }) => item.id)).toEqual([id]);
    }
    const job = await as.viewer.call('get-job', { id });
    expect(job.json).toMatchObject({ id, workspaceId: wid, createdBy: as.member.sub });
    // Not in anyone's personal list.
    expect((await as.member.list()).json.items).toEqual([]);
    const personal = await as.member.createPreview('personal');
    expect(personal).toMatchObject({ workspaceId: null, createdBy: as.member.sub });
  });

  it("answers 404 for another workspace's job under every job route, and for a personal job", async () => {
    const one = await newTeam(h);
    const other = await newTeam(h);
    const foreign = await createIn(other.as.owner, other.wid);
    const personal = (await one.as.owner.createPreview('mine')).id;
    for (const id of [foreign, personal, crypto.randomUUID()]) {
      for (const route of ['workspace-get-job', 'workspace-get-job-status', 'workspace-get-job-result', 'workspace-cancel-job', 'workspace-retry-job'] as const) {
        const response = await one.as.owner.call(route, { params: { wid: one.wid }, id });
        expectStatus(response, 404, `${route} ${id}`);
        expect(response.json.code).toBe('JOB_NOT_FOUND');
      }
    }
    // The personal routes do not act on a workspace job, nor read one for a non-member.
    for (const route of ['cancel-job', 'retry-job'] as const) expectStatus(await other.as.owner.call(route, { id: foreign }), 404, route);
    for (const route of ['get-job', 'get-job-status', 'get-job-result'] as const) expectStatus(await one.as.owner.call(route, { id: foreign }), 404, `${route} as a non-member`);
  });

  it('answers GET /api/jobs/{id}/status and /result of a workspace job to every member, like GET /api/jobs/{id}, and 404 to anyone else', async () => {
    const { wid, as } = await newTeam(h);
    const id = await createIn(as.member, wid);
    for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
      const status = await as[role].call('get-job-status', { id });
      expectStatus(status, 200, `status as ${role}`);
      expect(status.json).toMatchObject({ id, status: 'PENDING' });
      const result = await as[role].call('get-job-result', { id });
      expectStatus(result, 409, `result as ${role} (PENDING)`);
      expect(result.json.code).toBe('JOB_NOT_COMPLETED');
    }
    const removed = as.viewer;
    expectStatus(await as.owner.call('remove-member', { params: { wid, principalId: removed.sub! } }), 200, 'remove the viewer');
    for (const route of ['get-job-status', 'get-job-result'] as const) {
      for (const [who, client] of [['removed', removed], ['non-member', as.nonMember], ['client', h.newClient('jobs/read')]] as const) {
        const response = await client.call(route, { id });
        expectStatus(response, 404, `${route} as ${who}`);
        expect(response.json.code).toBe('JOB_NOT_FOUND');
      }
    }
  });

  it('takes a machine client (its principal id is the app client id) as a member like a person', async () => {
    const { wid, as } = await newTeam(h);
    const client = h.newClient('jobs/read jobs/write');
    expectStatus(await client.call('workspace-list-jobs', { params: { wid } }), 403, 'before');
    expectStatus(await as.admin.call('put-member', { params: { wid, principalId: client.sub! }, body: { role: 'member' } }), 201, 'add the client');
    const id = await createIn(client, wid, 'from a service');
    expect((await as.viewer.call('get-job', { id })).json).toMatchObject({ workspaceId: wid, createdBy: client.sub });
    expectStatus(await client.call('workspace-cancel-job', { params: { wid }, id: await createIn(as.owner, wid) }), 403, "the owner's job");
  });

  it('refuses a removed member on the very next request', async () => {
    const { wid, as } = await newTeam(h);
    const id = await createIn(as.member, wid);
    expectStatus(await as.member.call('workspace-get-job', { params: { wid }, id }), 200, 'before');
    expectStatus(await as.admin.call('remove-member', { params: { wid, principalId: as.member.sub! } }), 200, 'remove');
    for (const response of [
      await as.member.call('workspace-get-job', { params: { wid }, id }),
      await as.member.call('workspace-list-jobs', { params: { wid } }),
      await as.member.call('workspace-create-job', { params: { wid }, body: { type: 'AI_PREVIEW', input: { prompt: 'x' } } }),
    ]) {
      expectStatus(response, 403, 'after');
      expect(response.json.code).toBe('WORKSPACE_ACCESS_DENIED');
    }
    expectStatus(await as.member.call('get-job', { id }), 404, 'GET /api/jobs/{id} after');
  });

  it("refuses a cursor of one workspace in another, and a personal one", async () => {
    const one = await newTeam(h);
    const two = await newTeam(h);
    // Members of both.
    expectStatus(await two.as.owner.call('put-member', { params: { wid: two.wid, principalId: one.as.owner.sub! }, body: { role: 'viewer' } }), 201, 'join');
    for (let n = 0; n < 3; n++) {
      await createIn(one.as.owner, one.wid, `one ${n}`);
      await createIn(two.as.owner, two.wid, `two ${n}`);
    }
    await one.as.owner.createPreview('personal 1');
    await one.as.owner.createPreview('personal 2');
    const first = await one.as.owner.call('workspace-list-jobs', { params: { wid: one.wid }, query: { limit: '1' } });
    const cursor = first.json.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    const next = await one.as.owner.call('workspace-list-jobs', { params: { wid: one.wid }, query: { limit: '1', cursor } });
    expectStatus(next, 200, 'same workspace');
    const elsewhere = await one.as.owner.call('workspace-list-jobs', { params: { wid: two.wid }, query: { limit: '1', cursor } });
    expectStatus(elsewhere, 400, 'other workspace');
    expect(elsewhere.json.code).toBe('INVALID_CURSOR');
    expectStatus(await one.as.owner.list({ limit: '1', cursor }), 400, 'personal list');
    const personalCursor = (await one.as.owner.list({ limit: '1' })).json.nextCursor as string;
    expectStatus(await one.as.owner.call('workspace-list-jobs', { params: { wid: one.wid }, query: { limit: '1', cursor: personalCursor } }), 400, 'personal cursor');
  });

  it('chains only jobs of the same workspace', async () => {
    const { wid, as } = await newTeam(h);
    const other = await newTeam(h);
    const foreign = await createIn(other.as.owner, other.wid);
    const personal = (await as.owner.createPreview('mine')).id;
    const inside = await createIn(as.owner, wid);
    const chain = (source: string) =>
      as.owner.call('workspace-create-job', { params: { wid }, body: { type: 'REPORT_GENERATION', input: { sourceJobIds: [source], title: 'T' } } });
    for (const source of [foreign, personal]) {
      const response = await chain(source);
      expectStatus(response, 422, `source ${source}`);
      expect(JSON.stringify(response.json.errors)).toContain(`no job with id ${source}`);
    }
    // The workspace's own source is found (not finished yet: 409 SOURCE_NOT_READY, not 422).
    expectStatus(await chain(inside), 409, 'own workspace source');
    // And a personal job cannot name a workspace job.
    expectStatus(await as.owner.create({ type: 'REPORT_GENERATION', input: { sourceJobIds: [inside], title: 'T' } }), 422, 'personal chain');
  });

  it('applies the quota per workspace, not per caller', async () => {
    const { wid, as } = await newTeam(h);
    for (let n = 0; n < 8; n++) await createIn(n % 2 ? as.member : as.admin, wid, `quota ${n}`);
    const refused = await as.owner.call('workspace-create-job', { params: { wid }, body: { type: 'AI_PREVIEW', input: { prompt: 'one too many' } } });
    expectStatus(refused, 429, 'ninth in the workspace');
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_JOBS', scope: 'workspace', limit: 8 });
    // The owner's personal quota is untouched.
    await as.owner.createPreview('personal is separate');
  });

  it('keeps idempotency keys per workspace', async () => {
    const { wid, as } = await newTeam(h);
    const body = { type: 'AI_PREVIEW', input: { prompt: 'keyed' } };
    const headers = { 'Idempotency-Key': `key-${crypto.randomUUID()}` };
    const first = await as.member.call('workspace-create-job', { params: { wid }, body, headers });
    expectStatus(first, 202, 'first');
    const again = await as.admin.call('workspace-create-job', { params: { wid }, body, headers });
    expectStatus(again, 200, 'same key in the same workspace: the replay');
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const personal = await as.member.create(body, { headers });
    expectStatus(personal, 202, 'same key, personal: a new job');
    expect(personal.json.id).not.toBe(first.json.id);
  });
});

describe("a busy workspace's jobs spread over jobShards index partitions", () => {
  /** Every page of the workspace's list, `limit` at a time: the ids in order. */
  async function listAll(client: JobsClient, wid: string, query: Record<string, string> = {}, limit = 3): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await client.call('workspace-list-jobs', { params: { wid }, query: { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) } });
      expectStatus(page, 200, 'list');
      expect(page.json.items.length).toBeLessThanOrEqual(limit);
      ids.push(...page.json.items.map((item: { id: string }) => item.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    return ids;
  }

  /** The stored owner-index keys of the jobs (`ws#<wid>` or `ws#<wid>#<k>`). */
  async function storedOwnerKeys(ids: readonly string[]): Promise<string[]> {
    const doc = createDocumentClient(h.infra.ddb);
    return Promise.all(ids.map(async (id) => String((await doc.send(new GetCommand({ TableName: h.infra.tableName, Key: { id } }))).Item?.ownerId)));
  }

  it('lists every job once, newest first, across pages and shards; raising jobShards keeps the older jobs listed and counted', async () => {
    const { wid, as } = await newTeam(h);
    const before: string[] = [];
    for (let n = 0; n < 3; n++) before.push(await createIn(as.member, wid, `before ${n}`));
    const raised = await as.admin.call('update-workspace', { params: { wid }, body: { jobShards: 8 } });
    expectStatus(raised, 200, 'an admin raises jobShards');
    expect(raised.json).toMatchObject({ id: wid, jobShards: 8, role: 'admin' });
    const after: string[] = [];
    for (let n = 0; n < 5; n++) after.push(await createIn(n % 2 ? as.owner : as.member, wid, `after ${n}`));

    // Where the entries went: the older jobs in the workspace's one key, the newer ones over 8.
    expect(new Set(await storedOwnerKeys(before))).toEqual(new Set([`ws#${wid}`]));
    const spread = await storedOwnerKeys(after);
    for (const key of spread) expect(key).toMatch(new RegExp(`^ws#${wid}(#[1-7])?$`));
    expect(new Set(spread).size).toBeGreaterThan(1);
    // The API says the owner key, never the shard.
    expect((await as.viewer.call('get-job', { id: after[0]! })).json).toMatchObject({ workspaceId: wid });

    const newestFirst = [...before, ...after].reverse();
    expect(await listAll(as.viewer, wid)).toEqual(newestFirst);
    expect(await listAll(as.viewer, wid, { order: 'asc' }, 5)).toEqual([...newestFirst].reverse());
    const cancelled = [before[1]!, after[2]!];
    for (const id of cancelled) expectStatus(await as.owner.call('workspace-cancel-job', { params: { wid }, id }), 200, 'cancel');
    expect(await listAll(as.member, wid, { status: 'CANCELLED' }, 1)).toEqual([after[2]!, before[1]!]);
    expect(await listAll(as.member, wid, { sort: 'updatedAt' }, 2)).toEqual([...[...cancelled].reverse(), ...newestFirst.filter((id) => !cancelled.includes(id))]);

    // The quota counts every shard: 6 unfinished of 8; two more fill it, whatever shard they land in.
    await createIn(as.member, wid, 'seventh');
    await createIn(as.member, wid, 'eighth');
    const refused = await as.member.call('workspace-create-job', { params: { wid }, body: { type: 'AI_PREVIEW', input: { prompt: 'ninth' } } });
    expectStatus(refused, 429, 'the ninth unfinished job of the workspace');
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_JOBS', scope: 'workspace' });
    // Deleting looks in every shard too.
    expectStatus(await as.owner.call('delete-workspace', { params: { wid } }), 409, 'delete a workspace holding jobs');
  });

  it('lets admins and owners raise jobShards (1 to 32), never lower it, and nobody else change it', async () => {
    const { wid, as } = await newTeam(h);
    expect((await as.viewer.call('get-workspace', { params: { wid } })).json).toMatchObject({ jobShards: 1 });
    expectStatus(await as.owner.call('update-workspace', { params: { wid }, body: { jobShards: 4 } }), 200, 'owner raises');
    for (const role of ['member', 'viewer'] as const) {
      const refused = await as[role].call('update-workspace', { params: { wid }, body: { jobShards: 8 } });
      expectStatus(refused, 403, `${role} raises`);
      expect(refused.json.code).toBe('WORKSPACE_ROLE_FORBIDDEN');
    }
    expectStatus(await as.nonMember.call('update-workspace', { params: { wid }, body: { jobShards: 8 } }), 403, 'non-member');
    expectStatus(await as.admin.call('update-workspace', { params: { wid }, body: { jobShards: 4, name: 'x' } }), 403, 'an admin renames');
    for (const jobShards of [2, 0, 33, 2.5, '8']) {
      const refused = await as.admin.call('update-workspace', { params: { wid }, body: { jobShards } });
      expectStatus(refused, 422, `jobShards ${JSON.stringify(jobShards)}`);
      expect(refused.json.errors).toEqual([expect.objectContaining({ path: 'jobShards' })]);
    }
    expectStatus(await as.owner.call('update-workspace', { params: { wid }, body: {} }), 422, 'nothing to change');
    expect((await as.admin.call('update-workspace', { params: { wid }, body: { jobShards: 32 } })).json).toMatchObject({ jobShards: 32 });
    expect((await as.member.call('get-workspace', { params: { wid } })).json).toMatchObject({ jobShards: 32 });
  });
});

describe('workspaces and members', () => {
  it('lists the caller\'s workspaces with their role, and the members', async () => {
    const { wid, as } = await newTeam(h, 'Zebra crew');
    const listed = await as.viewer.call('list-workspaces');
    expect(listed.json.items).toEqual([expect.objectContaining({ id: wid, name: 'Zebra crew', role: 'viewer' })]);
    const members = await as.member.call('list-members', { params: { wid } });
    expect(members.json.items.map((m: { principalId: string; role: string }) => [m.principalId, m.role]).sort()).toEqual(
      [[as.owner.sub, 'owner'], [as.admin.sub, 'admin'], [as.member.sub, 'member'], [as.viewer.sub, 'viewer']].sort(),
    );
    const renamed = await as.owner.call('update-workspace', { params: { wid }, body: { name: 'Yak crew' } });
    expect(renamed.json).toMatchObject({ id: wid, name: 'Yak crew', role: 'owner' });
    expect((await as.admin.call('get-workspace', { params: { wid } })).json).toMatchObject({ name: 'Yak crew', role: 'admin' });
  });

  it('always keeps an owner, and lets only owners touch owners', async () => {
    const { wid, as } = await newTeam(h);
    const self = { wid, principalId: as.owner.sub! };
    const last = await as.owner.call('remove-member', { params: self });
    expectStatus(last, 409, 'remove the last owner');
    expect(last.json.code).toBe('LAST_OWNER');
    expectStatus(await as.owner.call('put-member', { params: self, body: { role: 'admin' } }), 409, 'demote the last owner');
    expectStatus(await as.admin.call('put-member', { params: { wid, principalId: as.admin.sub! }, body: { role: 'owner' } }), 403, 'admin makes itself owner');
    expectStatus(await as.admin.call('remove-member', { params: self }), 403, 'admin removes an owner');
    expectStatus(await as.owner.call('put-member', { params: { wid, principalId: as.admin.sub! }, body: { role: 'owner' } }), 200, 'promote');
    // Two owners now: either may go, not both.
    expectStatus(await as.owner.call('put-member', { params: self, body: { role: 'viewer' } }), 200, 'demote self');
    expectStatus(await as.admin.call('remove-member', { params: { wid, principalId: as.admin.sub! } }), 409, 'the new last owner leaves');
    expectStatus(await as.viewer.call('remove-member', { params: { wid, principalId: as.viewer.sub! } }), 200, 'a viewer leaves');
  });

  it('checks bodies and ids', async () => {
    const { wid, as } = await newTeam(h);
    expectStatus(await as.owner.call('create-workspace', { body: { name: '' } }), 422, 'empty name');
    expectStatus(await as.owner.call('create-workspace', { body: { name: 'x', extra: 1 } }), 422, 'unknown field');
    expectStatus(await as.owner.call('put-member', { params: { wid, principalId: 'x' }, body: { role: 'boss' } }), 422, 'unknown role');
    expectStatus(await as.owner.call('put-member', { params: { wid, principalId: 'a#b' }, body: { role: 'viewer' } }), 422, 'bad principal');
    expectStatus(await as.owner.call('get-workspace', { params: { wid: 'not-a-uuid' } }), 403, 'bad workspace id');
    expectStatus(await as.owner.call('remove-member', { params: { wid, principalId: 'nobody-here' } }), 404, 'not a member');
  });

  it('deletes an empty workspace, and refuses one that holds jobs until they are gone', async () => {
    const { wid, as } = await newTeam(h);
    const id = await createIn(as.member, wid);
    const refused = await as.owner.call('delete-workspace', { params: { wid } });
    expectStatus(refused, 409, 'with a job');
    expect(refused.json.code).toBe('WORKSPACE_NOT_EMPTY');
    expectStatus(await as.member.call('get-job', { id }), 200, 'the job is still there');
    const empty = await newTeam(h);
    expectStatus(await empty.as.owner.call('delete-workspace', { params: { wid: empty.wid } }), 200, 'empty');
    expectStatus(await empty.as.owner.call('get-workspace', { params: { wid: empty.wid } }), 403, 'gone');
    expect((await empty.as.member.call('list-workspaces')).json.items).toEqual([]);
  });

  it('answers GET /api/me with the principal id and kind', async () => {
    const user = h.newUser();
    expect((await user.call('get-me')).json).toEqual({ principalId: user.sub, kind: 'user' });
    const client = h.newClient('jobs/read');
    expect((await client.call('get-me')).json).toEqual({ principalId: client.sub, kind: 'client' });
  });

  it('every route of the table is reachable by name', () => {
    expect(new Set(ROUTES.map((route) => route.name)).size).toBe(ROUTES.length);
  });
});
