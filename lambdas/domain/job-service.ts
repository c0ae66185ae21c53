/**
 * The API's use cases: create, read, list, cancel and retry a caller's jobs. Rules live here and
 * in job.ts; handlers only parse HTTP and map errors. No AWS imports here.
 */
import type { z } from 'zod';
import {
  ConcurrentUpdateError,
  InvalidCursorError,
  InvalidTransitionError,
  JobNotCompletedError,
  JobNotFoundError,
  SourceNotReadyError,
  ValidationError,
  type FieldError,
} from './errors.ts';
import {
  JOB_PRIORITIES,
  canTransition,
  createJob,
  type Job,
  type JobAction,
  type JobPriority,
  type JobStatus,
  type LifecycleSettings,
} from './job.ts';
import type { JobTypeCatalog, JobTypeDefinition, Logger, UploadReference } from './job-types.ts';
import type { JsonObject } from './json.ts';
import type { Clock, CursorCodec, IdGenerator, JobQueue, JobStore, PayloadStore } from './ports.ts';
import { announcedBytes, loadResult, newUploadId, payloadKeys, storeInput, UPLOADS } from './payloads.ts';
import { MAX_DOCUMENT_SIZE_TEXT } from './bedrock-limits.ts';
import { DOCUMENT_CONTENT_TYPES, type DocumentFormat } from './model.ts';
import type { PresignedUpload } from './ports.ts';

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 100;

/** The fields of a create request; anything else is refused. */
const CREATE_FIELDS = ['type', 'input', 'priority'] as const;

/**
 * The create request's envelope, checked by hand: zod costs the read-only routes ~50 ms of cold
 * start, so only the create function loads it (with the job type schemas).
 */
function parseCreateRequest(request: unknown): { type: string; input: unknown; priority: JobPriority | undefined } {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new ValidationError('The request body is not a valid job request', [
      { path: '(body)', message: 'must be a JSON object with "type" and "input"' },
    ]);
  }
  const body = request as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!(CREATE_FIELDS as readonly string[]).includes(key)) {
      errors.push({ path: key, message: `unknown field; the fields are ${CREATE_FIELDS.join(', ')}` });
    }
  }
  const { type, input, priority } = body;
  if (typeof type !== 'string' || type.length === 0 || type.length > 64) {
    errors.push({ path: 'type', message: 'type is required and must be a job type name (a string of 1 to 64 characters)' });
  }
  if (priority !== undefined && !(JOB_PRIORITIES as readonly unknown[]).includes(priority)) {
    errors.push({ path: 'priority', message: `must be one of ${JOB_PRIORITIES.join(', ')}` });
  }
  if (errors.length > 0) throw new ValidationError('The request body is not a valid job request', errors);
  return { type: type as string, input, priority: priority as JobPriority | undefined };
}

export interface ListRequest {
  readonly status?: JobStatus;
  readonly type?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface ListResult {
  readonly items: readonly Job[];
  readonly nextCursor: string | null;
}

export interface JobResult {
  readonly id: string;
  readonly status: JobStatus;
  readonly result: JsonObject | null;
}

export interface JobServiceDependencies {
  readonly store: JobStore;
  /** Needed by create (the API loads the job type schemas only in the create function). */
  readonly types?: JobTypeCatalog;
  readonly settings: LifecycleSettings;
  readonly logger: Logger;
  /** Needed by create and retry. */
  readonly queue?: JobQueue;
  /** Needed by create (large inputs) and by get and result (large results). */
  readonly payloads?: PayloadStore;
  /** Needed by list. */
  readonly cursors?: CursorCodec;
  readonly clock?: Clock;
  readonly newId?: IdGenerator;
}

export class JobService {
  private readonly clock: Clock;
  private readonly newId: IdGenerator;

  constructor(private readonly deps: JobServiceDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /** Validates the request against the job type's schema, stores the job and enqueues it. */
  async create(ownerId: string, request: unknown): Promise<Job> {
    const types = this.required(this.deps.types, 'types');
    const { type: typeName, input, priority } = parseCreateRequest(request);
    const type = types.get(typeName);
    if (!type) {
      const known = types.names().join(', ');
      throw new ValidationError(
        `Unknown job type "${typeName}"`,
        [{ path: 'type', message: `must be one of: ${known}` }],
        'UNKNOWN_JOB_TYPE',
      );
    }
    const parsed = (type as JobTypeDefinition).input.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(`The input is not valid for job type ${type.name}`, fieldErrors(parsed.error, ['input']));
    }
    await this.checkSources(ownerId, type as JobTypeDefinition, parsed.data);
    const uploads = await this.checkUploads(ownerId, type as JobTypeDefinition, parsed.data);
    const id = this.newId();
    const payloads = this.required(this.deps.payloads, 'payloads');
    // Payloads are stored first: if that fails, no record was written and the create is a 503.
    for (const key of uploads) await payloads.copy(key, payloadKeys.document(id));
    const stored = await storeInput(payloads, id, parsed.data);
    const job = createJob(
      {
        id,
        ownerId,
        type: type.name,
        ...stored,
        priority: priority ?? 'normal',
        maxAttempts: type.maxAttempts,
      },
      this.clock(),
      this.deps.settings,
    );
    await this.deps.store.create(job);
    await this.enqueue(job);
    return job;
  }

  /**
   * A chained job may only name the caller's own COMPLETED jobs: a missing, foreign, FAILED or
   * CANCELLED source is a 422 (foreign and missing read the same), an unfinished one a 409.
   */
  private async checkSources(ownerId: string, type: JobTypeDefinition, input: unknown): Promise<void> {
    const ids = type.sourceJobIds?.(input) ?? [];
    if (ids.length === 0) return;
    const jobs = await Promise.all(ids.map((id) => this.deps.store.get(id)));
    const errors: FieldError[] = [];
    const unfinished: { id: string; status: string }[] = [];
    jobs.forEach((job, index) => {
      const id = ids[index]!;
      const path = `input.sourceJobIds.${index}`;
      if (!job || job.ownerId !== ownerId) errors.push({ path, message: `no job with id ${id}` });
      else if (job.status === 'PENDING' || job.status === 'PROCESSING') unfinished.push({ id, status: job.status });
      else if (job.status !== 'COMPLETED') {
        errors.push({ path, message: `job ${id} is ${job.status}; only COMPLETED jobs can be used` });
      }
    });
    if (errors.length > 0) throw new ValidationError('The input names source jobs that cannot be used', errors);
    if (unfinished.length > 0) throw new SourceNotReadyError(unfinished);
  }

  /**
   * The uploads a type's input names must be the caller's, uploaded, of the size their id was
   * issued for, within the limit, and of the content type of the format the input gives: else a
   * 422 naming the field (a missing upload and another caller's read the same). Returns their keys.
   */
  private async checkUploads(ownerId: string, type: JobTypeDefinition, input: unknown): Promise<string[]> {
    const references: readonly UploadReference[] = type.uploads?.(input) ?? [];
    if (references.length === 0) return [];
    const payloads = this.required(this.deps.payloads, 'payloads');
    const errors: FieldError[] = [];
    const keys: string[] = [];
    for (const reference of references) {
      const key = payloadKeys.upload(ownerId, reference.uploadId);
      const announced = announcedBytes(reference.uploadId);
      const object = announced === undefined ? undefined : await payloads.head(key);
      const expectedType = DOCUMENT_CONTENT_TYPES[reference.format];
      if (!object || announced === undefined) {
        errors.push({ path: reference.path, message: `no upload with id ${reference.uploadId} (not yours, not uploaded yet, or expired)` });
      } else if (object.bytes !== announced || object.bytes > UPLOADS.maxBytes) {
        errors.push({
          path: reference.path,
          message: `the upload is ${object.bytes} bytes; it was announced as ${announced} (at most ${UPLOADS.maxBytes})`,
        });
      } else if (object.contentType?.split(';')[0]?.trim().toLowerCase() !== expectedType) {
        errors.push({
          path: reference.path,
          message: `the upload is ${object.contentType ?? 'of no content type'}; format ${reference.format} needs ${expectedType}`,
        });
      } else keys.push(key);
    }
    if (errors.length > 0) throw new ValidationError('The input names uploads that cannot be used', errors);
    return keys;
  }

  /**
   * A presigned upload for a document: `{ name, contentType, size }` → where to PUT it (with no
   * AWS credentials), until when, and the id a job's input then names it by.
   */
  async createUpload(ownerId: string, request: unknown): Promise<UploadTicket> {
    const { contentType, size } = parseUploadRequest(request);
    const uploadId = newUploadId(this.newId(), size);
    const upload = await this.required(this.deps.payloads, 'payloads').presignPut(payloadKeys.upload(ownerId, uploadId), {
      contentType,
      bytes: size,
      expiresInSeconds: UPLOADS.expiresInSeconds,
    });
    return { uploadId, ...upload, maxBytes: UPLOADS.maxBytes };
  }

  /**
   * The caller's job with its result; JobNotFoundError when missing or someone else's. A result
   * stored outside the record is read only once the job is COMPLETED (a poll of a running job
   * reads the record and nothing else).
   */
  async get(ownerId: string, id: string): Promise<Job> {
    const job = await this.find(ownerId, id);
    if (job.status !== 'COMPLETED' || !job.resultRef) return job;
    return { ...job, result: await loadResult(this.required(this.deps.payloads, 'payloads'), job) };
  }

  async result(ownerId: string, id: string): Promise<JobResult> {
    const job = await this.find(ownerId, id);
    if (job.status !== 'COMPLETED') throw new JobNotCompletedError(id, job.status);
    return { id: job.id, status: job.status, result: await loadResult(this.required(this.deps.payloads, 'payloads'), job) };
  }

  /** The caller's job record as stored. */
  private async find(ownerId: string, id: string): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job || job.ownerId !== ownerId) throw new JobNotFoundError(id);
    return job;
  }

  async list(ownerId: string, request: ListRequest): Promise<ListResult> {
    const cursors = this.required(this.deps.cursors, 'cursors');
    const filters = { status: request.status ?? null, type: request.type ?? null };
    let after;
    if (request.cursor !== undefined) {
      const payload = await cursors.decode(request.cursor);
      if (payload.ownerId !== ownerId || payload.status !== filters.status || payload.type !== filters.type) {
        throw new InvalidCursorError();
      }
      after = payload.position;
    }
    const page = await this.deps.store.list(ownerId, {
      limit: request.limit,
      ...(request.status ? { status: request.status } : {}),
      ...(request.type ? { type: request.type } : {}),
      ...(after ? { after } : {}),
    });
    const nextCursor = page.next ? await cursors.encode({ ownerId, ...filters, position: page.next }) : null;
    return { items: page.jobs, nextCursor };
  }

  async cancel(ownerId: string, id: string): Promise<Job> {
    return this.transition(ownerId, id, 'cancel', (job) => this.deps.store.cancel(id, expectation(job), this.clock()));
  }

  /** FAILED or CANCELLED → PENDING with attempts reset, and the message sent again. */
  async retry(ownerId: string, id: string): Promise<Job> {
    const job = await this.transition(ownerId, id, 'retry', (current) => this.deps.store.retry(id, expectation(current), this.clock()));
    await this.enqueue(job);
    return job;
  }

  private async transition(ownerId: string, id: string, action: JobAction, apply: (job: Job) => Promise<Job>): Promise<Job> {
    // A lost race re-reads the job and decides again; three rounds are plenty for a human caller
    // (then ConcurrentUpdateError: a 409 asking to read the job again).
    for (let round = 0; ; round++) {
      const job = await this.find(ownerId, id);
      if (!canTransition(job.status, action)) throw new InvalidTransitionError(id, job.status, action);
      try {
        return await apply(job);
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || round >= 2) throw error;
      }
    }
  }

  /**
   * Sends the job's message. If the send fails the job is already stored as PENDING with a
   * dueAt, so the reconciler re-sends it: the create still succeeds and nothing is lost. We pull
   * dueAt forward so that happens on the reconciler's next run.
   */
  private async enqueue(job: Job): Promise<void> {
    const queue = this.required(this.deps.queue, 'queue');
    try {
      await queue.enqueue(job);
    } catch (error) {
      this.deps.logger.warn('enqueue failed; the reconciler will send the job', { jobId: job.id, error });
      try {
        await this.deps.store.markDue(job.id, { runId: job.runId, generation: job.generation }, this.clock());
      } catch (markError) {
        this.deps.logger.warn('could not mark the job due; it is sent when its dueAt passes', {
          jobId: job.id,
          error: markError,
        });
      }
    }
  }

  private required<T>(value: T | undefined, name: string): T {
    if (value === undefined) throw new Error(`JobService was built without ${name}`);
    return value;
  }
}

export interface UploadTicket extends PresignedUpload {
  readonly uploadId: string;
  readonly maxBytes: number;
}

const UPLOAD_FIELDS = ['name', 'contentType', 'size'] as const;

/** `{ name, contentType, size }`, checked by hand (the uploads function does not load zod). */
function parseUploadRequest(request: unknown): { name: string; contentType: string; size: number; format: DocumentFormat } {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new ValidationError('The request body is not a valid upload request', [
      { path: '(body)', message: 'must be a JSON object with "name", "contentType" and "size"' },
    ]);
  }
  const body = request as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!(UPLOAD_FIELDS as readonly string[]).includes(key)) {
      errors.push({ path: key, message: `unknown field; the fields are ${UPLOAD_FIELDS.join(', ')}` });
    }
  }
  const { name, contentType, size } = body;
  if (typeof name !== 'string' || name.trim() === '' || name.length > UPLOADS.nameMaxChars || /[\u0000-\u001f\u007f]/.test(name)) {
    errors.push({ path: 'name', message: `must be the file's name: 1 to ${UPLOADS.nameMaxChars} characters, no control characters` });
  }
  const format = (Object.keys(DOCUMENT_CONTENT_TYPES) as DocumentFormat[]).find((key) => DOCUMENT_CONTENT_TYPES[key] === contentType);
  if (typeof contentType !== 'string' || !format) {
    errors.push({ path: 'contentType', message: `must be one of ${Object.values(DOCUMENT_CONTENT_TYPES).join(', ')}` });
  }
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    errors.push({ path: 'size', message: 'must be the size of the file in bytes (a positive integer)' });
  } else if (size > UPLOADS.maxBytes) {
    errors.push({ path: 'size', message: `the file is ${size} bytes; the limit is ${UPLOADS.maxBytes} (${MAX_DOCUMENT_SIZE_TEXT})` });
  }
  if (errors.length > 0) throw new ValidationError('The request body is not a valid upload request', errors);
  return { name: name as string, contentType: contentType as string, size: size as number, format: format! };
}

/** The job as the owner just read it: an action applies only to that state. */
function expectation(job: Job) {
  return { ownerId: job.ownerId, runId: job.runId, generation: job.generation };
}

/** Zod issues as `{ path, message }` with dotted paths. */
export function fieldErrors(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
