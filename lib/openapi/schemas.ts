/**
 * The request and response bodies of the API as zod schemas, for the OpenAPI document only (the
 * functions check bodies by hand: zod costs a function ~50 ms of cold start, see
 * lambdas/use-cases/request-body.ts). Job inputs are the job types' own schemas and job results
 * the workers' (lambdas/job-types); enums and limits come from the domain's constants. The type
 * checks at the end of this file fail the build when a response type gains or loses a field that
 * is not documented here, and the contract test (test/support/openapi-contract.ts) checks every
 * answer of the end-to-end suite against the document.
 */
import { z } from 'zod';
import { JOB_PRIORITIES, JOB_STATUSES, type JobListItem, type JobStatusView, type JobView } from '../../lambdas/domain/job.ts';
import type { JobTypeDefinition } from '../../lambdas/domain/job-types.ts';
import { DOCUMENT_CONTENT_TYPES } from '../../lambdas/domain/model.ts';
import { UPLOADS } from '../../lambdas/domain/payloads.ts';
import type { Membership, Workspace } from '../../lambdas/domain/workspace.ts';
import { JOB_SHARDS, WORKSPACE_ROLES } from '../../lambdas/domain/workspace.ts';
import { PROBLEM_TITLES, type ProblemCode } from '../../lambdas/http/problem.ts';
import type { UploadTicket } from '../../lambdas/use-cases/create-upload.ts';
import type { JobResult } from '../../lambdas/use-cases/read-job.ts';
import type { WorkspaceWithRole } from '../../lambdas/use-cases/workspaces.ts';
import { MAX_SCHEDULE_AHEAD_DAYS } from '../../lambdas/use-cases/create-job.ts';

const timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const nullableTimestamp = timestamp.nullable();
const jobId = z.guid().describe('The job id (a UUID)');

export const JobStatusSchema = z.enum(JOB_STATUSES).meta({ id: 'JobStatus', description: 'PENDING and PROCESSING are unfinished' });
export const JobPrioritySchema = z.enum(JOB_PRIORITIES).meta({ id: 'JobPriority', description: 'The queue band the job runs in' });

export const JobProgressSchema = z
  .object({ percent: z.number().min(0).max(100), message: z.string().nullable() })
  .meta({ id: 'JobProgress', description: 'Reported by the processor while the job is PROCESSING' });

/**
 * The record of GET /api/jobs/{id}, with `result` as any of the job types' results (see the
 * `*Result` schemas; the one of the job's `type`).
 */
export function jobSchemas(results: z.ZodType) {
  const job = z
    .object({
      id: jobId,
      type: z.string().describe('The job type, e.g. AI_PREVIEW'),
      status: JobStatusSchema,
      result: results.nullable().describe("The job type's result once COMPLETED, else null"),
      error: z.string().nullable().describe('The last failure, for a FAILED job or one that will be retried'),
      attempts: z.int().min(0),
      maxAttempts: z.int().min(1),
      progress: JobProgressSchema.nullable(),
      createdAt: timestamp,
      startedAt: nullableTimestamp,
      completedAt: nullableTimestamp,
      updatedAt: timestamp,
      priority: JobPrioritySchema,
      fromCache: z.boolean().describe("True when created COMPLETED with an earlier job's result (`reuse`)"),
      scheduledAt: nullableTimestamp.describe('When a scheduled job (`runAt`) starts'),
      timings: z
        .object({ queuedMs: z.number().nullable(), runMs: z.number().nullable(), totalMs: z.number().nullable() })
        .describe('Milliseconds waiting, running, and both'),
      workspaceId: z.guid().nullable().describe('The workspace the job lives in; null for a personal job'),
      createdBy: z.string().describe('The principal id that created it'),
    })
    .meta({ id: 'Job', description: 'A job record (poll it every 3 seconds, or as Retry-After says)' });
  const listItem = job
    .extend({ resultOmitted: z.literal(true).optional().describe('The result is stored outside the record: read it with GET …/result') })
    .meta({ id: 'JobListItem', description: 'A job in a list: a result stored outside the record is null and flagged' });
  const list = z
    .object({
      items: z.array(listItem),
      nextCursor: z.string().nullable().describe('Pass it back as `cursor` for the next page; null on the last page'),
    })
    .meta({ id: 'JobList' });
  const result = z
    .object({ id: jobId, status: z.literal('COMPLETED'), result: results })
    .meta({ id: 'JobResult', description: "A COMPLETED job's result" });
  return { job, listItem, list, result };
}

export const JobStatusViewSchema = z
  .object({ id: jobId, status: JobStatusSchema, progress: JobProgressSchema.nullable(), updatedAt: timestamp })
  .meta({ id: 'JobStatusView', description: 'The smallest answer a poller needs' });

/** POST /api/jobs: `{ type, input, priority?, runAt?, reuse? }`, one variant per job type. */
export function createJobRequestSchema(types: readonly JobTypeDefinition[]) {
  const variants = types.map((type) =>
    z
      .object({
        type: z.literal(type.name),
        input: type.input,
        priority: JobPrioritySchema.optional().describe('Default normal'),
        runAt: z.iso
          .datetime({ offset: true })
          .optional()
          .describe(`Start the job then (in the future, at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead); not with reuse`),
        reuse: z
          .object({ maxAgeSeconds: z.int().min(1).describe('At most the retention of finished jobs') })
          .strict()
          .optional()
          .describe('Answer with an earlier COMPLETED result of the same type and input, if one this fresh is kept (201)'),
      })
      .strict()
      .meta({ id: `Create${pascal(type.name)}Job`, description: type.description }),
  );
  return z.union(variants).meta({ id: 'CreateJobRequest' });
}

export const UploadRequestSchema = z
  .object({
    name: z.string().min(1).max(UPLOADS.nameMaxChars).describe("The file's name"),
    contentType: z.enum(Object.values(DOCUMENT_CONTENT_TYPES) as [string, ...string[]]),
    size: z.int().min(1).max(UPLOADS.maxBytes).describe('The exact size in bytes: the PUT must send this many'),
  })
  .strict()
  .meta({ id: 'UploadRequest' });

export const UploadTicketSchema = z
  .object({
    uploadId: z.string().describe('Name it in a job input: { "document": { "uploadId", "format" } }'),
    url: z.url().describe('PUT the file here, with `headers`, before `expiresAt`'),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()),
    expiresAt: timestamp,
    maxBytes: z.int(),
  })
  .meta({ id: 'UploadTicket' });

export const MeSchema = z
  .object({ principalId: z.string(), kind: z.enum(['user', 'client']).describe('A person (ID token) or a machine client') })
  .meta({ id: 'Me' });

const WorkspaceRoleSchema = z.enum(WORKSPACE_ROLES).meta({ id: 'WorkspaceRole' });
const workspaceId = z.guid();

const workspaceName = z.string().min(1).max(100).describe('1 to 100 characters (trimmed), no control characters');

export const WorkspaceSchema = z
  .object({
    id: workspaceId,
    name: z.string(),
    createdAt: timestamp,
    createdBy: z.string(),
    updatedAt: timestamp,
    jobShards: z.int().min(1).max(JOB_SHARDS.max).describe("How many index partitions the workspace's jobs are spread over (only ever raised)"),
    role: WorkspaceRoleSchema,
  })
  .meta({ id: 'Workspace', description: "A workspace, with the caller's role in it" });
export const WorkspaceListSchema = z.object({ items: z.array(WorkspaceSchema) }).meta({ id: 'WorkspaceList' });
export const WorkspaceNameSchema = z
  .object({ name: workspaceName })
  .strict()
  .meta({ id: 'WorkspaceName' });
export const WorkspaceChangesSchema = z
  .object({
    name: workspaceName.optional().describe('Owners only. 1 to 100 characters (trimmed), no control characters'),
    jobShards: z
      .int()
      .min(1)
      .max(JOB_SHARDS.max)
      .optional()
      .describe('Admins and owners: spread the workspace\'s new jobs over this many index partitions; never lowered'),
  })
  .strict()
  .meta({ id: 'WorkspaceChanges', description: 'Give name, jobShards or both' });
export const WorkspaceDeletedSchema = z.object({ id: workspaceId, deleted: z.literal(true) }).meta({ id: 'WorkspaceDeleted' });

export const MemberSchema = z
  .object({ workspaceId, principalId: z.string(), role: WorkspaceRoleSchema, addedAt: timestamp, addedBy: z.string() })
  .meta({ id: 'Member' });
export const MemberListSchema = z.object({ items: z.array(MemberSchema) }).meta({ id: 'MemberList' });
export const MemberRoleSchema = z.object({ role: WorkspaceRoleSchema }).strict().meta({ id: 'MemberRole' });
export const MemberRemovedSchema = z.object({ principalId: z.string(), removed: z.literal(true) }).meta({ id: 'MemberRemoved' });

/** Every problem code, in problem.ts's order. */
export const PROBLEM_CODES = Object.keys(PROBLEM_TITLES) as [ProblemCode, ...ProblemCode[]];

/** RFC 9457 problem details (`application/problem+json`): every error answer. */
export const ProblemSchema = z
  .object({
    type: z.string().describe('urn:async-jobs:problem:<code in kebab case>'),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    code: z.enum(PROBLEM_CODES).describe('Stable and machine-readable: switch on this'),
    requestId: z.string().describe('Quote it when reporting a problem (also in X-Request-Id)'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('VALIDATION_FAILED, UNKNOWN_JOB_TYPE: each offending field, e.g. input.prompt'),
    currentStatus: JobStatusSchema.optional().describe("INVALID_TRANSITION, JOB_NOT_COMPLETED: the job's status"),
    sources: z
      .array(z.object({ id: z.string(), status: z.string() }))
      .optional()
      .describe('SOURCE_NOT_READY: the source jobs not COMPLETED yet'),
    limit: z.int().optional().describe('TOO_MANY_JOBS: the limit reached'),
    scope: z.enum(['caller', 'workspace', 'type']).optional().describe("TOO_MANY_JOBS: the caller's quota, the workspace's, or the job type's own limit"),
    jobType: z.string().optional().describe('TOO_MANY_JOBS with scope type: the job type'),
    requiredScope: z.string().optional().describe('INSUFFICIENT_SCOPE: the OAuth scope the route needs'),
    role: WorkspaceRoleSchema.optional().describe("WORKSPACE_ROLE_FORBIDDEN: the caller's role"),
    action: z.string().optional().describe('WORKSPACE_ROLE_FORBIDDEN: what the role may not do'),
    limitBytes: z.int().optional().describe('PAYLOAD_TOO_LARGE: the body limit'),
  })
  .loose()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** `AI_PREVIEW` → `AiPreview`. */
export function pascal(name: string): string {
  return name.toLowerCase().replace(/(^|_)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// Drift checks: each documented body has exactly the fields of the type the code returns.

type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>];
type Documents<Schema extends z.ZodType, Code> = SameKeys<z.output<Schema>, Code>;
type Jobs = ReturnType<typeof jobSchemas>;
/** Fails to compile (naming the fields) when a response type and its schema differ. */
export type DriftChecks = [
  Expect<Documents<Jobs['job'], JobView>>,
  Expect<Documents<Jobs['listItem'], JobListItem>>,
  Expect<Documents<Jobs['result'], JobResult>>,
  Expect<Documents<typeof JobStatusViewSchema, JobStatusView>>,
  Expect<Documents<typeof UploadTicketSchema, UploadTicket>>,
  Expect<Documents<typeof WorkspaceSchema, WorkspaceWithRole>>,
  Expect<SameKeys<Omit<z.output<typeof WorkspaceSchema>, 'role'>, Workspace>>,
  Expect<Documents<typeof MemberSchema, Membership>>,
];
type Expect<T extends true> = T;
