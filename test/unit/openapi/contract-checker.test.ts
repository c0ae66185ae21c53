/**
 * The contract checker the e2e helper runs on every answer: it passes a conforming answer and
 * names what differs in one that is not (a missing field, an undocumented status, a missing
 * header, a problem code the route does not answer).
 */
import { describe, expect, it } from 'vitest';
import { createJob, toView } from '../../../lambdas/domain/job.ts';
import { problem } from '../../../lambdas/http/problem.ts';
import { testLifecycle } from '../../support/fakes.ts';
import { contractViolations } from '../../support/openapi-contract.ts';

const spec = { id: crypto.randomUUID(), ownerId: 'alice', type: 'AI_PREVIEW', input: { prompt: 'hi' }, priority: 'normal', maxAttempts: 3 } as const;
const job = toView(createJob(spec, new Date(), testLifecycle));

function answer(status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json') {
  return {
    status,
    headers: new Headers({ 'Content-Type': contentType, 'X-Request-Id': 'r1', 'Cache-Control': 'no-store', ...headers }),
    text: body === undefined ? '' : JSON.stringify(body),
  };
}

const accepted = { Location: `/api/jobs/${job.id}`, 'Retry-After': '3' };

describe('the contract checker', () => {
  it('passes a 202 job record with its Location and Retry-After', () => {
    expect(contractViolations('POST', '/api/jobs', answer(202, job, accepted))).toEqual([]);
  });

  it('names a missing field, an extra field and a wrong type', () => {
    const { createdBy: _dropped, ...partial } = job;
    expect(contractViolations('POST', '/api/jobs', answer(202, partial, accepted)).join('\n')).toMatch(/createdBy/);
    expect(contractViolations('POST', '/api/jobs', answer(202, { ...job, owner: 'alice' }, accepted)).join('\n')).toMatch(/additional/);
    expect(contractViolations('POST', '/api/jobs', answer(202, { ...job, attempts: '0' }, accepted)).join('\n')).toMatch(/attempts/);
  });

  it('names a missing required header and an undocumented status', () => {
    expect(contractViolations('POST', '/api/jobs', answer(202, job, { 'Retry-After': '3' }))).toEqual(['header Location is missing']);
    expect(contractViolations('GET', `/api/jobs/${job.id}`, answer(418, job))[0]).toMatch(/status 418 is not documented/);
  });

  it('checks a problem: its content type and a code the route answers with that status', () => {
    const missing = problem(404, 'JOB_NOT_FOUND', 'No job', 'r1');
    expect(contractViolations('GET', `/api/jobs/${job.id}`, answer(404, missing, {}, 'application/problem+json'))).toEqual([]);
    expect(contractViolations('GET', `/api/jobs/${job.id}`, answer(404, missing)).join('\n')).toMatch(/content type "application\/json"/);
    const wrongCode = problem(404, 'MEMBER_NOT_FOUND', 'No member', 'r1');
    expect(contractViolations('GET', `/api/jobs/${job.id}`, answer(404, wrongCode, {}, 'application/problem+json')).join('\n')).toMatch(/code/);
  });

  it('names a request body the API accepted but the document refuses', () => {
    const created = answer(202, job, accepted);
    expect(contractViolations('POST', '/api/jobs', created, JSON.stringify({ type: 'AI_PREVIEW', input: { prompt: 'hi' } }))).toEqual([]);
    const undocumented = JSON.stringify({ type: 'AI_PREVIEW', input: { prompt: 'hi' }, colour: 'blue' });
    expect(contractViolations('POST', '/api/jobs', created, undocumented).join('\n')).toMatch(/accepted a request body the document refuses/);
  });

  it("checks the gateway's answers for paths and methods with no route as its problems", () => {
    const notFound = problem(404, 'ROUTE_NOT_FOUND', 'No route', 'r1');
    expect(contractViolations('GET', '/api/nothing', answer(404, notFound, {}, 'application/problem+json'))).toEqual([]);
    expect(contractViolations('GET', '/api/nothing', answer(404, { message: 'nope' })).length).toBeGreaterThan(0);
    // Refused by the HTTP parser before any routing: a problem whatever the path.
    const tooLong = problem(414, 'URI_TOO_LONG', 'URL too long', 'r1');
    expect(contractViolations('GET', '/api/jobs?status=xxxx', answer(414, tooLong, {}, 'application/problem+json'))).toEqual([]);
  });
});
