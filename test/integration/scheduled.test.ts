/**
 * Scheduled jobs, cheaper polls and /status through the real handlers on dynalite and fauxqs: the
 * queue's delivery delay holds a scheduled job's message until its time, an early message is
 * deferred, a cancel before the time wins, and a job beyond the queue's delay waits for the
 * reconciler.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { JobView } from '../../lambdas/domain/job.ts';
import { encodeJobMessage } from '../../lambdas/shared/messages.ts';
import { queueCounts } from '../support/event-source.ts';
import { useHarness } from '../support/harness.ts';
import { ScriptedModel } from '../support/scripted-model.ts';

const h = useHarness();

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe('a scheduled job', () => {
  it('is PENDING with scheduledAt, does not start before it, starts soon after it, and reports its timings', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const runAt = inSeconds(3);
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'Later, please' }, runAt });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ status: 'PENDING', scheduledAt: runAt, timings: { queuedMs: null, runMs: null, totalMs: null } });
    expect(Number(created.headers['retry-after'])).toBeGreaterThanOrEqual(2);
    expect(await queueCounts(h.infra.sqs, h.infra.queueUrl)).toMatchObject({ visible: 0, delayed: 1 });

    await h.drainJobs(h.worker(model));
    const job = await user.job(created.json.id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(Date.parse(job.startedAt!)).toBeGreaterThanOrEqual(Date.parse(runAt));
    expect(job.timings.queuedMs).toBe(Date.parse(job.startedAt!) - Date.parse(runAt));
    expect(job.timings.queuedMs).toBeLessThan(3_000);
    expect(job.timings.totalMs).toBe(job.timings.queuedMs! + job.timings.runMs!);
  });

  it('defers a message that arrives before its time (a re-send) instead of starting early', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const runAt = inSeconds(3);
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'Not yet' }, runAt });
    await h.infra.sqs.send(new SendMessageCommand({ QueueUrl: h.infra.queueUrl, MessageBody: encodeJobMessage({ jobId: created.json.id, generation: 0 }) }));

    const report = await h.drainJobs(h.worker(model));
    const job = await user.job(created.json.id);
    expect(job).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(Date.parse(job.startedAt!)).toBeGreaterThanOrEqual(Date.parse(runAt));
    expect(model.calls).toBe(1);
    expect(report.deliveries.length).toBeGreaterThanOrEqual(3);
  });

  it('cancelled before its time: the message that arrives later runs nothing', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'Never mind' }, runAt: inSeconds(2) });
    expect((await user.cancel(created.json.id)).json).toMatchObject({ status: 'CANCELLED' });
    await h.drainJobs(h.worker(model));
    expect(await user.job(created.json.id)).toMatchObject({ status: 'CANCELLED', attempts: 0, startedAt: null });
    expect(model.calls).toBe(0);
  });

  it('beyond 15 minutes: no message until the reconciler finds it 15 minutes before its time, then one delayed by what is left', async () => {
    const user = h.newUser();
    const runAt = inSeconds(3600);
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'In an hour' }, runAt });
    expect(created.status).toBe(202);
    expect(Number(created.headers['retry-after'])).toBe(300);
    expect(await queueCounts(h.infra.sqs, h.infra.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    const early = await h.reconcilerAt(() => new Date(Date.parse(runAt) - 16 * 60_000))();
    expect(early).toMatchObject({ resent: 0, scheduled: 0 });
    const due = await h.reconcilerAt(() => new Date(Date.parse(runAt) - 14 * 60_000))();
    expect(due).toMatchObject({ resent: 1 });
    expect(await queueCounts(h.infra.sqs, h.infra.queueUrl)).toMatchObject({ visible: 0, delayed: 1 });
    expect((await user.job(created.json.id)).status).toBe('PENDING');
  });

  it('is refused with a 422 problem for a runAt in the past or without a zone, and nothing is written', async () => {
    const user = h.newUser();
    for (const runAt of [inSeconds(-5), '2030-01-01T00:00:00', inSeconds(400 * 86_400)]) {
      const response = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'x' }, runAt });
      expect(response.status).toBe(422);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.json).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'runAt' }] });
    }
    expect((await user.list()).json.items).toEqual([]);
  });
});

describe('cheaper polls', () => {
  it('/status answers { id, status, progress, updatedAt }; If-None-Match with its ETag answers 304 until the job changes', async () => {
    const user = h.newUser();
    const job = await user.createPreview('Poll me');
    const status = await user.call('get-job-status', { id: job.id });
    expect(status.status).toBe(200);
    expect(status.json).toEqual({ id: job.id, status: 'PENDING', progress: null, updatedAt: job.updatedAt });
    expect(status.headers['retry-after']).toBe('3');
    const etag = status.headers.etag!;
    const again = await user.call('get-job-status', { id: job.id, headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect(again.json).toBeUndefined();

    await h.drainJobs(h.worker(new ScriptedModel()));
    const done = await user.call('get-job-status', { id: job.id, headers: { 'If-None-Match': etag } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: 'COMPLETED' });
    expect(done.headers).not.toHaveProperty('retry-after');

    const full = await user.get(job.id);
    const fullAgain = await user.call('get-job', { id: job.id, headers: { 'If-None-Match': full.headers.etag! } });
    expect(fullAgain.status).toBe(304);
    expect((full.json as JobView).timings.totalMs).toBeGreaterThanOrEqual(0);
  });
});
