/**
 * Job types. A type declares its input schema, maxAttempts and timeout (the definition, which
 * the API needs to validate a create) and its processor (which only the worker needs, with the
 * schemas compiled: lambdas/job-types/compiled.ts). They are
 * kept in separate modules so the API functions never bundle processor dependencies.
 * No AWS imports here.
 */
import type { z } from 'zod';
import type { JsonObject } from './json.ts';
import type { JobProgress } from './job.ts';
import type { DocumentFormat } from './model.ts';
import type { Logger } from './ports.ts';

export interface JobTypeDefinition<Input = unknown> {
  /** Upper-case name clients pass as `type`, e.g. `AI_PREVIEW`. */
  readonly name: string;
  readonly description: string;
  /** Validates `input` at create time; the processor receives the parsed value. */
  readonly input: z.ZodType<Input>;
  /** Attempts before the job ends FAILED (default 3). */
  readonly maxAttempts: number;
  /** Time limit of one attempt, in seconds. */
  readonly timeoutSeconds: number;
  /**
   * false: the type opts out of result reuse (`reuse` on a create is a 422), for types whose
   * output must be fresh. Default true: a caller may ask for an earlier result of the same input.
   */
  readonly reusable?: boolean;
  /**
   * Unfinished (PENDING or PROCESSING) jobs of this type a caller may have at once, on top of the
   * caller's overall quota; a deployment may change it (maxActiveJobsPerCallerByType). Absent: only
   * the overall quota applies. For types whose jobs are heavy on the model (large documents).
   */
  readonly maxActivePerCaller?: number;
  /**
   * For types that build on earlier jobs (chaining): the ids of the caller's jobs the input
   * names. The API refuses the create unless each is the caller's and COMPLETED.
   */
  sourceJobIds?(input: Input): readonly string[];
  /**
   * For types that take an uploaded document: the upload the input names (at most one). The API
   * refuses the create unless it is the caller's, uploaded, of the announced size and of the
   * format's content type, and copies it to the job (ProcessorContext.loadDocument).
   */
  uploads?(input: Input): readonly UploadReference[];
}

/** An upload named by a job's input (see POST /api/uploads). */
export interface UploadReference {
  readonly uploadId: string;
  readonly format: DocumentFormat;
  /** Where in the request it is named, for errors: `input.document.uploadId`. */
  readonly path: string;
}

/** A COMPLETED job of the same caller whose result a chained job reads. */
export interface SourceJob {
  readonly id: string;
  readonly type: string;
  readonly result: JsonObject;
}

export interface ProcessorContext {
  readonly jobId: string;
  readonly ownerId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the attempt times out or the job is cancelled: pass it to every call. */
  readonly signal: AbortSignal;
  /**
   * Records progress shown by GET /api/jobs/{id}. One write per call: report steps, not ticks.
   * Once the job is cancelled the call aborts `signal` and resolves without writing.
   */
  reportProgress(progress: JobProgress): Promise<void>;
  /**
   * The results of the caller's own COMPLETED jobs with these ids, in the same order. Throws a
   * NonRetryableError if one is missing, belongs to someone else or is no longer COMPLETED.
   */
  loadSources(ids: readonly string[]): Promise<readonly SourceJob[]>;
  /**
   * The bytes of the document uploaded for this job (JobTypeDefinition.uploads). Throws a
   * NonRetryableError when it is no longer stored.
   */
  loadDocument(): Promise<Uint8Array>;
  readonly logger: Logger;
}

/** Runs one attempt. Throw NonRetryableError to fail the job at once; anything else is retried. */
export type Processor<Input = unknown> = (input: Input, context: ProcessorContext) => Promise<JsonObject>;

/**
 * What the worker runs: a type's name and time limit, the check of a stored input, and the
 * processor. In the worker the check is compiled from the definition's schema (no zod there); a
 * definition's zod schema fits it too (tests build job types as `{ ...definition, process }`).
 */
export interface JobType<Input = unknown> {
  readonly name: string;
  /** Time limit of one attempt, in seconds. */
  readonly timeoutSeconds: number;
  /** Checks a stored input before the processor gets it. */
  readonly input: InputCheck<Input>;
  readonly process: Processor<Input>;
}

/** A check of a value: what it is as Input, or that it is not one. */
export interface InputCheck<Input> {
  safeParse(value: unknown): { readonly success: true; readonly data: Input } | { readonly success: false };
}

export const DEFAULT_MAX_ATTEMPTS = 3;

/** Declares a job type's definition with defaults filled in and checked. */
export function defineJobType<Input>(
  spec: Omit<JobTypeDefinition<Input>, 'maxAttempts'> & { maxAttempts?: number },
): JobTypeDefinition<Input> {
  const definition = { ...spec, maxAttempts: spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS };
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(definition.name)) {
    throw new Error(`Job type name "${definition.name}" must be UPPER_SNAKE_CASE`);
  }
  if (!Number.isInteger(definition.maxAttempts) || definition.maxAttempts < 1 || definition.maxAttempts > 10) {
    throw new Error(`Job type ${definition.name}: maxAttempts must be an integer from 1 to 10`);
  }
  if (definition.maxActivePerCaller !== undefined && !isTypeLimit(definition.maxActivePerCaller)) {
    throw new Error(`Job type ${definition.name}: maxActivePerCaller must be an integer from 1 to ${MAX_TYPE_LIMIT}`);
  }
  if (!(definition.timeoutSeconds > 0)) {
    throw new Error(`Job type ${definition.name}: timeoutSeconds must be positive`);
  }
  return definition;
}

/** Largest per-type limit of unfinished jobs (as the overall quota's). */
export const MAX_TYPE_LIMIT = 100_000;

function isTypeLimit(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TYPE_LIMIT;
}

/**
 * Each type's limit of unfinished jobs per caller: the types' own (maxActivePerCaller) with
 * `overrides` over them (see parseTypeLimits), which may name only these types.
 */
export function typeQuotaLimits(definitions: readonly JobTypeDefinition<any>[], overrides: unknown, source: string): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const type of definitions) if (type.maxActivePerCaller !== undefined) limits[type.name] = type.maxActivePerCaller;
  return { ...limits, ...parseTypeLimits(overrides, source, definitions.map((type) => type.name)) };
}

/**
 * Per-type limits as a deployment gives them: `{"PARSE_DOCUMENT": 10}`, an object or its JSON text
 * (undefined or '' for none). Throws an Error naming `source` for anything else: not an object, a
 * type not in `known` (when given; the known ones listed), a limit that is not an integer from 1
 * to MAX_TYPE_LIMIT.
 */
export function parseTypeLimits(overrides: unknown, source: string, known?: readonly string[]): Record<string, number> {
  if (overrides === undefined || overrides === '') return {};
  let parsed = overrides;
  if (typeof overrides === 'string') {
    try {
      parsed = JSON.parse(overrides);
    } catch {
      throw new Error(`${source} must be a JSON object of job type to limit, e.g. {"PARSE_DOCUMENT":10}; got ${overrides}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source} must be an object of job type to limit, e.g. {"PARSE_DOCUMENT":10}; got ${JSON.stringify(parsed)}`);
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const unknown = known ? entries.map(([name]) => name).filter((name) => !known.includes(name)) : [];
  if (unknown.length > 0) throw new Error(`${source} names unknown job types ${unknown.join(', ')}; the types are ${known!.join(', ')}`);
  const limits: Record<string, number> = {};
  for (const [name, limit] of entries) {
    if (!isTypeLimit(limit)) throw new Error(`${source}: the limit of ${name} must be an integer from 1 to ${MAX_TYPE_LIMIT}, got ${JSON.stringify(limit)}`);
    limits[name] = limit;
  }
  return limits;
}

/** Looks up definitions by name. */
export class JobTypeCatalog<T extends { readonly name: string } = JobTypeDefinition> {
  private readonly byName: ReadonlyMap<string, T>;

  constructor(types: readonly T[]) {
    const byName = new Map<string, T>();
    for (const type of types) {
      if (byName.has(type.name)) throw new Error(`Job type ${type.name} is registered twice`);
      byName.set(type.name, type);
    }
    this.byName = byName;
  }

  get(name: string): T | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): T[] {
    return [...this.byName.values()];
  }
}
