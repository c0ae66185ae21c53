/**
 * The create function's use case: a job request checked against its type's schema (and, for
 * chained types and documents, against the caller's source jobs and uploads), the input stored,
 * the job written PENDING and its message sent. No AWS imports here.
 */
import type { z } from 'zod';
import { SourceNotReadyError, ValidationError, type FieldError } from '../domain/errors.ts';
import { JOB_PRIORITIES, createJob, messageDelaySeconds, type Job, type JobPriority, type LifecycleSettings } from '../domain/job.ts';
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

/** How far ahead a job may be scheduled. */
export const MAX_SCHEDULE_AHEAD_DAYS = 365;
/** ISO 8601 date and time with a zone (`Z` or `±hh:mm`), as `runAt` must be. */
const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** A real calendar day (Date.parse takes 2026-02-30 for March 2). */
function isCalendarDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `runAt` as the record's `scheduledAt` (UTC, milliseconds), or why it cannot be. */
export function parseRunAt(value: unknown, now: Date): { scheduledAt: string } | { error: string } {
  const match = typeof value === 'string' ? ISO_WITH_ZONE.exec(value) : null;
  const time = match && isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3])) ? Date.parse(value as string) : Number.NaN;
  if (!Number.isFinite(time)) return { error: 'must be an ISO 8601 date and time with a zone, e.g. 2026-03-04T12:00:00Z' };
  if (time <= now.getTime()) return { error: `must be in the future (it is ${now.toISOString()} now)` };
  if (time > now.getTime() + MAX_SCHEDULE_AHEAD_DAYS * 86_400_000) return { error: `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` };
  return { scheduledAt: new Date(time).toISOString() };
}

interface CreateRequest {
  type: string;
  input: unknown;
  priority: JobPriority | undefined;
  scheduledAt: string | undefined;
}

/** The create request's envelope: `{ type, input, priority?, runAt? }`, nothing else. */
function parseCreateRequest(request: unknown, now: Date): CreateRequest {
  const body = requestBody(request, ['type', 'input', 'priority', 'runAt'], 'job request', 'must be a JSON object with "type" and "input"');
  const { type, input, priority, runAt } = body.fields;
  if (typeof type !== 'string' || type.length === 0 || type.length > 64) {
    body.errors.push({ path: 'type', message: 'type is required and must be a job type name (a string of 1 to 64 characters)' });
  }
  if (priority !== undefined && !(JOB_PRIORITIES as readonly unknown[]).includes(priority)) {
    body.errors.push({ path: 'priority', message: `must be one of ${JOB_PRIORITIES.join(', ')}` });
  }
  const schedule = runAt === undefined ? undefined : parseRunAt(runAt, now);
  if (schedule && 'error' in schedule) body.errors.push({ path: 'runAt', message: schedule.error });
  body.check();
  const scheduledAt = schedule && 'scheduledAt' in schedule ? schedule.scheduledAt : undefined;
  return { type: type as string, input, priority: priority as JobPriority | undefined, scheduledAt };
}

export class CreateJob {
  private readonly clock: Clock;
  private readonly newId: IdGenerator;

  constructor(private readonly deps: CreateJobDependencies) {
    this.clock = deps.clock ?? systemClock;
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /**
   * Validates the request against the job type's schema, stores the job and enqueues it: a
   * scheduled job's message is delayed until its time, or, beyond the queue's 15-minute delay,
   * left for the reconciler to send once its time is that close.
   */
  async create(ownerId: string, request: unknown): Promise<Job> {
    const { types } = this.deps;
    const { type: typeName, input, priority, scheduledAt } = parseCreateRequest(request, this.clock());
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
    const now = this.clock();
    const job = createJob(
      {
        id,
        ownerId,
        type: type.name,
        ...stored,
        priority: priority ?? 'normal',
        maxAttempts: type.maxAttempts,
        ...(scheduledAt ? { scheduledAt } : {}),
      },
      now,
      this.deps.settings,
    );
    await this.deps.store.create(job);
    const delaySeconds = messageDelaySeconds(job, now, this.deps.settings);
    if (delaySeconds !== null) await sendJob({ ...this.deps, clock: this.clock }, job, delaySeconds);
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
