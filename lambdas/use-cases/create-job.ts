/**
 * The create function's use case: a job request checked against its type's schema (and, for
 * chained types and documents, against the caller's source jobs and uploads), the input stored,
 * the job written PENDING and its message sent; or, when the caller asks to reuse a result and has
 * a fresh enough one for the same input, the job written COMPLETED with it (no model call, no
 * message). Idempotency keys and the quota: see flow-control.ts. No AWS imports here.
 */
import type { z } from 'zod';
import { JobAlreadyExistsError, SourceNotReadyError, ValidationError, type FieldError } from '../domain/errors.ts';
import { fingerprint, reuseKeyOf } from '../domain/fingerprints.ts';
import {
  JOB_PRIORITIES,
  createJob,
  jobLogFields,
  createReusedJob,
  messageDelaySeconds,
  type Job,
  type JobPriority,
  type LifecycleSettings,
  type NewJob,
  type StoredResult,
} from '../domain/job.ts';
import { isJsonObject } from '../domain/json.ts';
import type { JobTypeCatalog, JobTypeDefinition, UploadReference } from '../domain/job-types.ts';
import { DOCUMENT_CONTENT_TYPES } from '../domain/model.ts';
import { announcedBytes, payloadKeys, storeInput, UPLOADS } from '../domain/payloads.ts';
import { noMetrics, systemClock, type Clock, type IdGenerator, type JobMetrics, type JobQueue, type JobStore, type Logger, type PayloadStore } from '../domain/ports.ts';
import { checkQuota, DEFAULT_QUOTA, IdempotencyKeys, type FlowOptions, type JobOutcome, type QuotaSettings } from './flow-control.ts';
import { sendJob } from './owned-jobs.ts';
import { requestBody } from './request-body.ts';

export interface CreateJobDependencies {
  readonly store: JobStore;
  /** The job types' definitions (their input schemas). */
  readonly types: JobTypeCatalog;
  readonly queue: JobQueue;
  /** Inputs too large for the record, the documents uploaded for jobs, and reused results. */
  readonly payloads: PayloadStore;
  readonly settings: LifecycleSettings;
  /** Unfinished jobs a caller may have; default DEFAULT_QUOTA. */
  readonly quota?: QuotaSettings;
  readonly logger: Logger;
  /** @default noMetrics */
  readonly metrics?: JobMetrics;
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
  readonly type: string;
  readonly input: unknown;
  readonly priority: JobPriority | undefined;
  readonly scheduledAt: string | undefined;
  readonly reuse: { readonly maxAgeSeconds: number } | undefined;
}

/** The create request's envelope: `{ type, input, priority?, runAt?, reuse? }`, nothing else. */
function parseCreateRequest(request: unknown, settings: LifecycleSettings, now: Date): CreateRequest {
  const body = requestBody(request, ['type', 'input', 'priority', 'runAt', 'reuse'], 'job request', 'must be a JSON object with "type" and "input"');
  const { type, input, priority, runAt, reuse } = body.fields;
  if (typeof type !== 'string' || type.length === 0 || type.length > 64) {
    body.errors.push({ path: 'type', message: 'type is required and must be a job type name (a string of 1 to 64 characters)' });
  }
  if (priority !== undefined && !(JOB_PRIORITIES as readonly unknown[]).includes(priority)) {
    body.errors.push({ path: 'priority', message: `must be one of ${JOB_PRIORITIES.join(', ')}` });
  }
  const schedule = runAt === undefined ? undefined : parseRunAt(runAt, now);
  if (schedule && 'error' in schedule) body.errors.push({ path: 'runAt', message: schedule.error });
  // The oldest result a create may reuse is one kept that long: the retention.
  const maxAge = Math.floor(settings.retentionMs / 1000);
  const age = isJsonObject(reuse) ? reuse.maxAgeSeconds : undefined;
  if (reuse !== undefined && (!isJsonObject(reuse) || Object.keys(reuse).some((key) => key !== 'maxAgeSeconds'))) {
    body.errors.push({ path: 'reuse', message: 'must be an object { "maxAgeSeconds": N } and nothing else' });
  } else if (reuse !== undefined && (typeof age !== 'number' || !Number.isInteger(age) || age < 1 || age > maxAge)) {
    body.errors.push({ path: 'reuse.maxAgeSeconds', message: `must be an integer from 1 to ${maxAge} (the retention)` });
  } else if (reuse !== undefined && runAt !== undefined) {
    // A reused result is there at once; a scheduled job runs later: the two ask for opposite things.
    body.errors.push({ path: 'reuse', message: 'cannot be combined with runAt: a reused result is ready now, a scheduled job runs later' });
  }
  body.check();
  return {
    type: type as string,
    input,
    priority: priority as JobPriority | undefined,
    scheduledAt: schedule && 'scheduledAt' in schedule ? schedule.scheduledAt : undefined,
    reuse: reuse === undefined ? undefined : { maxAgeSeconds: age as number },
  };
}

/** A create request checked against its type: what the job will be. */
interface CheckedRequest {
  readonly type: JobTypeDefinition;
  readonly input: unknown;
  readonly priority: JobPriority;
  readonly scheduledAt: string | undefined;
  readonly reuse: CreateRequest['reuse'];
  readonly reuseKey: string | null;
  /** Who creates it, and where it lives. */
  readonly origin: JobOrigin;
  /** The create's API request id, kept on the job and in its message. */
  readonly requestId: string | undefined;
}

/** What a create may say besides its body: its idempotency key, origin and API request id. */
export type CreateOptions = FlowOptions & { readonly origin?: JobOrigin; readonly requestId?: string };

/** A workspace job's creator and workspace (its owner key is the workspace's); absent: a personal job of the owner. */
export interface JobOrigin {
  readonly createdBy: string;
  readonly workspaceId: string | null;
}

export class CreateJob {
  private readonly clock: Clock;
  private readonly newId: IdGenerator;
  private readonly keys: IdempotencyKeys;

  constructor(private readonly deps: CreateJobDependencies) {
    this.clock = deps.clock ?? systemClock;
    this.newId = deps.newId ?? (() => crypto.randomUUID());
    this.keys = new IdempotencyKeys(deps.store, this.clock);
  }

  /**
   * Validates the request against the job type's schema and stores the job: PENDING and enqueued
   * (a scheduled job's message delayed until its time, or, beyond the queue's 15-minute delay,
   * left for the reconciler to send once its time is that close), or COMPLETED at once with a
   * reusable earlier result. With an idempotency key, a request repeated within 24 hours gets the
   * job the first one made (replayed), as it is now.
   */
  async createWith(ownerId: string, request: unknown, options: CreateOptions = {}): Promise<JobOutcome> {
    const origin = options.origin ?? { createdBy: ownerId, workspaceId: null };
    const { requestId } = options;
    if (!options.idempotencyKey) return { job: await this.write(ownerId, this.newId(), this.check(ownerId, request, origin, requestId)), replayed: false };
    const keyed = { ownerId, key: options.idempotencyKey, requestHash: fingerprint('create', request) };
    const held = await this.keys.find(keyed);
    // A replay is answered before the request is checked again: a runAt that has passed since is no reason to refuse it.
    const replayed = held ? await this.replay(ownerId, held.jobId) : undefined;
    if (replayed) return replayed;
    const checked = this.check(ownerId, request, origin, requestId);
    if (held) return this.writeOnce(ownerId, held.jobId, checked);
    // Everything that can refuse the request (sources, uploads, the quota) runs before the key is held.
    const prepared = await this.prepare(ownerId, checked);
    const proposed = this.newId();
    const record = await this.keys.claim(keyed, proposed, 0);
    // A concurrent request with the key won: its job (or, if it is not there yet, the same id written here).
    return this.writeOnce(ownerId, record.jobId, checked, record.jobId === proposed ? prepared : undefined);
  }

  /** createWith without an idempotency key: the job. */
  async create(ownerId: string, request: unknown): Promise<Job> {
    return (await this.createWith(ownerId, request)).job;
  }

  /** The caller's job under `id`, as a replay; undefined if it is not there (yet). */
  private async replay(ownerId: string, id: string): Promise<JobOutcome | undefined> {
    const job = await this.deps.store.get(id);
    return job && job.ownerId === ownerId ? { job, replayed: true } : undefined;
  }

  /** The job under `id` if it exists (a replay), else written under that id: exactly one writer succeeds. */
  private async writeOnce(ownerId: string, id: string, checked: CheckedRequest, prepared?: Prepared): Promise<JobOutcome> {
    if (!prepared) {
      const existing = await this.replay(ownerId, id);
      if (existing) return existing;
    }
    try {
      return { job: await this.write(ownerId, id, checked, prepared), replayed: false };
    } catch (error) {
      if (!(error instanceof JobAlreadyExistsError)) throw error;
      const existing = await this.replay(ownerId, id);
      if (existing) return existing;
      throw error;
    }
  }

  /** The request checked on its own: envelope, type, input schema, reuse allowed. */
  private check(ownerId: string, request: unknown, origin: JobOrigin, requestId: string | undefined): CheckedRequest {
    const { types, settings } = this.deps;
    const { type: typeName, input, priority, scheduledAt, reuse } = parseCreateRequest(request, settings, this.clock());
    const type = types.get(typeName) as JobTypeDefinition | undefined;
    if (!type) {
      const known = types.names().join(', ');
      throw new ValidationError(
        `Unknown job type "${typeName}"`,
        [{ path: 'type', message: `must be one of: ${known}` }],
        'UNKNOWN_JOB_TYPE',
      );
    }
    const parsed = type.input.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(`The input is not valid for job type ${type.name}`, fieldErrors(parsed.error, ['input']));
    }
    const reusable = type.reusable !== false;
    if (reuse && !reusable) {
      throw new ValidationError(`Job type ${type.name} does not reuse results: its output must be fresh`, [
        { path: 'reuse', message: `${type.name} opts out of result reuse; leave reuse out` },
      ]);
    }
    return {
      type,
      input: parsed.data,
      priority: priority ?? 'normal',
      scheduledAt,
      reuse,
      reuseKey: reusable ? reuseKeyOf(ownerId, type.name, parsed.data) : null,
      origin,
      requestId,
    };
  }

  /**
   * What the job needs from the caller's other data, checked before anything is written: its
   * source jobs and uploads, the earlier result it may reuse, and (unless it reuses one) the quota.
   */
  private async prepare(ownerId: string, checked: CheckedRequest): Promise<Prepared> {
    const { store } = this.deps;
    await this.checkSources(ownerId, checked.type, checked.input);
    // Uploads are personal: the creator's, also for a workspace job.
    const uploads = await this.checkUploads(checked.origin.createdBy, checked.type, checked.input);
    const since = checked.reuse && checked.reuseKey ? new Date(this.clock().getTime() - checked.reuse.maxAgeSeconds * 1000) : undefined;
    const reused = since ? await store.findReusable(checked.reuseKey!, since.toISOString()) : undefined;
    if (!reused) await checkQuota(store, ownerId, this.deps.quota ?? DEFAULT_QUOTA, checked.type.name);
    return { uploads, reused };
  }

  /** Writes the job under `id`: payloads first (a failure leaves no record: a 503), then the record, then its message. */
  private async write(ownerId: string, id: string, checked: CheckedRequest, prepared?: Prepared): Promise<Job> {
    const { payloads, store } = this.deps;
    const { uploads, reused } = prepared ?? (await this.prepare(ownerId, checked));
    const stored = await storeInput(payloads, id, checked.input);
    const spec: NewJob = {
      id,
      ownerId,
      ...checked.origin,
      type: checked.type.name,
      ...stored,
      priority: checked.priority,
      maxAttempts: checked.type.maxAttempts,
      reuseKey: checked.reuseKey,
      ...(checked.scheduledAt ? { scheduledAt: checked.scheduledAt } : {}),
      ...(checked.requestId ? { requestId: checked.requestId } : {}),
    };
    const metrics = this.deps.metrics ?? noMetrics;
    if (reused) {
      const job = createReusedJob(spec, await copyResult(payloads, reused, id), this.clock(), this.deps.settings);
      await store.create(job);
      metrics.reused(job.type);
      this.deps.logger.info('job created with a reused result', { ...jobLogFields(job), type: job.type, reusedJobId: reused.id });
      return job;
    }
    for (const key of uploads) await payloads.copy(key, payloadKeys.document(id));
    const now = this.clock();
    const job = createJob(spec, now, this.deps.settings);
    await store.create(job);
    metrics.created(job.type);
    this.deps.logger.info('job created', { ...jobLogFields(job), type: job.type, priority: job.priority });
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

/** What prepare found: the uploads to copy, and the earlier job whose result is reused. */
interface Prepared {
  readonly uploads: readonly string[];
  readonly reused: Job | undefined;
}

/**
 * The reused job's result as the new job keeps it: inline, or a copy of the stored object under
 * the new job (so it lives as long as the new job; named after its source, so two requests that
 * reuse different sources for one id never overwrite each other's object).
 */
async function copyResult(payloads: PayloadStore, source: Job, id: string): Promise<StoredResult> {
  if (!source.resultRef) return { result: source.result ?? {} };
  const key = payloadKeys.reusedResult(id, source.id);
  await payloads.copy(source.resultRef.key, key);
  return { resultRef: { ...source.resultRef, key } };
}

/** Zod issues as `{ path, message }` with dotted paths. */
export function fieldErrors(error: z.ZodError, prefix: readonly (string | number)[] = []): FieldError[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.') || '(body)',
    message: issue.message,
  }));
}
