/**
 * A workspace with one principal of each role, built through the API (integration harness), and
 * the authorization matrix of issue 11: every workspace route × role with the exact expected code.
 */
import { expect } from 'vitest';
import type { RouteName } from '../../lambdas/api/routes.ts';
import type { ApiResult } from './api-events.ts';
import type { Harness, JobsClient } from './harness.ts';

export const ROLES = ['owner', 'admin', 'member', 'viewer', 'nonMember', 'noToken'] as const;
export type Caller = (typeof ROLES)[number];

export interface Team {
  readonly wid: string;
  readonly as: Readonly<Record<Caller, JobsClient>>;
}

/** `expected` checked with the body in the message, so a wrong code shows why. */
export function expectStatus(response: ApiResult, expected: number, what: string): void {
  expect(response.status, `${what}: ${JSON.stringify(response.json)}`).toBe(expected);
}

/** A workspace owned by a new user, with an admin, a member and a viewer; a non-member; no token. */
export async function newTeam(h: Harness, name = 'Harvest team'): Promise<Team> {
  const owner = h.newUser();
  const created = await owner.call('create-workspace', { body: { name } });
  expectStatus(created, 201, 'create-workspace');
  const wid = created.json.id as string;
  const as: Record<Caller, JobsClient> = {
    owner,
    admin: h.newUser(),
    member: h.newUser(),
    viewer: h.newUser(),
    nonMember: h.newUser(),
    noToken: h.as(null),
  };
  for (const role of ['admin', 'member', 'viewer'] as const) {
    const added = await owner.call('put-member', { params: { wid, principalId: as[role].sub! }, body: { role } });
    expectStatus(added, 201, `add ${role}`);
  }
  return { wid, as };
}

/** Creates an AI_PREVIEW job in the workspace as `client`; its id. */
export async function createIn(client: JobsClient, wid: string, prompt = 'Summarise the harvest'): Promise<string> {
  const response = await client.call('workspace-create-job', { params: { wid }, body: { type: 'AI_PREVIEW', input: { prompt } } });
  expectStatus(response, 202, 'workspace-create-job');
  return response.json.id as string;
}

/** One cell of the matrix: what `caller` gets for the route, given a fresh team when it mutates. */
export interface MatrixRow {
  readonly route: RouteName;
  /** Expected status per caller. */
  readonly expect: Readonly<Record<Caller, number>>;
  /** Sends the request as `caller` on `team` (it may create what it needs first, as the owner). */
  readonly send: (team: Team, caller: Caller, h: Harness) => Promise<ApiResult>;
}

const all = (ok: number, outsider = 403): Record<Caller, number> => ({ owner: ok, admin: ok, member: ok, viewer: ok, nonMember: outsider, noToken: 401 });
const roles = (owner: number, admin: number, member: number, viewer: number): Record<Caller, number> => ({ owner, admin, member, viewer, nonMember: 403, noToken: 401 });

/**
 * The expected code of every workspace route (and GET /api/jobs/{id} on a workspace job) per
 * caller, shared by the integration and the end-to-end matrix. Where a route needs something
 * to act on: delete-workspace on a workspace holding a job (the owner's 409: nothing is lost
 * silently), put-member adding a new principal as viewer, remove-member removing a member,
 * get/status/result on an unfinished job of the owner (result: 409 JOB_NOT_COMPLETED), cancel
 * on the owner's unfinished job (a member may cancel only their own), retry on the owner's
 * cancelled job.
 */
export const EXPECTED: Readonly<Record<string, Readonly<Record<Caller, number>>>> = {
  'get-me': all(200, 200),
  'create-workspace': all(201, 201),
  'list-workspaces': all(200, 200),
  'get-workspace': all(200),
  'update-workspace': roles(200, 403, 403, 403),
  'delete-workspace': roles(409, 403, 403, 403),
  'list-members': all(200),
  'put-member': roles(201, 201, 403, 403),
  'remove-member': roles(200, 200, 403, 403),
  'workspace-create-job': roles(202, 202, 202, 403),
  'workspace-list-jobs': all(200),
  'workspace-get-job': all(200),
  'workspace-get-job-status': all(200),
  'workspace-get-job-result': all(409),
  'workspace-cancel-job': roles(200, 200, 403, 403),
  'workspace-retry-job': roles(202, 202, 403, 403),
  'get-job': all(200, 404),
};

/** The workspace routes' matrix; "another workspace's job is 404" and the rest have tests of their own. */
export const MATRIX: readonly MatrixRow[] = [
  { route: 'get-me', expect: EXPECTED['get-me']!, send: (t, c) => t.as[c].call('get-me') },
  { route: 'create-workspace', expect: EXPECTED['create-workspace']!, send: (t, c) => t.as[c].call('create-workspace', { body: { name: 'Another' } }) },
  { route: 'list-workspaces', expect: EXPECTED['list-workspaces']!, send: (t, c) => t.as[c].call('list-workspaces') },
  { route: 'get-workspace', expect: EXPECTED['get-workspace']!, send: (t, c) => t.as[c].call('get-workspace', { params: { wid: t.wid } }) },
  {
    route: 'update-workspace',
    expect: EXPECTED['update-workspace']!,
    send: (t, c) => t.as[c].call('update-workspace', { params: { wid: t.wid }, body: { name: 'Renamed' } }),
  },
  {
    route: 'delete-workspace',
    // The team's workspace holds a job: the owner gets 409 (nothing is lost silently); the empty case has its own test.
    expect: EXPECTED['delete-workspace']!,
    send: async (t, c) => {
      await createIn(t.as.owner, t.wid);
      return t.as[c].call('delete-workspace', { params: { wid: t.wid } });
    },
  },
  { route: 'list-members', expect: EXPECTED['list-members']!, send: (t, c) => t.as[c].call('list-members', { params: { wid: t.wid } }) },
  {
    route: 'put-member',
    expect: EXPECTED['put-member']!,
    send: (t, c) => t.as[c].call('put-member', { params: { wid: t.wid, principalId: `user-${crypto.randomUUID()}` }, body: { role: 'viewer' } }),
  },
  {
    route: 'remove-member',
    expect: EXPECTED['remove-member']!,
    send: async (t, c) => {
      const principalId = `user-${crypto.randomUUID()}`;
      expectStatus(await t.as.owner.call('put-member', { params: { wid: t.wid, principalId }, body: { role: 'member' } }), 201, 'add');
      return t.as[c].call('remove-member', { params: { wid: t.wid, principalId } });
    },
  },
  {
    route: 'workspace-create-job',
    expect: EXPECTED['workspace-create-job']!,
    send: (t, c) => t.as[c].call('workspace-create-job', { params: { wid: t.wid }, body: { type: 'AI_PREVIEW', input: { prompt: 'matrix' } } }),
  },
  { route: 'workspace-list-jobs', expect: EXPECTED['workspace-list-jobs']!, send: (t, c) => t.as[c].call('workspace-list-jobs', { params: { wid: t.wid } }) },
  ...(['workspace-get-job', 'workspace-get-job-status'] as const).map((route) => ({
    route,
    expect: EXPECTED[route]!,
    send: async (t: Team, c: Caller) => t.as[c].call(route, { params: { wid: t.wid }, id: await createIn(t.as.owner, t.wid) }),
  })),
  {
    route: 'workspace-get-job-result',
    // The job is PENDING: every reader gets the personal route's 409 JOB_NOT_COMPLETED.
    expect: EXPECTED['workspace-get-job-result']!,
    send: async (t, c) => t.as[c].call('workspace-get-job-result', { params: { wid: t.wid }, id: await createIn(t.as.owner, t.wid) }),
  },
  {
    route: 'workspace-cancel-job',
    // The owner's job: a member may cancel only their own.
    expect: EXPECTED['workspace-cancel-job']!,
    send: async (t, c) => t.as[c].call('workspace-cancel-job', { params: { wid: t.wid }, id: await createIn(t.as.owner, t.wid) }),
  },
  {
    route: 'workspace-retry-job',
    expect: EXPECTED['workspace-retry-job']!,
    send: async (t, c) => {
      const id = await createIn(t.as.owner, t.wid);
      expectStatus(await t.as.owner.call('workspace-cancel-job', { params: { wid: t.wid }, id }), 200, 'cancel first');
      return t.as[c].call('workspace-retry-job', { params: { wid: t.wid }, id });
    },
  },
  {
    route: 'get-job',
    // GET /api/jobs/{id} of a workspace job: any member reads it; anyone else gets 404.
    expect: EXPECTED['get-job']!,
    send: async (t, c) => t.as[c].call('get-job', { id: await createIn(t.as.owner, t.wid) }),
  },
];
