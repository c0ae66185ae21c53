/**
 * The reconciler's use case: unfinished jobs whose dueAt has passed are looked at again. A
 * PENDING job whose message was lost (a failed send after create or retry, a message that waited
 * too long) is sent again; a PROCESSING job whose lease is long gone counts as a lost attempt.
 * A job scheduled more than the queue's delay ahead is due 15 minutes before its time: it is sent
 * then, delayed by what is left.
 * After a restart of the local runtime, `unfinished` and `recover` settle every unfinished job
 * once. Every write is guarded on the job as it was read. No AWS imports here.
 */
import { ConcurrentUpdateError } from '../domain/errors.ts';
import { jobLogFields, scheduleHorizonMs, type Job, type LifecycleSettings } from '../domain/job.ts';
import { noMetrics, systemClock, type Clock, type DuePosition, type JobMetrics, type JobQueue, type JobStore, type Logger } from '../domain/ports.ts';
import type { Repair } from '../shared/metric-catalog.ts';

export interface ReconcileJobsDependencies {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly lifecycle: LifecycleSettings;
  readonly logger: Logger;
  /** @default noMetrics */
  readonly metrics?: JobMetrics;
  readonly clock?: Clock;
}

export interface ReconcileOptions {
  /** Due jobs read per page (default 100). */
  readonly pageSize?: number;
  /** Stop starting new pages after this long (default 40 s, within the reconciler's 60 s timeout). */
  readonly budgetMs?: number;
  /** Jobs settled at once (default 10). */
  readonly concurrency?: number;
}

export interface ReconcileReport {
  readonly resent: number;
  /** Scheduled jobs whose time is still beyond the queue's delay: left for a later run. */
  readonly scheduled: number;
  readonly requeued: number;
  readonly failed: number;
  readonly skipped: number;
}

type Tally = { -readonly [K in keyof ReconcileReport]: number };
type Mode = 'due' | 'recover';

/** Later than any dueAt. */
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';

export class ReconcileJobs {
  private readonly clock: Clock;

  constructor(private readonly deps: ReconcileJobsDependencies) {
    this.clock = deps.clock ?? systemClock;
  }

  /**
   * Walks the due jobs once, reading each record (the due index holds only keys), page after
   * page until none is left or the time budget is spent: every job it settles gets a later
   * dueAt, so it is not seen again in this run. A job still running is looked at again when its
   * lease would be long gone.
   */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const now = this.clock();
    const started = Date.now();
    const report: Tally = { resent: 0, scheduled: 0, requeued: 0, failed: 0, skipped: 0 };
    let after: DuePosition | undefined;
    do {
      const page = await this.deps.store.findDue(now.toISOString(), options.pageSize ?? 100, after);
      const jobs = await this.deps.store.getMany(page.jobs.map((job) => job.id));
      report.skipped += page.jobs.length - jobs.length;
      await this.settle(jobs, now, 'due', options.concurrency ?? 10, report);
      after = page.next ?? undefined;
    } while (after && Date.now() - started < (options.budgetMs ?? 40_000));
    if (report.resent + report.scheduled + report.requeued + report.failed + report.skipped > 0) this.deps.logger.info('reconciled', { ...report });
    return report;
  }

  /**
   * Every unfinished job, due or not, as it is now: what a process that stopped left behind.
   * Take it before any worker of the new process starts, then settle it with `recover`.
   */
  async unfinished(pageSize = 1000): Promise<readonly Job[]> {
    const jobs: Job[] = [];
    let after: DuePosition | undefined;
    do {
      const page = await this.deps.store.findDue(FAR_FUTURE, pageSize, after);
      const records = await this.deps.store.getMany(page.jobs.map((job) => job.id));
      jobs.push(...records.filter((job) => job.status === 'PENDING' || job.status === 'PROCESSING'));
      after = page.next ?? undefined;
    } while (after);
    return jobs;
  }

  /**
   * Settles jobs that no worker can still be running (the local runtime after a restart: its
   * workers died with the old process), each exactly once: a PENDING job's message is sent again
   * (after what is left of its retry backoff, or delayed until its scheduled time; one scheduled
   * beyond the queue's delay is left to the reconciler), and a PROCESSING job counts as a lost attempt. A
   * job that moved on since it was read (a new worker claimed it, its owner cancelled it) is
   * skipped.
   */
  async recover(
    jobs: readonly Job[],
    options: { readonly concurrency?: number; readonly signal?: AbortSignal } = {},
  ): Promise<ReconcileReport> {
    const report: Tally = { resent: 0, scheduled: 0, requeued: 0, failed: 0, skipped: 0 };
    await this.settle(jobs, this.clock(), 'recover', options.concurrency ?? 16, report, options.signal);
    if (jobs.length > 0) this.deps.logger.info('recovered unfinished jobs', { ...report });
    return report;
  }

  private async settle(jobs: readonly Job[], now: Date, mode: Mode, concurrency: number, report: Tally, signal?: AbortSignal): Promise<void> {
    let next = 0;
    const lane = async () => {
      for (let index = next++; index < jobs.length && !signal?.aborted; index = next++) {
        const job = jobs[index]!;
        try {
          report[await this.settleOne(job, now, mode)]++;
        } catch (error) {
          report.skipped++;
          if (!(error instanceof ConcurrentUpdateError)) {
            this.deps.logger.warn('reconcile failed for a job', { ...jobLogFields(job), error });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, lane));
  }

  private async settleOne(job: Job, now: Date, mode: Mode): Promise<keyof ReconcileReport> {
    const { store, queue, lifecycle } = this.deps;
    const { stalePendingMs, leaseGraceMs } = lifecycle;
    if (job.status === 'PENDING' && job.dueAt !== null) {
      // It may start at its scheduled time, and after a restart once what is left of its retry
      // backoff (dueAt = next attempt + stalePendingMs) has passed; an overdue job at once.
      const backoffEnds = mode === 'recover' ? Date.parse(job.dueAt) - stalePendingMs : 0;
      const startsAt = Math.max(now.getTime(), backoffEnds, job.scheduledAt === null ? 0 : Date.parse(job.scheduledAt));
      const horizonMs = scheduleHorizonMs(lifecycle);
      if (job.scheduledAt !== null && startsAt - now.getTime() > horizonMs) {
        // Beyond the queue's longest delay: looked at again (and sent) once it is that close.
        const sendFrom = new Date(Date.parse(job.scheduledAt) - horizonMs);
        if (job.dueAt !== sendFrom.toISOString()) await store.resend(job.id, { dueAt: job.dueAt }, sendFrom);
        return 'scheduled';
      }
      const delaySeconds = Math.ceil((startsAt - now.getTime()) / 1000);
      // A job scheduled beyond the queue's delay is sent from here by design; any other was lost.
      const planned = job.scheduledAt !== null && job.dueAt === new Date(Date.parse(job.scheduledAt) - horizonMs).toISOString();
      await store.resend(job.id, { dueAt: job.dueAt }, new Date(now.getTime() + delaySeconds * 1000 + stalePendingMs));
      await queue.enqueue(job, delaySeconds);
      if (!planned) this.repaired(job, 'Resent', delaySeconds);
      return 'resent';
    }
    if (job.status !== 'PROCESSING' || job.runId === null) return 'skipped';
    const attempt = { runId: job.runId };
    const lostAfter = Date.parse(job.leaseExpiresAt ?? '') + leaseGraceMs;
    // After a restart no attempt can be alive; in AWS one may be, until its lease is long gone.
    if (mode === 'due' && Number.isFinite(lostAfter) && lostAfter > now.getTime()) {
      await store.postpone(job.id, attempt, new Date(lostAfter));
      return 'skipped';
    }
    const error = `Attempt ${job.attempts} was lost: the worker stopped without recording an outcome`;
    if (job.attempts >= job.maxAttempts) {
      await store.recoverAttempt(job.id, attempt, error, now, 'fail');
      this.repaired(job, 'Failed');
      (this.deps.metrics ?? noMetrics).failed(job.type, 'Lost');
      return 'failed';
    }
    await store.recoverAttempt(job.id, attempt, error, now, 'requeue');
    await queue.enqueue(job);
    this.repaired(job, 'Requeued');
    return 'requeued';
  }

  /** A job the reconciler had to move on: counted, and logged with the job's request id. */
  private repaired(job: Job, repair: Repair, delaySeconds?: number): void {
    (this.deps.metrics ?? noMetrics).reconcilerRepair(repair);
    const fields = { ...jobLogFields(job), type: job.type, status: job.status, attempts: job.attempts, repair };
    this.deps.logger.info('reconciler repaired a job', delaySeconds === undefined ? fields : { ...fields, delaySeconds });
  }
}
