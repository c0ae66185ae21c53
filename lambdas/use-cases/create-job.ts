/**
 * The create function's use case: a job request checked against its type's schema (and, for
 * chained types and documents, against the caller's source jobs and uploads), the input stored,
 * the job written PENDING and its message sent. No AWS imports here.
 */
import type { z } from 'zod';
import { SourceNotReadyError, ValidationError, type FieldError } from '../domain/errors.ts';
import { JOB_PRIORITIES, createJob, type Job, type JobPriority, type LifecycleSettings } from '../domain/job.ts';
import type { JobTypeCatalog, JobTypeDefinition, UploadReference } from '../domain/job-types.ts';
import { DOCUMENT_CONTENT_TYPES } from '../domain/model.ts';
import { announcedBytes, payloadKeys, storeInput, UPLOADS } from '../domain/payloads.ts';
import { systemClock, type Clock, type IdGenerator, type JobQueue, type JobStore, type Logger, type PayloadStore } from '../domain/ports.ts';
import { sendJob } from './owned-jobs.ts';
import { requestBody } from './request-body.ts';

export interface CreateJobDependencies {
  readonly store: JobStore;
  /** The job types' definitions (their input schemas). */
  readonly types: JobTypeCatalog;
  readonly queue: JobQueue;
  /** Inputs too large for the record, and the documents uploaded for jobs. */
  readonly payloads: PayloadStore;
  readonly settings: LifecycleSettings;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly newId?: IdGenerator;
}

/** The create request's envelope: `{ type, input, priority? }`, nothing else. */
function parseCreateRequest(request: unknown): { type: string; input: unknown; priority: JobPriority | undefined } {
  const body = requestBody(request, ['type', 'input', 'priority'], 'job request', 'must be a JSON object with "type" and "input"');
  const { type, input, priority } = body.fields;
  if (typeof type !== 'string' || type.length === 0 || type.length > 64) {
    body.errors.push({ path: 'type', message: 'type is required and must be a job type name (a string of 1 to 64 characters)' });
  }
  if (priority !== undefined && !(JOB_PRIORITIES as readonly unknown[]).includes(priority)) {
    body.errors.push({ path: 'priority', message: `must be one of ${JOB_PRIORITIES.join(', ')}` });
  }
  body.check();
  return { type: type as string, input, priority: priority as JobPriority | undefined };
}

export class CreateJob {
  private readonly clock: Clock;
  private readonly newId: IdGenerator;

  constructor(private readonly deps: CreateJobDependencies) {
    this.clock = deps.clock ?? systemClock;
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /** Validates the request against the job type's schema, stores the job and enqueues it. */
  async create(ownerId: string, request: unknown): Promise<Job> {
    const { types } = this.deps;
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
    const { payloads } = this.deps;
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
    await sendJob({ ...this.deps, clock: this.clock }, job);
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
    const { payloads } = this.deps;
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
}

/** Zod issues as `{ path, message }` with dotted paths. */
export function fieldErrors(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
