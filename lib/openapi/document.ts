/**
 * The OpenAPI 3.1 document of the API, generated from the route table (lambdas/api/routes.ts),
 * the job types' input and result schemas (lambdas/job-types) and the body schemas of
 * ./schemas.ts, with the problems of ./problems.ts. `npm run openapi` writes it to openapi.json;
 * the local gateway serves it at GET /openapi.json. Build-time only: no function bundles this
 * (test/infra/bundle-boundary.test.ts).
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ROUTES, routeScope, type RouteName } from '../../lambdas/api/routes.ts';
import { IDEMPOTENCY } from '../../lambdas/domain/fingerprints.ts';
import { JOB_PRIORITIES, JOB_STATUSES, MAX_POLL_INTERVAL_SECONDS, POLL_INTERVAL_SECONDS } from '../../lambdas/domain/job.ts';
import type { JobTypeDefinition } from '../../lambdas/domain/job-types.ts';
import { LIST_ORDERS, LIST_SORTS } from '../../lambdas/domain/ports.ts';
import { JOB_SCOPES } from '../../lambdas/http/principal.ts';
import { PROBLEM_CONTENT_TYPE, type ProblemCode } from '../../lambdas/http/problem.ts';
import { REQUEST_ID_HEADER } from '../../lambdas/http/responses.ts';
import { JOB_TYPE_DEFINITIONS } from '../../lambdas/job-types/definitions.ts';
import { loadJobTypeResults } from '../../lambdas/job-types/results.ts';
import { LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT } from '../../lambdas/use-cases/list-jobs.ts';
import { RETRY_AFTER_CODES, routeProblems, workspaceVariants } from './problems.ts';
import * as bodies from './schemas.ts';

/** A job type as the document shows it: its definition and its result schema. */
export interface DocumentedJobType {
  readonly definition: JobTypeDefinition;
  readonly result: z.ZodType;
}

/** Every job type with its result schema (its folder's result.ts); throws for a type without one. */
export async function documentedJobTypes(): Promise<DocumentedJobType[]> {
  return (await loadJobTypeResults(JOB_TYPE_DEFINITIONS)).map(({ definition, result }) => ({ definition, result }));
}

type HeaderName = 'Location' | 'Retry-After' | 'ETag' | 'Cache-Control' | 'Idempotent-Replayed' | 'X-Request-Id';

const HEADERS: Record<HeaderName, { description: string; schema: Record<string, unknown> }> = {
  'X-Request-Id': { description: 'The request id; quote it when reporting a problem', schema: { type: 'string' } },
  Location: { description: 'The URL of the created resource, relative to the API', schema: { type: 'string' } },
  'Retry-After': {
    description: `Seconds to wait before asking again (polling: ${POLL_INTERVAL_SECONDS}, or until a scheduled job starts, at most ${MAX_POLL_INTERVAL_SECONDS})`,
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  ETag: { description: 'A strong entity tag of the body: send it back in If-None-Match to get a 304 while nothing changed', schema: { type: 'string' } },
  'Cache-Control': { description: '`no-store`, or `private, no-cache` on a GET that has an ETag', schema: { type: 'string' } },
  [IDEMPOTENCY.replayedHeader]: {
    description: `\`true\`: the answer to a repeat of an earlier request with the same ${IDEMPOTENCY.header} (the job as it is now)`,
    schema: { type: 'string', enum: ['true'] },
  },
};

/** A header's component name: `Location`, or `LocationOptional` when it may be absent. */
const headerComponent = (name: HeaderName, required: boolean) => `${name}${required ? '' : 'Optional'}`;

/**
 * Response headers: `required` ones must be there. A function's answers always carry X-Request-Id
 * and Cache-Control; the gateway's own problems (401, 502, 504…) need not.
 */
function headers(required: readonly HeaderName[] = [], optional: readonly HeaderName[] = [], fromFunction = true) {
  const all: [HeaderName, boolean][] = [
    [REQUEST_ID_HEADER as HeaderName, fromFunction],
    ['Cache-Control', fromFunction],
    ...required.map((name): [HeaderName, boolean] => [name, true]),
    ...optional.map((name): [HeaderName, boolean] => [name, false]),
  ];
  return Object.fromEntries(all.map(([name, isRequired]) => [name, { $ref: `#/components/headers/${headerComponent(name, isRequired)}` }]));
}

/** The headers `answers` refer to, as components. */
function headerComponents(answers: unknown) {
  const text = JSON.stringify(answers);
  return Object.fromEntries(
    Object.entries(HEADERS)
      .flatMap(([name, header]) => [
        [headerComponent(name as HeaderName, true), { ...header, required: true }],
        [headerComponent(name as HeaderName, false), header],
      ])
      .filter(([name]) => text.includes(`"#/components/headers/${name as string}"`)),
  );
}

/** A problem answer: its status and codes (the name of its component, e.g. `JobNotFound`). */
function problemResponse(status: number, codes: readonly ProblemCode[]): ZodOpenApiResponseObject {
  const retry = codes.some((code) => RETRY_AFTER_CODES.includes(code));
  return {
    description: codes.join(', '),
    headers: headers([], retry ? ['Retry-After'] : [], false),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { allOf: [{ $ref: '#/components/schemas/Problem' }, { type: 'object', properties: { status: { const: status }, code: { enum: [...codes] } } }] },
      },
    },
  };
}

const problemComponent = (status: number, codes: readonly ProblemCode[]) => `${codes.map(bodies.pascal).join('Or')}${status}`;

interface Success {
  readonly status: number;
  readonly description: string;
  readonly schema: z.ZodType;
  readonly required?: readonly HeaderName[];
  readonly optional?: readonly HeaderName[];
}

interface OperationSpec {
  readonly tag: 'Jobs' | 'Uploads' | 'Workspaces' | 'Workspace jobs';
  readonly description: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodObject;
  readonly path?: z.ZodObject;
  /** Takes an Idempotency-Key header. */
  readonly idempotent?: boolean;
  readonly success: readonly Success[];
}

const jobIdPath = z.object({ id: z.guid().meta({ description: 'The job id' }) });
const workspacePath = z.object({ wid: z.string().meta({ description: 'The workspace id (a UUID); anything else reads as a workspace the caller is not in (403)' }) });
const memberPath = workspacePath.extend({ principalId: z.string().meta({ description: 'A principal id as GET /api/me answers it (URL-encoded)' }) });

function listQuery() {
  return z.object({
    status: z.enum(JOB_STATUSES).optional(),
    type: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/).optional().meta({ description: 'A job type name, e.g. AI_PREVIEW' }),
    priority: z.array(z.enum(JOB_PRIORITIES)).optional().meta({ description: 'Repeat it for several: ?priority=high&priority=urgent' }),
    sort: z.enum(LIST_SORTS).optional().meta({ description: 'createdAt (default) or updatedAt' }),
    order: z.enum(LIST_ORDERS).optional().meta({ description: 'desc (default, newest first) or asc' }),
    limit: z.int().min(1).max(LIST_MAX_LIMIT).optional().meta({ description: `Items per page (default ${LIST_DEFAULT_LIMIT})` }),
    cursor: z.string().min(1).optional().meta({ description: 'The nextCursor of the previous page, unchanged' }),
  });
}

/** Each route's bodies and answers (its problems are in problems.ts). */
function operationSpecs(types: readonly DocumentedJobType[]): Record<RouteName, OperationSpec> {
  const results = types.map(({ definition, result }) => result.meta({ id: `${bodies.pascal(definition.name)}Result`, description: `The result of a ${definition.name} job` }));
  const jobs = bodies.jobSchemas(z.union(results).meta({ id: 'AnyJobResult', description: "One of the job types' results (that of the job's type)" }));
  const createRequest = bodies.createJobRequestSchema(types.map((type) => type.definition));
  const location: HeaderName[] = ['Location'];
  /** The 200 of a request repeated with the same Idempotency-Key (create and retry). */
  const replayed = (description: string) =>
    ({ status: 200, description, schema: jobs.job, required: [...location, IDEMPOTENCY.replayedHeader], optional: ['Retry-After', 'ETag'] }) as const;
  const personal = {
    'create-job': {
      tag: 'Jobs',
      description: 'Validates the request against its job type\'s input schema and queues the job. Poll its Location every 3 seconds (or as Retry-After says).',
      body: createRequest,
      idempotent: true,
      success: [
        { status: 202, description: 'Created PENDING and queued', schema: jobs.job, required: [...location, 'Retry-After'] },
        { status: 201, description: 'Created COMPLETED with an earlier result (`reuse`)', schema: jobs.job, required: location },
        replayed(`A repeat of an earlier request with the same ${IDEMPOTENCY.header}: that job, as it is now`),
      ],
    },
    'list-jobs': { tag: 'Jobs', description: 'Cursor-paginated.', query: listQuery(), success: [{ status: 200, description: 'A page of jobs', schema: jobs.list }] },
    'get-job': { tag: 'Jobs', description: 'Retry-After while the job is unfinished.', path: jobIdPath, success: [{ status: 200, description: 'The job', schema: jobs.job, optional: ['Retry-After'] }] },
    'get-job-status': { tag: 'Jobs', description: 'No result, no payload read: the cheapest poll.', path: jobIdPath, success: [{ status: 200, description: 'The job\'s status', schema: bodies.JobStatusViewSchema, optional: ['Retry-After'] }] },
    'get-job-result': { tag: 'Jobs', description: '409 JOB_NOT_COMPLETED until the job is COMPLETED.', path: jobIdPath, success: [{ status: 200, description: 'The result', schema: jobs.result }] },
    'cancel-job': { tag: 'Jobs', description: 'A PROCESSING attempt is abandoned at its next step.', path: jobIdPath, success: [{ status: 200, description: 'The CANCELLED job', schema: jobs.job }] },
    'retry-job': {
      tag: 'Jobs',
      description: 'Only a FAILED or CANCELLED job; its attempts start again.',
      path: jobIdPath,
      idempotent: true,
      success: [
        { status: 202, description: 'PENDING again and queued', schema: jobs.job, required: [...location, 'Retry-After'] },
        replayed(`A repeat with the same ${IDEMPOTENCY.header}`),
      ],
    },
  } as const satisfies Record<string, OperationSpec>;
  type Personal = keyof typeof personal;
  const inWorkspace = (name: Personal): OperationSpec => {
    const spec: OperationSpec = personal[name];
    return { ...spec, tag: 'Workspace jobs', path: spec.path ? workspacePath.extend(spec.path.shape) : workspacePath };
  };
  return {
    ...personal,
    'create-upload': {
      tag: 'Uploads',
      description: 'PUT the file to `url` with `headers`, then name the uploadId in a job input.',
      body: bodies.UploadRequestSchema,
      success: [{ status: 201, description: 'Where and how to PUT the file', schema: bodies.UploadTicketSchema }],
    },
    'get-me': { tag: 'Workspaces', description: 'No AWS call.', success: [{ status: 200, description: 'The caller', schema: bodies.MeSchema }] },
    'create-workspace': { tag: 'Workspaces', description: 'The caller becomes its owner.', body: bodies.WorkspaceNameSchema, success: [{ status: 201, description: 'The workspace', schema: bodies.WorkspaceSchema, required: location }] },
    'list-workspaces': { tag: 'Workspaces', description: 'By name.', success: [{ status: 200, description: "The caller's workspaces", schema: bodies.WorkspaceListSchema }] },
    'get-workspace': { tag: 'Workspaces', description: 'Members only.', path: workspacePath, success: [{ status: 200, description: 'The workspace', schema: bodies.WorkspaceSchema }] },
    'update-workspace': { tag: 'Workspaces', description: 'Owners rename; admins and owners raise jobShards.', path: workspacePath, body: bodies.WorkspaceChangesSchema, success: [{ status: 200, description: 'The changed workspace', schema: bodies.WorkspaceSchema }] },
    'delete-workspace': { tag: 'Workspaces', description: 'Owners only; 409 WORKSPACE_NOT_EMPTY while it holds jobs.', path: workspacePath, success: [{ status: 200, description: 'Deleted', schema: bodies.WorkspaceDeletedSchema }] },
    'list-members': { tag: 'Workspaces', description: 'Any member may read it.', path: workspacePath, success: [{ status: 200, description: 'The members', schema: bodies.MemberListSchema }] },
    'put-member': {
      tag: 'Workspaces',
      description: 'Admins manage members, owners also owners.',
      path: memberPath,
      body: bodies.MemberRoleSchema,
      success: [
        { status: 201, description: 'Added', schema: bodies.MemberSchema },
        { status: 200, description: 'Role changed (or unchanged)', schema: bodies.MemberSchema },
      ],
    },
    'remove-member': { tag: 'Workspaces', description: 'Anyone may leave; never the last owner.', path: memberPath, success: [{ status: 200, description: 'Removed', schema: bodies.MemberRemovedSchema }] },
    ...workspaceVariants(personal, inWorkspace),
  };
}

/** The answers of one route: its successes, a 304 for a GET, and its problems by status. */
function responses(name: RouteName, method: string, spec: OperationSpec): ZodOpenApiResponsesObject {
  const answers: ZodOpenApiResponsesObject = {};
  for (const success of spec.success) {
    // Every 200 of a GET carries an ETag (lambdas/http/responses.ts `conditional`).
    const required = method === 'GET' && success.status === 200 ? [...(success.required ?? []), 'ETag' as const] : success.required;
    answers[String(success.status) as '200'] = {
      description: success.description,
      headers: headers(required, success.optional),
      content: { 'application/json': { schema: success.schema } },
    };
  }
  if (method === 'GET') {
    answers['304'] = { description: 'Not modified: If-None-Match named the current ETag (no body)', headers: headers(['ETag'], ['Retry-After']) };
  }
  for (const [status, codes] of routeProblems(name)) {
    answers[String(status) as '400'] = { $ref: `#/components/responses/${problemComponent(status, codes)}` };
  }
  return answers;
}

function operation(route: (typeof ROUTES)[number], spec: OperationSpec): ZodOpenApiOperationObject {
  const header = z.object({
    ...(spec.idempotent
      ? {
          [IDEMPOTENCY.header]: z
            .string()
            .regex(IDEMPOTENCY.keyPattern)
            .optional()
            .meta({ description: `1 to ${IDEMPOTENCY.maxKeyChars} visible ASCII characters, e.g. a UUID: a repeat within 24 hours gets the first answer's job` }),
        }
      : {}),
    ...(route.method === 'GET' ? { 'If-None-Match': z.string().optional().meta({ description: 'An ETag of an earlier answer: 304 while it still matches' }) } : {}),
  });
  return {
    operationId: camel(route.name),
    summary: route.summary,
    description: spec.description,
    tags: [spec.tag],
    security: [{ cognitoIdToken: [] }, { clientCredentials: [routeScope(route.name)] }],
    requestParams: {
      ...(spec.path ? { path: spec.path } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(Object.keys(header.shape).length > 0 ? { header } : {}),
    },
    ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: spec.body } } } } : {}),
    responses: responses(route.name, route.method, spec),
  };
}

/** The whole document, as `npm run openapi` writes it. */
export async function openApiDocument(types?: readonly DocumentedJobType[]): Promise<Record<string, unknown>> {
  const specs = operationSpecs(types ?? (await documentedJobTypes()));
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const route of ROUTES) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route, specs[route.name]) };
  }
  const problems = Object.fromEntries(
    ROUTES.flatMap((route) => [...routeProblems(route.name)].map(([status, codes]) => [problemComponent(status, codes), problemResponse(status, codes)])),
  );
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Async jobs API',
      version: '1.0.0',
      description:
        'Create jobs, poll them (GET /api/jobs/{id} every 3 seconds, or as Retry-After says) and read their results. ' +
        'Errors are RFC 9457 problem details (application/problem+json) with a stable `code`. Generated from the route table ' +
        'and the zod schemas by `npm run openapi`; do not edit openapi.json by hand.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: 'http://127.0.0.1:3000', description: '`npm run dev` (local runtime)' },
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'A deployed stack (the ApiUrl output)',
        variables: { restApiId: { default: 'abc123' }, region: { default: 'us-east-1' }, stage: { default: 'prod' } },
      },
    ],
    tags: [
      { name: 'Jobs', description: "The caller's personal jobs" },
      { name: 'Uploads', description: 'Documents up to 4.5 MB for job inputs' },
      { name: 'Workspaces', description: 'Teams that share jobs, with roles' },
      { name: 'Workspace jobs', description: "A workspace's jobs: the job routes under /api/workspaces/{wid}" },
    ],
    security: [{ cognitoIdToken: [] }, { clientCredentials: [] }],
    paths,
    components: {
      schemas: { Problem: bodies.ProblemSchema },
      headers: headerComponents([paths, problems]),
      responses: problems,
      securitySchemes: {
        cognitoIdToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A person: the Cognito user pool ID token (locally: `npm run token -- <username>`). Holds every scope.',
        },
        clientCredentials: {
          type: 'oauth2',
          description:
            "A machine client: an access token of the user pool's OAuth 2.0 client-credentials grant (locally: `npm run token -- --client <name> --scope \"jobs/read\"`). " +
            'The token URL is the stack\'s Cognito domain + /oauth2/token.',
          flows: {
            clientCredentials: {
              tokenUrl: 'https://jobs-ACCOUNT-REGION.auth.us-east-1.amazoncognito.com/oauth2/token',
              scopes: { [JOB_SCOPES.read]: 'Read jobs, results and workspaces (GET routes)', [JOB_SCOPES.write]: 'Create, cancel and retry jobs; manage workspaces' },
            },
          },
        },
      },
    },
  });
  return document as unknown as Record<string, unknown>;
}

/** The document as openapi.json holds it: 2-space JSON and a final newline. */
export function serializeDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
