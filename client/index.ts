/**
 * A small typed client of the jobs API: ESM, no dependencies beyond `fetch` (browsers and Node
 * 20+). Errors are ProblemError (the API's problem details); the token comes from a callback, so
 * any sign-in library (Amplify, the Cognito Hosted UI, any OIDC client) can supply it.
 *
 *   const jobs = new JobsClient({ baseUrl: 'https://api.example.com/prod', token: () => auth.idToken() });
 *   const { job } = await jobs.createJob({ type: 'AI_PREVIEW', input: { prompt: 'Hello' } });
 *   const done = await jobs.waitForJob(job.id, { onProgress: (s) => console.log(s.status, s.progress) });
 */
import { problemOf, ProblemError, retryAfterSeconds, WaitTimeoutError } from './errors.ts';
import {
  TERMINAL_STATUSES,
  type CreateJobRequest,
  type Job,
  type JobAccepted,
  type JobPage,
  type JobResult,
  type JobStatusSnapshot,
  type ListFilters,
  type UploadRequest,
  type UploadTicket,
} from './types.ts';

export * from './types.ts';
export { ProblemError, WaitTimeoutError } from './errors.ts';

/** Returns the token to send (an ID token, or a machine client's access token); nothing: no header. */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface JobsClientOptions {
  /** The API's base URL, before `/api/...` (a stage such as `/prod` included); '' for the page's own origin. */
  readonly baseUrl: string;
  /** A fixed token, or a callback asked before every request (so it can refresh). */
  readonly token?: string | TokenProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default Math.random (the backoff's jitter) */
  readonly random?: () => number;
  /** @default a timer */
  readonly sleep?: Sleep;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

export interface CreateOptions extends RequestOptions {
  /** Sent as `Idempotency-Key`: a repeat with the same key and body answers the same job (200, replayed). */
  readonly idempotencyKey?: string;
}

export interface WaitOptions extends RequestOptions {
  /** Called with each new status (and progress) the polls see. */
  readonly onProgress?: (status: JobStatusSnapshot) => void;
  /** Rejects with a WaitTimeoutError after this long. Default: no limit. */
  readonly timeoutMs?: number;
}

/** Used when an unfinished job's answer has no Retry-After (the API always sends one). */
export const DEFAULT_POLL_SECONDS = 3;
/** Backoff on 429 and 503 without Retry-After: 1 s doubling up to 30 s, with full jitter. */
export const BACKOFF = { baseMs: 1000, maxMs: 30_000 } as const;

const timerSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

export class JobsClient {
  private readonly options: JobsClientOptions;
  /** `/api/jobs`, or `/api/workspaces/{wid}/jobs`. */
  private readonly jobsPath: string;

  constructor(options: JobsClientOptions, jobsPath = '/api/jobs') {
    this.options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
    this.jobsPath = jobsPath;
  }

  /** The same client on a workspace's jobs (`/api/workspaces/{wid}/jobs`); uploads stay the caller's. */
  workspace(workspaceId: string): JobsClient {
    return new JobsClient(this.options, `/api/workspaces/${encodeURIComponent(workspaceId)}/jobs`);
  }

  /** POST /api/jobs: 202 with the PENDING job (201 for a reused result, 200 for a replay). */
  async createJob(request: CreateJobRequest, options: CreateOptions = {}): Promise<JobAccepted> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    return this.accepted(await this.send('POST', this.jobsPath, { body: JSON.stringify(request), headers, signal: options.signal }));
  }

  /** GET /api/jobs/{id}: the job record (404 JOB_NOT_FOUND for a missing job or another caller's). */
  async getJob(id: string, options: RequestOptions = {}): Promise<Job> {
    return (await this.send('GET', this.jobPath(id), { signal: options.signal })).json() as Promise<Job>;
  }

  /** GET /api/jobs/{id}/status: `{ id, status, progress, updatedAt }`. */
  async getStatus(id: string, options: RequestOptions = {}): Promise<JobStatusSnapshot> {
    return (await this.send('GET', `${this.jobPath(id)}/status`, { signal: options.signal })).json() as Promise<JobStatusSnapshot>;
  }

  /** GET /api/jobs/{id}/result: a COMPLETED job's result (409 JOB_NOT_COMPLETED before). */
  async getResult(id: string, options: RequestOptions = {}): Promise<JobResult> {
    return (await this.send('GET', `${this.jobPath(id)}/result`, { signal: options.signal })).json() as Promise<JobResult>;
  }

  /** One page of GET /api/jobs; pass the previous page's `nextCursor` for the next. */
  async listPage(filters: ListFilters = {}, cursor?: string | null, options: RequestOptions = {}): Promise<JobPage> {
    const query = new URLSearchParams();
    if (filters.status) query.set('status', filters.status);
    if (filters.type) query.set('type', filters.type);
    for (const priority of filters.priority ?? []) query.append('priority', priority);
    if (filters.sort) query.set('sort', filters.sort);
    if (filters.order) query.set('order', filters.order);
    if (filters.limit !== undefined) query.set('limit', String(filters.limit));
    if (cursor) query.set('cursor', cursor);
    const search = query.toString();
    return (await this.send('GET', `${this.jobsPath}${search ? `?${search}` : ''}`, { signal: options.signal })).json() as Promise<JobPage>;
  }

  /** GET /api/jobs page after page (newest first by default), until the last. */
  async *listJobs(filters: ListFilters = {}, options: RequestOptions = {}): AsyncGenerator<JobPage, void, undefined> {
    let cursor: string | null = null;
    do {
      const page: JobPage = await this.listPage(filters, cursor, options);
      yield page;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** POST /api/jobs/{id}/cancel: the job as cancelled (409 INVALID_TRANSITION once finished). */
  async cancelJob(id: string, options: RequestOptions = {}): Promise<Job> {
    return (await this.send('POST', `${this.jobPath(id)}/cancel`, { signal: options.signal })).json() as Promise<Job>;
  }

  /** POST /api/jobs/{id}/retry: a FAILED or CANCELLED job runs again (202). */
  async retryJob(id: string, options: CreateOptions = {}): Promise<JobAccepted> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    return this.accepted(await this.send('POST', `${this.jobPath(id)}/retry`, { headers, signal: options.signal }));
  }

  /** POST /api/uploads: where to PUT a document (presigned, no credentials needed). */
  async createUpload(request: UploadRequest, options: RequestOptions = {}): Promise<UploadTicket> {
    const body = JSON.stringify(request);
    const response = await this.send('POST', '/api/uploads', { body, headers: { 'Content-Type': 'application/json' }, signal: options.signal });
    return response.json() as Promise<UploadTicket>;
  }

  /** Uploads a document (a File or Blob) and returns the `uploadId` a job's input names it by. */
  async uploadDocument(file: Blob, name: string, options: RequestOptions = {}): Promise<string> {
    const ticket = await this.createUpload({ name, contentType: file.type, size: file.size }, options);
    const fetcher = this.options.fetch ?? globalThis.fetch;
    const response = await fetcher(ticket.url, { method: ticket.method, headers: ticket.headers, body: file, ...(options.signal ? { signal: options.signal } : {}) });
    if (!response.ok) throw await problemOf(response);
    return ticket.uploadId;
  }

  /**
   * Polls the job's status as the API says until it is COMPLETED, FAILED or CANCELLED, then
   * returns its record. Waits each answer's `Retry-After` (3 s while a job runs); on 429 and 503
   * waits their Retry-After, else backs off (1 s doubling to 30 s, full jitter). Any other error
   * is thrown. The signal aborts it at once (the request in flight too) with the signal's reason.
   */
  async waitForJob(id: string, options: WaitOptions = {}): Promise<Job> {
    const sleep = this.options.sleep ?? timerSleep;
    const random = this.options.random ?? Math.random;
    const stop = new AbortController();
    const onAbort = () => stop.abort(options.signal!.reason);
    if (options.signal?.aborted) throw options.signal.reason;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(new WaitTimeoutError(id, options.timeoutMs!)), options.timeoutMs);
    let last = '';
    let failures = 0;
    try {
      for (;;) {
        let waitMs: number;
        try {
          const response = await this.send('GET', `${this.jobPath(id)}/status`, { signal: stop.signal });
          const status = (await response.json()) as JobStatusSnapshot;
          failures = 0;
          const seen = JSON.stringify([status.status, status.progress]);
          if (seen !== last) {
            last = seen;
            options.onProgress?.(status);
          }
          if (TERMINAL_STATUSES.includes(status.status)) return await this.getJob(id, { signal: stop.signal });
          waitMs = (retryAfterSeconds(response.headers.get('Retry-After')) ?? DEFAULT_POLL_SECONDS) * 1000;
        } catch (error) {
          if (stop.signal.aborted) throw stop.signal.reason;
          if (!(error instanceof ProblemError) || (error.status !== 429 && error.status !== 503)) throw error;
          const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** failures);
          failures++;
          waitMs = error.retryAfterSeconds !== null ? error.retryAfterSeconds * 1000 : Math.round(random() * ceiling);
        }
        await sleep(waitMs, stop.signal);
      }
    } catch (error) {
      throw stop.signal.aborted ? stop.signal.reason : error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private jobPath(id: string): string {
    return `${this.jobsPath}/${encodeURIComponent(id)}`;
  }

  private async accepted(response: Response): Promise<JobAccepted> {
    return {
      job: (await response.json()) as Job,
      status: response.status as JobAccepted['status'],
      replayed: response.headers.get('Idempotent-Replayed') === 'true',
      retryAfterSeconds: retryAfterSeconds(response.headers.get('Retry-After')),
    };
  }

  /** One request: the token as a bearer, a problem thrown for anything but 2xx. */
  private async send(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...init.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    const fetcher = this.options.fetch ?? globalThis.fetch;
    const response = await fetcher(`${this.options.baseUrl}${path}`, {
      method,
      headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    if (!response.ok) throw await problemOf(response);
    return response;
  }
}
