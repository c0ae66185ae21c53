/**
 * End to end, through `npm run dev` over HTTP: machine clients with client-credentials access
 * tokens (`npm run token -- --client <name> --scope "…"`) beside people's ID tokens. The
 * authorization matrix: every route × {person, client with jobs/read, jobs/write, both, no scope,
 * no token}, with the exact code; a refused request changes nothing. The workspace routes act on a
 * workspace the person owns and the clients are not members of: with the route's scope a client
 * gets 403 WORKSPACE_ACCESS_DENIED there, without it 403 INSUFFICIENT_SCOPE.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteName } from '../../lambdas/api/routes.ts';
import { Client, UUID, call, issueClientToken, jwtClaims, nonce, type Answer } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';
import { CALLERS, CLIENT_SCOPES, expectedAnswer, MEMBERS_ONLY_ROUTES, READ_ROUTES, type Caller, type Expected } from '../support/authorization-matrix.ts';
import { keysDir } from '../../lib/local/paths.ts';
import { issueIdToken, loadOrCreateSigningKey, localClientId, LOCAL_CLIENT_ID } from '../../lib/local/tokens.ts';

const RUN = nonce();
const PERSON = `person-${RUN}`;
const SERVICE = `svc-${RUN}`;
const dev = useDevServer({ users: [PERSON] });

/**
 * What each route answers a caller whose token has the route's scope, on the fixtures below: the
 * person owns the workspace (delete-workspace: 409, it holds jobs; nothing is lost silently).
 */
const ALLOWED: Record<RouteName, number> = {
  'create-job': 202,
  'list-jobs': 200,
  'get-job': 200,
  'get-job-status': 200,
  'get-job-result': 200,
  'cancel-job': 200,
  'retry-job': 202,
  'create-upload': 201,
  'get-me': 200,
  'create-workspace': 201,
  'list-workspaces': 200,
  'get-workspace': 200,
  'update-workspace': 200,
  'delete-workspace': 409,
  'list-members': 200,
  'put-member': 201,
  'remove-member': 200,
  'workspace-create-job': 202,
  'workspace-list-jobs': 200,
  'workspace-get-job': 200,
  'workspace-get-job-status': 200,
  'workspace-get-job-result': 200,
  'workspace-cancel-job': 200,
  'workspace-retry-job': 202,
};

/** The answer for the matrix: a client is no member of the person's workspace. */
function expected(caller: Caller, route: RouteName): Expected {
  const outsider = caller !== 'person' && MEMBERS_ONLY_ROUTES.has(route);
  return expectedAnswer(caller, route, outsider ? { status: 403, code: 'WORKSPACE_ACCESS_DENIED' } : ALLOWED[route]);
}

const tokens = new Map<Caller, string>();
let url: string;

beforeAll(async () => {
  url = dev.server.url;
  tokens.set('person', dev.token(PERSON));
  const clients = Object.entries(CLIENT_SCOPES) as [keyof typeof CLIENT_SCOPES, string][];
  // The README's command (npm) once; the others run bin/token.ts directly.
  const issued = await Promise.all(clients.map(([, scope], index) => issueClientToken(dev.dataDir, SERVICE, scope, { npm: index === 0 })));
  clients.forEach(([caller], index) => tokens.set(caller, issued[index]!));
}, 120_000);

const clientAs = (caller: Caller) => new Client(url, tokens.get(caller) ?? '');

/** The jobs one owner's requests act on: a finished one, one scheduled far ahead, a cancelled one. */
interface Fixtures {
  readonly completed: string;
  readonly scheduled: string;
  readonly cancelled: string;
}

/** The jobs, personal (`jobsPath` `/api/jobs`) or in a workspace (`/api/workspaces/{wid}/jobs`). */
async function fixturesOf(owner: Client, jobsPath = '/api/jobs'): Promise<Fixtures> {
  const created = await owner.call(jobsPath, { method: 'POST', body: { type: 'AI_PREVIEW', input: { prompt: `done ${nonce()}` } } });
  expect(created.status, created.text).toBe(202);
  const completed = created.json.id as string;
  await owner.waitFor(completed, (job) => job.status === 'COMPLETED', 'to complete');
  const schedule = async () => {
    const answer = await owner.call(jobsPath, {
      method: 'POST',
      body: { type: 'AI_PREVIEW', input: { prompt: `later ${nonce()}` }, runAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(answer.status, answer.text).toBe(202);
    return answer.json.id as string;
  };
  const scheduled = await schedule();
  const cancelled = await schedule();
  expect((await owner.call(`${jobsPath}/${cancelled}/cancel`, { method: 'POST' })).status).toBe(200);
  return { completed, scheduled, cancelled };
}

/** The person's workspace: its id, a member the person may remove, and its jobs per caller. */
interface Workspace {
  readonly wid: string;
  readonly leaving: string;
  readonly jobs: Fixtures;
}

function request(route: RouteName, jobs: Fixtures, ws: Workspace): { path: string; method: string; body?: unknown } {
  const base = `/api/workspaces/${ws.wid}`;
  switch (route) {
    case 'create-job':
      return { method: 'POST', path: '/api/jobs', body: { type: 'AI_PREVIEW', input: { prompt: `new ${nonce()}` } } };
    case 'list-jobs':
      return { method: 'GET', path: '/api/jobs' };
    case 'get-job':
      return { method: 'GET', path: `/api/jobs/${jobs.completed}` };
    case 'get-job-status':
      return { method: 'GET', path: `/api/jobs/${jobs.completed}/status` };
    case 'get-job-result':
      return { method: 'GET', path: `/api/jobs/${jobs.completed}/result` };
    case 'cancel-job':
      return { method: 'POST', path: `/api/jobs/${jobs.scheduled}/cancel` };
    case 'retry-job':
      return { method: 'POST', path: `/api/jobs/${jobs.cancelled}/retry` };
    case 'create-upload':
      return { method: 'POST', path: '/api/uploads', body: { name: 'plan.pdf', contentType: 'application/pdf', size: 1024 } };
    case 'get-me':
      return { method: 'GET', path: '/api/me' };
    case 'create-workspace':
      return { method: 'POST', path: '/api/workspaces', body: { name: `made ${nonce()}` } };
    case 'list-workspaces':
      return { method: 'GET', path: '/api/workspaces' };
    case 'get-workspace':
      return { method: 'GET', path: base };
    case 'update-workspace':
      return { method: 'PATCH', path: base, body: { name: `renamed ${nonce()}` } };
    case 'delete-workspace':
      return { method: 'DELETE', path: base };
    case 'list-members':
      return { method: 'GET', path: `${base}/members` };
    case 'put-member':
      return { method: 'PUT', path: `${base}/members/user-${crypto.randomUUID()}`, body: { role: 'viewer' } };
    case 'remove-member':
      return { method: 'DELETE', path: `${base}/members/${ws.leaving}` };
    case 'workspace-create-job':
      return { method: 'POST', path: `${base}/jobs`, body: { type: 'AI_PREVIEW', input: { prompt: `new ${nonce()}` } } };
    case 'workspace-list-jobs':
      return { method: 'GET', path: `${base}/jobs` };
    case 'workspace-get-job':
      return { method: 'GET', path: `${base}/jobs/${ws.jobs.completed}` };
    case 'workspace-get-job-status':
      return { method: 'GET', path: `${base}/jobs/${ws.jobs.completed}/status` };
    case 'workspace-get-job-result':
      return { method: 'GET', path: `${base}/jobs/${ws.jobs.completed}/result` };
    case 'workspace-cancel-job':
      return { method: 'POST', path: `${base}/jobs/${ws.jobs.scheduled}/cancel` };
    case 'workspace-retry-job':
      return { method: 'POST', path: `${base}/jobs/${ws.jobs.cancelled}/retry` };
  }
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json).toMatchObject({ status, code, detail: expect.any(String), requestId: expect.stringMatching(UUID) });
}

describe('the token command for machine clients', () => {
  it('prints a client-credentials access token: sub and client_id are the client id, scope as asked', () => {
    const claims = jwtClaims(tokens.get('read')!);
    expect(claims).toMatchObject({ token_use: 'access', scope: 'jobs/read', sub: claims.client_id });
    expect(claims.client_id).toMatch(/^[a-z0-9]{26}$/);
    expect(claims).not.toHaveProperty('username');
    // The same name is the same client whatever the scopes.
    for (const caller of ['write', 'both', 'none'] as const) expect(jwtClaims(tokens.get(caller)!).client_id).toBe(claims.client_id);
  });
});

describe('the authorization matrix: every route × every kind of caller', () => {
  // Each caller that may cancel and retry acts on jobs of its own; the refused ones all on `refused`.
  const jobsOf = new Map<Caller, Fixtures>();
  let refused: Fixtures;
  // The person's workspace: the person's own workspace jobs, and the ones every refused call names.
  let mine: Workspace;
  let others: Workspace;
  beforeAll(async () => {
    const service = clientAs('both');
    const person = clientAs('person');
    const made = await person.call('/api/workspaces', { method: 'POST', body: { name: `matrix ${RUN}` } });
    expect(made.status, made.text).toBe(201);
    const wid = made.json.id as string;
    const leaving = `user-${crypto.randomUUID()}`;
    const added = await person.call(`/api/workspaces/${wid}/members/${leaving}`, { method: 'PUT', body: { role: 'member' } });
    expect(added.status, added.text).toBe(201);
    const jobsPath = `/api/workspaces/${wid}/jobs`;
    const [own, write, both, shared, inWorkspace, refusedInWorkspace] = await Promise.all([
      fixturesOf(person),
      fixturesOf(service),
      fixturesOf(service),
      fixturesOf(service),
      fixturesOf(person, jobsPath),
      fixturesOf(person, jobsPath),
    ]);
    jobsOf.set('person', own).set('write', write).set('both', both);
    refused = shared;
    mine = { wid, leaving, jobs: inWorkspace };
    others = { wid, leaving, jobs: refusedInWorkspace };
  }, 90_000);

  const cases = CALLERS.flatMap((caller) => ROUTES.map((route) => [caller, route.name, expected(caller, route.name)] as const));

  it.each(cases)('%s calling %s gets %o', async (caller, route, answerExpected) => {
    const jobs = jobsOf.get(caller) ?? refused;
    const { path, method, body } = request(route, jobs, caller === 'person' ? mine : others);
    const answer = await call(url, path, { method, ...(body !== undefined ? { body } : {}), ...(caller === 'anonymous' ? {} : { token: tokens.get(caller)! }) });
    const { status, code } = answerExpected;
    if (code === undefined) return void expect(answer.status, answer.text).toBe(status);
    expectProblem(answer, status, code);
    if (code === 'INSUFFICIENT_SCOPE') expect(answer.json.requiredScope).toBe(READ_ROUTES.has(route) ? 'jobs/read' : 'jobs/write');
  });

  it('left the jobs a refused cancel or retry named as they were, and the allowed ones changed theirs', async () => {
    const both = clientAs('both');
    expect((await both.job(refused.scheduled)).status).toBe('PENDING');
    expect((await both.job(refused.cancelled)).status).toBe('CANCELLED');
    for (const caller of ['write', 'both'] as const) {
      expect((await both.job(jobsOf.get(caller)!.scheduled)).status).toBe('CANCELLED');
      expect((await both.job(jobsOf.get(caller)!.cancelled)).status).not.toBe('CANCELLED');
    }
    // In the workspace: the clients' refused calls left its jobs, name and members as they were.
    const person = clientAs('person');
    expect((await person.job(others.jobs.scheduled)).status).toBe('PENDING');
    expect((await person.job(others.jobs.cancelled)).status).toBe('CANCELLED');
    expect((await person.job(mine.jobs.scheduled)).status).toBe('CANCELLED');
    expect((await person.job(mine.jobs.cancelled)).status).not.toBe('CANCELLED');
    const members = await person.call(`/api/workspaces/${mine.wid}/members`);
    expect(members.status, members.text).toBe(200);
    const ids = JSON.stringify(members.json);
    expect(ids).not.toContain(mine.leaving);
    expect(ids).not.toContain(localClientId(SERVICE));
  });
});

describe('principals', () => {
  it("a client's jobs are its own: a person does not see them, and it does not see a person's", async () => {
    const service = clientAs('both');
    const person = clientAs('person');
    const serviceJob = await service.createJob(`mine ${nonce()}`);
    const personJob = await person.createJob(`mine ${nonce()}`);
    expectProblem(await person.get(serviceJob), 404, 'JOB_NOT_FOUND');
    expectProblem(await service.get(personJob), 404, 'JOB_NOT_FOUND');
    const listed = (await service.allJobs()).map((job) => job.id);
    expect(listed).toContain(serviceJob);
    expect(listed).not.toContain(personJob);
  });

  it("refuses a person's access token (people use ID tokens) and a client token with a forged signature", async () => {
    const key = loadOrCreateSigningKey(keysDir(dev.dataDir));
    const personAccess = issueIdToken(key, PERSON, {
      overrides: { token_use: 'access', client_id: LOCAL_CLIENT_ID, username: PERSON, scope: 'jobs/read jobs/write', aud: undefined },
    });
    expectProblem(await call(url, '/api/jobs', { token: personAccess }), 401, 'UNAUTHENTICATED');
    const forged = tokens.get('both')!.replace(/\.[^.]+$/, '.c2lnbmF0dXJl');
    expectProblem(await call(url, '/api/jobs', { token: forged }), 401, 'UNAUTHENTICATED');
  });
});
