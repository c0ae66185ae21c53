/**
 * The OpenAPI document: the committed openapi.json is what the generator writes from the code
 * today, a standard linter (@redocly/cli) finds no error in it, and it covers every route, job
 * type and problem code with the route's scope.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeScope } from '../../../lambdas/api/routes.ts';
import { PROBLEM_TITLES } from '../../../lambdas/http/problem.ts';
import { JOB_TYPE_DEFINITIONS } from '../../../lambdas/job-types/definitions.ts';
import { openApiDocument, serializeDocument } from '../../../lib/openapi/document.ts';
import { pascal } from '../../../lib/openapi/schemas.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const committed = () => readFileSync(`${ROOT}openapi.json`, 'utf8');

let generated: Record<string, any>;
beforeAll(async () => {
  generated = await openApiDocument();
});

describe('openapi.json', () => {
  it('is what `npm run openapi` generates from the code now', () => {
    const fresh = serializeDocument(generated);
    expect(committed() === fresh, 'openapi.json is stale: run `npm run openapi` and commit openapi.json').toBe(true);
  });

  it('passes `redocly lint` with no errors and no warnings', async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(`${ROOT}node_modules/.bin/redocly`, ['lint', 'openapi.json', '--format', 'stylish'], { cwd: ROOT, timeout: 60_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/Your API description is valid/);
    expect(output).not.toMatch(/You have \d+ warnings?/);
  }, 60_000);

  it('has one operation per route, with its summary and the scope its token needs', () => {
    for (const route of ROUTES) {
      const operation = generated.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(operation.summary).toBe(route.summary);
      expect(operation.security).toEqual([{ cognitoIdToken: [] }, { clientCredentials: [routeScope(route.name)] }]);
    }
    const operations = Object.values(generated.paths as Record<string, object>).flatMap((methods) => Object.keys(methods));
    expect(operations).toHaveLength(ROUTES.length);
  });

  it("documents every job type's input (a create request variant) and result", () => {
    const variants = generated.components.schemas.CreateJobRequest.anyOf.map((variant: { $ref: string }) => variant.$ref);
    for (const type of JOB_TYPE_DEFINITIONS) {
      const name = pascal(type.name);
      expect(variants).toContain(`#/components/schemas/Create${name}Job`);
      expect(generated.components.schemas[`Create${name}Job`].properties.type.const).toBe(type.name);
      expect(generated.components.schemas[`${name}Result`]).toBeDefined();
    }
  });

  it('lists every problem code, and each route answers 401 and 403 as problems', () => {
    expect(generated.components.schemas.Problem.properties.code.enum).toEqual(Object.keys(PROBLEM_TITLES));
    for (const route of ROUTES) {
      const responses = generated.paths[route.path][route.method.toLowerCase()].responses;
      expect(responses['401'].$ref).toBe('#/components/responses/Unauthenticated401');
      expect(responses['403'].$ref).toMatch(/^#\/components\/responses\/InsufficientScope/);
    }
  });

  it('declares the headers a poller and a retrying client rely on', () => {
    const create = generated.paths['/api/jobs'].post;
    expect(Object.keys(create.responses['202'].headers)).toEqual(expect.arrayContaining(['Location', 'Retry-After']));
    expect(Object.keys(create.responses['200'].headers)).toContain('Idempotent-Replayed');
    expect(create.parameters.map((parameter: { name: string }) => parameter.name)).toContain('Idempotency-Key');
    const get = generated.paths['/api/jobs/{id}'].get;
    expect(Object.keys(get.responses['200'].headers)).toEqual(expect.arrayContaining(['ETag', 'Retry-After']));
    expect(get.responses['304']).toBeDefined();
    expect(get.parameters.map((parameter: { name: string }) => parameter.name)).toContain('If-None-Match');
  });
});
