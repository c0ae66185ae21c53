/**
 * The client's types: the API's own shapes, taken from the domain and the job type definitions
 * with type-only imports (erased when the client is built, so it ships none of that code).
 * test/unit/client/types.test.ts fails when the job types listed here drift from the API's.
 */
import type { JobTypeDefinition } from '../lambdas/domain/job-types.ts';
import type { JobListItem, JobPriority, JobStatus, JobStatusView, JobView } from '../lambdas/domain/job.ts';
import type { JsonObject } from '../lambdas/domain/json.ts';
import type { ListOrder, ListSort, PresignedUpload } from '../lambdas/domain/ports.ts';
import type { Problem, ProblemCode } from '../lambdas/http/problem.ts';
import type { definition as aiPreview } from '../lambdas/job-types/ai-preview/index.ts';
import type { definition as gapDetection } from '../lambdas/job-types/gap-detection/index.ts';
import type { definition as parseDocument } from '../lambdas/job-types/parse-document/index.ts';
import type { definition as reportGeneration } from '../lambdas/job-types/report-generation/index.ts';
import type { definition as riskAnalysis } from '../lambdas/job-types/risk-analysis/index.ts';

export type { JobPriority, JobStatus, JsonObject, ListOrder, ListSort, Problem, ProblemCode };

/** A job as GET /api/jobs/{id} answers it. */
export type Job = JobView;
/** A job in a list page (a result stored outside the record is left out: `resultOmitted`). */
export type JobSummary = JobListItem;
/** GET /api/jobs/{id}/status: the smallest answer a poller needs. */
export type JobStatusSnapshot = JobStatusView;

type InputOf<Definition> = Definition extends JobTypeDefinition<infer Input> ? Input : never;

/** Each job type's `input`, by type name. */
export interface JobInputs {
  AI_PREVIEW: InputOf<typeof aiPreview>;
  PARSE_DOCUMENT: InputOf<typeof parseDocument>;
  GAP_DETECTION: InputOf<typeof gapDetection>;
  RISK_ANALYSIS: InputOf<typeof riskAnalysis>;
  REPORT_GENERATION: InputOf<typeof reportGeneration>;
}

export type JobTypeName = keyof JobInputs;

/** The job type names, in the API's order (the client's own copy: a test compares it with the API's). */
export const JOB_TYPE_NAMES = ['AI_PREVIEW', 'PARSE_DOCUMENT', 'GAP_DETECTION', 'RISK_ANALYSIS', 'REPORT_GENERATION'] as const satisfies readonly JobTypeName[];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];
/** The statuses a job can be retried from (POST …/retry). */
export const RETRYABLE_STATUSES: readonly JobStatus[] = ['FAILED', 'CANCELLED'];

/** POST /api/jobs. */
export type CreateJobRequest = {
  [Type in JobTypeName]: {
    type: Type;
    input: JobInputs[Type];
    priority?: JobPriority;
    /** ISO 8601: when the job may start (a scheduled job). */
    runAt?: string;
    /** Accept an earlier result of the same input, at most this old (types that allow reuse). */
    reuse?: { maxAgeSeconds: number };
  };
}[JobTypeName];

/** What a create (or a retry) answered. */
export interface JobAccepted {
  readonly job: Job;
  /** 202 accepted, 201 created COMPLETED (a reused result), 200 a replay of the same Idempotency-Key. */
  readonly status: 200 | 201 | 202;
  /** True for a replay (`Idempotent-Replayed: true`). */
  readonly replayed: boolean;
  /** Seconds until a poll is useful; null for a finished job. */
  readonly retryAfterSeconds: number | null;
}

/** GET /api/jobs/{id}/result. */
export interface JobResult {
  readonly id: string;
  readonly status: JobStatus;
  readonly result: JsonObject | null;
}

/** GET /api/jobs filters. */
export interface ListFilters {
  status?: JobStatus;
  type?: string;
  /** Any of these priorities. */
  priority?: readonly JobPriority[];
  sort?: ListSort;
  order?: ListOrder;
  /** Page size, 1 to 100 (default 20). */
  limit?: number;
}

export interface JobPage {
  readonly items: readonly JobSummary[];
  readonly nextCursor: string | null;
}

/** POST /api/uploads. */
export interface UploadRequest {
  name: string;
  contentType: string;
  size: number;
}

export interface UploadTicket extends PresignedUpload {
  readonly uploadId: string;
  readonly maxBytes: number;
}
