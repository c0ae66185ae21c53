/** Small fakes for domain unit tests. */
import { createHash } from 'node:crypto';
import { PayloadMissingError } from '../../lambdas/domain/errors.ts';
import type { JobMetrics, JobQueue, PayloadStore, PresignedUpload, QueuedJob, ReceivedMessage, ReceivedMessages } from '../../lambdas/domain/ports.ts';
import type { Logger } from '../../lambdas/domain/ports.ts';
import type { LifecycleSettings, PayloadRef } from '../../lambdas/domain/job.ts';
import { MemoryJobStore } from './memory-job-store.ts';

export class RecordingQueue implements JobQueue, ReceivedMessages {
  readonly sent: { jobId: string; generation: number; delaySeconds: number; priority: QueuedJob['priority'] }[] = [];
  readonly deferred: { receiptHandle: string; delaySeconds: number }[] = [];
  failSends = false;

  async enqueue(job: QueuedJob, delaySeconds = 0): Promise<void> {
    if (this.failSends) throw new Error('queue unavailable');
    this.sent.push({ jobId: job.id, generation: job.generation, delaySeconds, priority: job.priority });
  }

  async deferMessage(message: ReceivedMessage, delaySeconds: number): Promise<void> {
    this.deferred.push({ receiptHandle: message.receiptHandle, delaySeconds });
  }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

/** A log line as a RecordingLogger kept it: its level, message and every field (a child's too). */
export interface RecordedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps its lines (and its children's) in `lines`. */
export class RecordingLogger implements Logger {
  constructor(
    readonly lines: RecordedLine[] = [],
    private readonly context: Record<string, unknown> = {},
  ) {}
  debug(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'debug', message, fields: { ...this.context, ...fields } });
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, fields: { ...this.context, ...fields } });
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, fields: { ...this.context, ...fields } });
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, fields: { ...this.context, ...fields } });
  }
  child(fields: Record<string, unknown>): RecordingLogger {
    return new RecordingLogger(this.lines, { ...this.context, ...fields });
  }
}

/** JobMetrics that keeps every event as `[method, ...arguments]`. */
export class RecordingMetrics implements JobMetrics {
  readonly events: unknown[][] = [];
  /** The events of one kind, without their kind. */
  of(kind: keyof JobMetrics): unknown[][] {
    return this.events.filter((event) => event[0] === kind).map((event) => event.slice(1));
  }
  created(type: string) { this.events.push(['created', type]); }
  reused(type: string) { this.events.push(['reused', type]); }
  completed(type: string) { this.events.push(['completed', type]); }
  failed(type: string, failureClass: string) { this.events.push(['failed', type, failureClass]); }
  retried(type: string) { this.events.push(['retried', type]); }
  cancelled(type: string) { this.events.push(['cancelled', type]); }
  requeued(type: string) { this.events.push(['requeued', type]); }
  attemptDuration(type: string, ms: number) { this.events.push(['attemptDuration', type, ms]); }
  queueDelay(type: string, ms: number) { this.events.push(['queueDelay', type, ms]); }
  modelCall(modelId: string, latencyMs: number, tokens: { input: number; output: number }) { this.events.push(['modelCall', modelId, latencyMs, tokens]); }
  modelThrottled(modelId: string) { this.events.push(['modelThrottled', modelId]); }
  deadLettered(type: string) { this.events.push(['deadLettered', type]); }
  reconcilerRepair(repair: string) { this.events.push(['reconcilerRepair', repair]); }
}

/** The worker's retry settings in the use-case tests: backoff from 10 s, at most 300 s. */
export const testAttemptSettings = { retryBaseDelaySeconds: 10, retryMaxDelaySeconds: 300, finishMarginMs: 1000 } as const;

export const testLifecycle: LifecycleSettings = {
  stalePendingMs: 300_000,
  leaseGraceMs: 60_000,
  retentionMs: 30 * 86_400_000,
};

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(private now = new Date('2026-03-04T12:00:00.000Z')) {}
  readonly read = (): Date => new Date(this.now);
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

/** PayloadStore in memory, with the S3 adapter's checks (size and SHA-256 on read). */
export class MemoryPayloadStore implements PayloadStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();
  puts = 0;
  gets = 0;

  async put(key: string, body: Uint8Array, contentType: string): Promise<PayloadRef> {
    this.puts++;
    this.objects.set(key, { body: new Uint8Array(body), contentType });
    return { key, bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
  }

  async get(ref: PayloadRef): Promise<Uint8Array> {
    this.gets++;
    const object = this.objects.get(ref.key);
    if (!object) throw new PayloadMissingError(ref.key);
    const sha256 = createHash('sha256').update(object.body).digest('hex');
    if (object.body.byteLength !== ref.bytes || sha256 !== ref.sha256) throw new PayloadMissingError(ref.key, 'does not match its reference');
    return new Uint8Array(object.body);
  }

  async read(key: string): Promise<Uint8Array> {
    this.gets++;
    const object = this.objects.get(key);
    if (!object) throw new PayloadMissingError(key);
    return new Uint8Array(object.body);
  }

  async head(key: string): Promise<{ bytes: number; contentType: string | undefined } | undefined> {
    const object = this.objects.get(key);
    return object ? { bytes: object.body.byteLength, contentType: object.contentType } : undefined;
  }

  async copy(from: string, to: string): Promise<void> {
    const object = this.objects.get(from);
    if (!object) throw new PayloadMissingError(from);
    this.objects.set(to, { body: new Uint8Array(object.body), contentType: object.contentType });
  }

  /** Presigned uploads handed out, so a test can "upload" to them with `upload()`. */
  readonly presigned = new Map<string, { key: string; contentType: string; bytes: number }>();

  async presignPut(key: string, upload: { contentType: string; bytes: number; expiresInSeconds: number }): Promise<PresignedUpload> {
    const url = `memory://payloads/${key}`;
    this.presigned.set(url, { key, contentType: upload.contentType, bytes: upload.bytes });
    return {
      url,
      method: 'PUT',
      headers: { 'Content-Type': upload.contentType, 'Content-Length': String(upload.bytes) },
      expiresAt: new Date(Date.now() + upload.expiresInSeconds * 1000).toISOString(),
    };
  }

  /** What a client's PUT to a presigned URL does (no checks: like fauxqs, unlike S3). */
  upload(url: string, body: Uint8Array, contentType: string): void {
    const ticket = this.presigned.get(url);
    if (!ticket) throw new Error(`No presigned upload ${url}`);
    this.objects.set(ticket.key, { body: new Uint8Array(body), contentType });
  }
}

/** A use case test's fakes, new each time: a recording queue, in-memory payloads, a manual clock and the in-memory store on that clock. */
export function memoryFakes(): { queue: RecordingQueue; payloads: MemoryPayloadStore; clock: ManualClock; store: MemoryJobStore } {
  const clock = new ManualClock();
  return { queue: new RecordingQueue(), payloads: new MemoryPayloadStore(), clock, store: new MemoryJobStore(testLifecycle, clock.read) };
}
