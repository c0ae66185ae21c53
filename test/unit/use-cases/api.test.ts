import { beforeEach, describe, expect, it } from 'vitest';
import { HmacCursorCodec } from '../../../lambdas/adapters/hmac-cursor-codec.ts';
import { MAX_DOCUMENT_BYTES } from '../../../lambdas/domain/bedrock-limits.ts';
import {
  InvalidCursorError,
  InvalidTransitionError,
  JobNotCompletedError,
  JobNotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '../../../lambdas/domain/errors.ts';
import { toListItem } from '../../../lambdas/domain/job.ts';
import { INLINE_LIMITS } from '../../../lambdas/domain/payloads.ts';
import { jobTypeCatalog } from '../../../lambdas/job-types/definitions.ts';
import { ManualClock, MemoryPayloadStore, RecordingQueue, silentLogger, testLifecycle } from '../../support/fakes.ts';
import { MemoryJobStore } from '../../support/memory-job-store.ts';
import { CancelJob } from '../../../lambdas/use-cases/cancel-job.ts';
import { CreateJob } from '../../../lambdas/use-cases/create-job.ts';
import { CreateUpload } from '../../../lambdas/use-cases/create-upload.ts';
import { ListJobs } from '../../../lambdas/use-cases/list-jobs.ts';
import { ReadJob } from '../../../lambdas/use-cases/read-job.ts';
import { RetryJob } from '../../../lambdas/use-cases/retry-job.ts';

let store: MemoryJobStore;
let queue: RecordingQueue;
let payloads: MemoryPayloadStore;
let clock: ManualClock;
/** Each function's use case, wired with the same fakes. */
let api: {
  readonly create: CreateJob;
  readonly read: ReadJob;
  readonly list: ListJobs;
  readonly cancel: CancelJob;
  readonly retry: RetryJob;
  readonly upload: CreateUpload;
};
let ids: number;

beforeEach(() => {
  queue = new RecordingQueue();
  payloads = new MemoryPayloadStore();
  clock = new ManualClock();
  store = new MemoryJobStore(testLifecycle, clock.read);
  ids = 0;
  const newId = () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`;
  api = {
    create: new CreateJob({ store, queue, payloads, types: jobTypeCatalog, settings: testLifecycle, logger: silentLogger, clock: clock.read, newId }),
    read: new ReadJob({ store, payloads }),
    list: new ListJobs({ store, cursors: new HmacCursorCodec('a-test-secret-that-is-long-enough-0123') }),
    cancel: new CancelJob({ store, clock: clock.read }),
    retry: new RetryJob({ store, queue, logger: silentLogger, clock: clock.read }),
    upload: new CreateUpload({ payloads, newId }),
  };
});

const preview = { type: 'AI_PREVIEW', input: { prompt: 'Summarise the risks' } };

async function failedJob(owner = 'user-a') {
  const job = await api.create.create(owner, preview);
  store.arrange(job.id, { status: 'FAILED', error: 'boom', attempts: 3, dueAt: null });
  return job;
}

describe('CreateJob', () => {
  it('stores a PENDING job for the caller and sends its message', async () => {
    const job = await api.create.create('user-a', preview);
    expect(job).toMatchObject({ status: 'PENDING', type: 'AI_PREVIEW', ownerId: 'user-a', attempts: 0, maxAttempts: 3, priority: 'normal' });
    expect(store.jobs.get(job.id)?.input).toEqual({ prompt: 'Summarise the risks' });
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 0, delaySeconds: 0, priority: 'normal' }]);
  });

  it.each(['low', 'normal', 'high', 'urgent'] as const)('sends a %s job to its own priority band', async (priority) => {
    const job = await api.create.create('user-a', { ...preview, priority });
    expect(job.priority).toBe(priority);
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 0, delaySeconds: 0, priority }]);
  });

  it('refuses an unknown type with UNKNOWN_JOB_TYPE naming the known types', async () => {
    const error = await api.create.create('user-a', { type: 'NOPE', input: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('UNKNOWN_JOB_TYPE');
    expect((error as ValidationError).errors[0]).toMatchObject({ path: 'type', message: expect.stringContaining('AI_PREVIEW') });
    expect(store.writes).toBe(0);
  });

  it('reports input errors with paths under input', async () => {
    const error = (await api.create.create('user-a', { type: 'AI_PREVIEW', input: { prompt: 42 } }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors.map((e) => e.path)).toContain('input.prompt');
  });

  it.each([[null], [[]], ['text'], [42]])('refuses a body that is not an object: %j', async (body) => {
    const error = (await api.create.create('user-a', body).catch((e: unknown) => e)) as ValidationError;
    expect(error.errors).toEqual([{ path: '(body)', message: 'must be a JSON object with "type" and "input"' }]);
  });

  it('refuses a missing or empty type', async () => {
    for (const body of [{ input: {} }, { type: '', input: {} }, { type: 7, input: {} }]) {
      const error = (await api.create.create('user-a', body).catch((e: unknown) => e)) as ValidationError;
      expect(error.errors.map((e) => e.path)).toEqual(['type']);
    }
  });

  it('refuses unknown top-level fields and a bad priority', async () => {
    const error = (await api.create.create('user-a', { ...preview, priority: 'critical', imput: {} }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors).toEqual([
      { path: 'imput', message: 'unknown field; the fields are type, input, priority, runAt, reuse' },
      { path: 'priority', message: 'must be one of low, normal, high, urgent' },
    ]);
  });

  it('keeps the job and pulls its due time forward when the send fails', async () => {
    queue.failSends = true;
    const job = await api.create.create('user-a', preview);
    expect(store.jobs.get(job.id)).toMatchObject({ status: 'PENDING', dueAt: clock.read().toISOString() });
  });
});

describe('ReadJob', () => {
  it("answers another user's job exactly like a missing one", async () => {
    const job = await api.create.create('user-a', preview);
    await expect(api.read.get('user-b', job.id)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(api.read.get('user-b', '00000000-0000-4000-8000-999999999999')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('refuses the result of an unfinished job, naming its status', async () => {
    const job = await api.create.create('user-a', preview);
    const error = (await api.read.result('user-a', job.id).catch((e: unknown) => e)) as JobNotCompletedError;
    expect(error).toBeInstanceOf(JobNotCompletedError);
    expect(error.currentStatus).toBe('PENDING');
  });

  it('returns id, status and result once completed', async () => {
    const job = await api.create.create('user-a', preview);
    store.arrange(job.id, { status: 'COMPLETED', result: { output: 'done' } });
    expect(await api.read.result('user-a', job.id)).toEqual({ id: job.id, status: 'COMPLETED', result: { output: 'done' } });
  });
});

describe('payloads larger than the record keeps', () => {
  it('keeps a small input in the record and stores a large one as an object', async () => {
    const small = await api.create.create('user-a', preview);
    expect(store.jobs.get(small.id)).toMatchObject({ input: { prompt: 'Summarise the risks' }, inputRef: null });
    expect(payloads.puts).toBe(0);

    const prompt = 'p'.repeat(INLINE_LIMITS.inputBytes);
    const large = await api.create.create('user-a', { type: 'AI_PREVIEW', input: { prompt } });
    const key = `inputs/${large.id}/input.json`;
    expect(store.jobs.get(large.id)).toMatchObject({ input: null, inputRef: { key } });
    expect(JSON.parse(new TextDecoder().decode(payloads.objects.get(key)!.body))).toEqual({ prompt });
  });

  it('creates nothing when a large input cannot be stored', async () => {
    payloads.put = async () => {
      throw new ServiceUnavailableError('S3 is down');
    };
    await expect(api.create.create('user-a', { type: 'AI_PREVIEW', input: { prompt: 'p'.repeat(2048) } })).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(store.jobs.size).toBe(0);
    expect(queue.sent).toEqual([]);
  });

  it('reads a stored result only for a COMPLETED job: get and result return it whole, a list leaves it out', async () => {
    const job = await api.create.create('user-a', preview);
    const result = { output: 'o'.repeat(10_000) };
    const ref = await payloads.put(`results/${job.id}/0.json`, new TextEncoder().encode(JSON.stringify(result)), 'application/json');
    store.arrange(job.id, { status: 'PROCESSING', runId: 'r' });
    expect((await api.read.get('user-a', job.id)).result).toBeNull();
    expect(payloads.gets).toBe(0);

    store.arrange(job.id, { status: 'COMPLETED', resultRef: ref, result: null });
    expect((await api.read.get('user-a', job.id)).result).toEqual(result);
    expect(await api.read.result('user-a', job.id)).toEqual({ id: job.id, status: 'COMPLETED', result });
    const page = await api.list.list('user-a', { limit: 10 });
    expect(page.items.map(toListItem)).toEqual([expect.objectContaining({ id: job.id, result: null, resultOmitted: true })]);
    expect(payloads.gets).toBe(2);
  });
});

describe('document uploads', () => {
  const PDF = new TextEncoder().encode('%PDF-1.4 a small test document');

  async function uploadAs(owner: string, bytes = PDF, contentType = 'application/pdf', announced = bytes.byteLength) {
    const ticket = await api.upload.create(owner, { name: 'plan.pdf', contentType, size: announced });
    payloads.upload(ticket.url, bytes, contentType);
    return ticket;
  }

  it('hands out a presigned PUT for a document under the caller, with the id a job then names', async () => {
    const ticket = await api.upload.create('user-a', { name: 'plan.pdf', contentType: 'application/pdf', size: 2000 });
    expect(ticket).toMatchObject({
      uploadId: expect.stringMatching(/^[0-9a-f-]{36}\.2000$/),
      method: 'PUT',
      headers: { 'Content-Type': 'application/pdf', 'Content-Length': '2000' },
      maxBytes: MAX_DOCUMENT_BYTES,
      expiresAt: new Date(Date.parse(ticket.expiresAt)).toISOString(),
    });
    expect(payloads.presigned.get(ticket.url)?.key).toMatch(new RegExp(`^uploads/[0-9a-f]{32}/${ticket.uploadId.replace('.', '\\.')}$`));
  });

  it.each([
    [{ name: 'a.pdf', contentType: 'application/pdf', size: MAX_DOCUMENT_BYTES + 1 }, 'size', /4718593 bytes; the limit is 4718592/],
    [{ name: 'a.exe', contentType: 'application/x-msdownload', size: 10 }, 'contentType', /must be one of application\/pdf/],
    [{ name: '', contentType: 'application/pdf', size: 10 }, 'name', /file's name/],
    [{ name: 'a.pdf', contentType: 'application/pdf', size: 0 }, 'size', /positive integer/],
    [{ name: 'a.pdf', contentType: 'application/pdf', size: 10, bucket: 'x' }, 'bucket', /unknown field/],
  ])('refuses the upload request %j with a 422 naming %s', async (request, path, message) => {
    const error = await api.upload.create('user-a', request).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect(payloads.presigned.size).toBe(0);
  });

  it("copies the caller's upload to the job, and the processor reads it", async () => {
    const ticket = await uploadAs('user-a');
    const job = await api.create.create('user-a', { type: 'PARSE_DOCUMENT', input: { document: { uploadId: ticket.uploadId, format: 'pdf' } } });
    expect(payloads.objects.get(`inputs/${job.id}/document`)?.body).toEqual(PDF);
    expect(store.jobs.get(job.id)?.input).toEqual({ document: { uploadId: ticket.uploadId, format: 'pdf' } });
  });

  it("refuses a missing upload and another caller's alike, and one not uploaded yet", async () => {
    const theirs = await uploadAs('user-b');
    const notYet = await api.upload.create('user-a', { name: 'a.pdf', contentType: 'application/pdf', size: 100 });
    const never = '0b9e5a4c-6d2f-4f43-9a51-3f1e2d7c8b90.100';
    const messages: string[] = [];
    for (const uploadId of [theirs.uploadId, notYet.uploadId, never]) {
      const error = await api.create
        .create('user-a', { type: 'PARSE_DOCUMENT', input: { document: { uploadId, format: 'pdf' } } })
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ValidationError);
      const [field] = (error as ValidationError).errors;
      expect(field?.path).toBe('input.document.uploadId');
      messages.push(field!.message.replace(uploadId, '<id>'));
    }
    expect(new Set(messages).size).toBe(1);
    expect(store.jobs.size).toBe(0);
  });

  it('refuses an upload larger than announced, or of another type than its format', async () => {
    const bigger = await uploadAs('user-a', PDF, 'application/pdf', PDF.byteLength - 5);
    const wrongType = await uploadAs('user-a', PDF, 'text/plain');
    for (const [uploadId, message] of [
      [bigger.uploadId, /announced as/],
      [wrongType.uploadId, /format pdf needs application\/pdf/],
    ] as const) {
      const error = await api.create
        .create('user-a', { type: 'PARSE_DOCUMENT', input: { document: { uploadId, format: 'pdf' } } })
        .catch((thrown: unknown) => thrown);
      expect((error as ValidationError).errors).toEqual([{ path: 'input.document.uploadId', message: expect.stringMatching(message) }]);
    }
  });
});

describe('CancelJob and RetryJob', () => {
  it('cancels a pending job', async () => {
    const job = await api.create.create('user-a', preview);
    const cancelled = await api.cancel.cancel('user-a', job.id);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', completedAt: clock.read().toISOString(), dueAt: null });
  });

  it('sends a retried job to its priority band again', async () => {
    const job = await api.create.create('user-a', { ...preview, priority: 'urgent' });
    store.arrange(job.id, { status: 'CANCELLED', dueAt: null });
    queue.sent.length = 0;
    await api.retry.retry('user-a', job.id);
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 1, delaySeconds: 0, priority: 'urgent' }]);
  });

  it('refuses to cancel a finished job with the current status', async () => {
    const job = await failedJob();
    const error = (await api.cancel.cancel('user-a', job.id).catch((e: unknown) => e)) as InvalidTransitionError;
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect(error.currentStatus).toBe('FAILED');
  });

  it('retries a failed job: PENDING, attempts reset, message sent again', async () => {
    const job = await failedJob();
    queue.sent.length = 0;
    const retried = await api.retry.retry('user-a', job.id);
    expect(retried).toMatchObject({ status: 'PENDING', attempts: 0, error: null, startedAt: null, completedAt: null, generation: 1 });
    expect(queue.sent).toEqual([{ jobId: job.id, generation: 1, delaySeconds: 0, priority: 'normal' }]);
  });

  it('refuses to retry a pending job', async () => {
    const job = await api.create.create('user-a', preview);
    await expect(api.retry.retry('user-a', job.id)).rejects.toBeInstanceOf(InvalidTransitionError);
  });

  it("cannot cancel or retry another user's job", async () => {
    const job = await failedJob('user-a');
    await expect(api.retry.retry('user-b', job.id)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(api.cancel.cancel('user-b', job.id)).rejects.toBeInstanceOf(JobNotFoundError);
    expect(store.jobs.get(job.id)?.status).toBe('FAILED');
  });
});

describe('ListJobs', () => {
  it("walks all of the caller's jobs newest first and nobody else's", async () => {
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      mine.unshift((await api.create.create('user-a', preview)).id);
      await api.create.create('user-b', preview);
      clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.list.list('user-a', { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(mine);
  });

  it("refuses another user's cursor and a cursor issued for other filters", async () => {
    for (let i = 0; i < 3; i++) await api.create.create('user-a', preview);
    const { nextCursor } = await api.list.list('user-a', { limit: 1 });
    expect(nextCursor).toBeTypeOf('string');
    await expect(api.list.list('user-b', { limit: 1, cursor: nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(api.list.list('user-a', { limit: 1, status: 'FAILED', cursor: nextCursor! })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('binds a cursor to the priorities, sort and order it was issued for', async () => {
    for (const priority of ['high', 'urgent', 'high', 'low'] as const) {
      await api.create.create('user-a', { ...preview, priority });
      clock.advance(1000);
    }
    const asked = { limit: 1, priorities: ['urgent', 'high'] as const, sort: 'updatedAt' as const, order: 'asc' as const };
    const { nextCursor } = await api.list.list('user-a', { ...asked, priorities: [...asked.priorities] });
    expect(nextCursor).toBeTypeOf('string');
    const cursor = nextCursor!;
    for (const other of [
      { priorities: ['high' as const] },
      { priorities: [] },
      { sort: 'createdAt' as const },
      { order: 'desc' as const },
    ]) {
      await expect(api.list.list('user-a', { ...asked, priorities: [...asked.priorities], ...other, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    }
    // The same set of priorities, in another order or repeated, is the same query: oldest change first.
    const next = await api.list.list('user-a', { ...asked, priorities: ['high', 'urgent', 'high'], cursor });
    expect(next.items.map((job) => job.priority)).toEqual(['urgent']);
  });
});
