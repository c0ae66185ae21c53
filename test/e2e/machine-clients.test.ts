/**
 * End to end, through `npm run dev` over HTTP: machine clients with client-credentials access
 * tokens (`npm run token -- --client <name> --scope "…"`) beside people's ID tokens. The
 * authorization matrix: every route × {person, client with jobs/read, jobs/write, both, no scope,
 * no token}, with the exact code; a refused request changes nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteName } from '../../lambdas/api/routes.ts';
import { Client, UUID, call, issueClientToken, jwtClaims, nonce, type Answer } from '../support/dev-server.ts';
import { useDevServer } from '../support/dev-server-fixture.ts';
import { CALLERS, CLIENT_SCOPES, expectedStatus, READ_ROUTES, type Caller } from '../support/authorization-matrix.ts';
import { keysDir } from '../../lib/local/paths.ts';
import { issueIdToken, loadOrCreateSigningKey, LOCAL_CLIENT_ID } from '../../lib/local/tokens.ts';

const RUN = nonce();
const PERSON = `person-${RUN}`;
const SERVICE = `svc-${RUN}`;
const dev = useDevServer({ users: [PERSON] });

/** What each route answers a caller allowed to call it, on the fixtures below. */
const ALLOWED: Record<RouteName, number> = {
  'create-job': 202,
  'list-jobs': 200,
  'get-job': 200,
  'get-job-status': 200,
  'get-job-result': 200,
  'cancel-job': 200,
  'retry-job': 202,
  'create-upload': 201,
};

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

async function fixturesOf(owner: Client): Promise<Fixtures> {
  const completed = await owner.createJob(`done ${nonce()}`);
  await owner.waitFor(completed, (job) => job.status === 'COMPLETED', 'to complete');
  const schedule = async () => {
    const answer = await owner.call('/api/jobs', {
      method: 'POST',
      body: { type: 'AI_PREVIEW', input: { prompt: `later ${nonce()}` }, runAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(answer.status, answer.text).toBe(202);
    return answer.json.id as string;
  };
  const scheduled = await schedule();
  const cancelled = await schedule();
  expect((await owner.cancel(cancelled)).status).toBe(200);
  return { completed, scheduled, cancelled };
}

function request(route: RouteName, jobs: Fixtures): { path: string; method: string; body?: unknown } {
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
  beforeAll(async () => {
    const service = clientAs('both');
    const [person, write, both, shared] = await Promise.all([fixturesOf(clientAs('person')), fixturesOf(service), fixturesOf(service), fixturesOf(service)]);
    jobsOf.set('person', person).set('write', write).set('both', both);
    refused = shared;
  }, 60_000);

  const cases = CALLERS.flatMap((caller) => ROUTES.map((route) => [caller, route.name, expectedStatus(caller, route.name, ALLOWED[route.name])] as const));

  it.each(cases)('%s calling %s gets %i', async (caller, route, status) => {
    const jobs = jobsOf.get(caller) ?? refused;
    const { path, method, body } = request(route, jobs);
    const answer = await call(url, path, { method, ...(body !== undefined ? { body } : {}), ...(caller === 'anonymous' ? {} : { token: tokens.get(caller)! }) });
    if (status === 401) return expectProblem(answer, 401, 'UNAUTHENTICATED');
    if (status === 403) {
      expectProblem(answer, 403, 'INSUFFICIENT_SCOPE');
      expect(answer.json.requiredScope).toBe(READ_ROUTES.has(route) ? 'jobs/read' : 'jobs/write');
      return;
    }
    expect(answer.status, answer.text).toBe(status);
  });

  it('left the jobs a refused cancel or retry named as they were, and the allowed ones changed theirs', async () => {
    const both = clientAs('both');
    expect((await both.job(refused.scheduled)).status).toBe('PENDING');
    expect((await both.job(refused.cancelled)).status).toBe('CANCELLED');
    for (const caller of ['write', 'both'] as const) {
      expect((await both.job(jobsOf.get(caller)!.scheduled)).status).toBe('CANCELLED');
      expect((await both.job(jobsOf.get(caller)!.cancelled)).status).not.toBe('CANCELLED');
    }
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
