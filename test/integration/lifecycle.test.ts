/**
 * A job's life through the real handlers: created by the API, carried by SQS, run by the worker
 * (on the real AI_PREVIEW processor with a scripted model), read back through the API.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { NonRetryableError, RetryableError } from '../../lambdas/domain/errors.ts';
import type { JobView } from '../../lambdas/domain/job.ts';
import { WORKER } from '../../lambdas/shared/resources.ts';
import { deliverBatch, receiveExactly, type SqsHandler } from '../support/event-source.ts';
import { useHarness, type JobsClient } from '../support/harness.ts';
import { FAKE_MODEL_ID, ScriptedModel } from '../support/scripted-model.ts';
import { encodeJobMessage } from '../../lambdas/shared/messages.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const h = useHarness();

/** Sends the job's message again, as an at-least-once queue may. */
async function redeliver(jobId: string): Promise<void> {
  await h.infra.sqs.send(
    new SendMessageCommand({ QueueUrl: h.infra.queueUrl, MessageBody: encodeJobMessage({ jobId, generation: 0 }) }),
  );
}

/** Wraps a worker so the job's record is read after each invocation. */
function observed(worker: SqsHandler, user: JobsClient, jobId: string, seen: JobView[]): SqsHandler {
  return async (event, context) => {
    const response = await worker(event, context);
    seen.push(await user.job(jobId));
    return response;
  };
}

describe('a job created through the API and run by the worker', () => {
  it('ends COMPLETED with the model reply, and every seed-001 field set', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();

    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'Summarise the risks', maxTokens: 200 } });
    expect(created.status).toBe(202);
    const id: string = created.json.id;
    expect(id).toMatch(UUID);
    expect(created.headers.location).toBe(`/prod/api/jobs/${id}`);
    expect(created.json).toEqual({
      id,
      type: 'AI_PREVIEW',
      status: 'PENDING',
      result: null,
      error: null,
      attempts: 0,
      maxAttempts: 3,
      progress: null,
      createdAt: expect.stringMatching(ISO),
      startedAt: null,
      completedAt: null,
      updatedAt: created.json.createdAt,
      priority: 'normal',
      fromCache: false,
      scheduledAt: null,
      timings: { queuedMs: null, runMs: null, totalMs: null },
      workspaceId: null,
      createdBy: user.sub,
    });

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries).toEqual([
      {
        messageId: expect.any(String),
        body: encodeJobMessage({ jobId: id, generation: 0, requestId: created.headers['x-request-id'] }),
        receiveCount: 1,
        receivedAt: expect.any(Number),
        outcome: 'deleted',
      },
    ]);
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]).toMatchObject({ prompt: 'Summarise the risks', maxTokens: 200 });
    expect(model.requests[0]!.signal).toBeInstanceOf(AbortSignal);

    const job = await user.job(id);
    expect(job).toEqual({
      id,
      type: 'AI_PREVIEW',
      status: 'COMPLETED',
      result: {
        output: 'reply #1 to: Summarise the risks',
        model: FAKE_MODEL_ID,
        usage: { inputTokens: 'Summarise the risks'.length, outputTokens: 5 },
        stopReason: 'end_turn',
        latencyMs: 3,
      },
      error: null,
      attempts: 1,
      maxAttempts: 3,
      progress: null,
      createdAt: created.json.createdAt,
      startedAt: expect.stringMatching(ISO),
      completedAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      priority: 'normal',
      fromCache: false,
      scheduledAt: null,
      timings: { queuedMs: expect.any(Number), runMs: expect.any(Number), totalMs: expect.any(Number) },
      workspaceId: null,
      createdBy: user.sub,
    });
    expect(job.startedAt! >= job.createdAt).toBe(true);
    expect(job.completedAt! >= job.startedAt!).toBe(true);
    expect(job.updatedAt).toBe(job.completedAt);
    expect(job.timings).toEqual({
      queuedMs: Date.parse(job.startedAt!) - Date.parse(job.createdAt),
      runMs: Date.parse(job.completedAt!) - Date.parse(job.startedAt!),
      totalMs: Date.parse(job.completedAt!) - Date.parse(job.createdAt),
    });

    const result = await user.result(id);
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ id, status: 'COMPLETED', result: job.result });
  });

  it('is retried after two retryable failures and ends COMPLETED on the third attempt', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(
      new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded'),
      new RetryableError('Bedrock API error: ServiceUnavailableException - Try again later'),
    );
    const job = await user.createPreview('third time lucky');
    const seen: JobView[] = [];

    const report = await h.drainJobs(observed(h.worker(model), user, job.id, seen));

    // SQS brought the same message back after each failure; the third delivery succeeded.
    expect(report.deliveries.map((d) => [d.receiveCount, d.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'deleted'],
    ]);
    // Between attempts the job waits as PENDING with the failure recorded.
    expect(seen.map((s) => [s.status, s.attempts, s.error])).toEqual([
      ['PENDING', 1, 'Bedrock API error: ThrottlingException - Rate exceeded'],
      ['PENDING', 2, 'Bedrock API error: ServiceUnavailableException - Try again later'],
      ['COMPLETED', 3, null],
    ]);
    const final = await user.job(job.id);
    expect(final).toMatchObject({ status: 'COMPLETED', attempts: 3, error: null });
    expect(final.result).toMatchObject({ output: 'reply #3 to: third time lucky' });
    expect(model.calls).toBe(3);
    // startedAt is when the first attempt started, not the last.
    expect(final.startedAt).toBe(seen[0]!.startedAt);
  });

  it('ends FAILED after three retryable failures, with the last error', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(
      new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded (1)'),
      new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded (2)'),
      new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded (3)'),
    );
    const job = await user.createPreview();

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['failed', 'failed', 'deleted']);
    expect(model.calls).toBe(3);
    const final = await user.job(job.id);
    expect(final).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      result: null,
      error: 'Bedrock API error: ThrottlingException - Rate exceeded (3)',
      progress: null,
    });
    expect(final.completedAt).toMatch(ISO);

    const result = await user.result(job.id);
    expect(result.status).toBe(409);
    expect(result.json).toMatchObject({ code: 'JOB_NOT_COMPLETED', currentStatus: 'FAILED' });
  });

  it('ends FAILED after one attempt on a non-retryable failure', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(
      new NonRetryableError('Bedrock API error: ValidationException - Malformed input request'),
    );
    const job = await user.createPreview();

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['deleted']);
    expect(model.calls).toBe(1);
    expect(await user.job(job.id)).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      result: null,
      error: 'Bedrock API error: ValidationException - Malformed input request',
    });
  });

  it('treats an unexpected error from the processor as retryable', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(new TypeError('socket hang up'));
    const job = await user.createPreview();

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['failed', 'deleted']);
    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 2, error: null });
  });

  it('aborts an attempt that runs out of time and retries it', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    model.block(); // never released: only the attempt's time limit ends it
    const job = await user.createPreview();
    const seen: JobView[] = [];

    // One second of budget: the invocation's remaining time minus the margin kept to record the outcome.
    const report = await h.drainJobs(observed(h.worker(model), user, job.id, seen), {
      invocationTimeoutMs: WORKER.finishMarginSeconds * 1000 + 1_000,
    });

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['failed', 'deleted']);
    expect(model.requests[0]!.signal?.aborted).toBe(true);
    expect(seen.map((s) => [s.status, s.attempts, s.error])).toEqual([
      ['PENDING', 1, expect.stringMatching(/^Attempt 1 timed out after \d+ s$/)],
      ['COMPLETED', 2, null],
    ]);
  });
});

describe('at-least-once delivery', () => {
  it('acknowledges a duplicate of a COMPLETED job without running it again', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const job = await user.createPreview();
    await h.drainJobs(h.worker(model));
    const completed = await user.job(job.id);
    expect(completed.status).toBe('COMPLETED');

    await redeliver(job.id);
    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries).toEqual([
      expect.objectContaining({ body: encodeJobMessage({ jobId: job.id, generation: 0 }), outcome: 'deleted' }),
    ]);
    expect(model.calls).toBe(1);
    expect(await user.job(job.id)).toEqual(completed);
  });

  it('runs the job once when two copies of its message arrive in the same batch', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const job = await user.createPreview();
    await redeliver(job.id);
    const messages = await receiveExactly(h.infra.sqs, h.infra.queueUrl, 2);

    const { deliveries } = await deliverBatch({
      sqs: h.infra.sqs,
      queueUrl: h.infra.queueUrl,
      queueArn: h.infra.queueArn,
      handler: h.worker(model),
      messages,
      invocationTimeoutMs: WORKER.timeoutSeconds * 1000,
    });

    expect(deliveries.map((d) => d.outcome)).toEqual(['deleted', 'deleted']);
    expect(model.calls).toBe(1);
    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it('discards a message that carries no job id instead of looping on it', async () => {
    const model = new ScriptedModel();
    await h.infra.sqs.send(new SendMessageCommand({ QueueUrl: h.infra.queueUrl, MessageBody: 'not a job message' }));

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries).toEqual([expect.objectContaining({ body: 'not a job message', outcome: 'deleted' })]);
    expect(model.calls).toBe(0);
  });
});

describe('cancel and retry', () => {
  it('keeps a job CANCELLED when it is cancelled while the worker runs it', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const gate = model.block();
    const job = await user.createPreview('a slow one');

    let cancelled: Awaited<ReturnType<JobsClient['cancel']>> | undefined;
    const report = await h.whileBlocked(model, gate, 'the worker to call the model', async () => {
      const running = await user.job(job.id);
      expect(running).toMatchObject({
        status: 'PROCESSING',
        attempts: 1,
        progress: { percent: 10, message: 'waiting for model' },
      });

      cancelled = await user.cancel(job.id);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json).toMatchObject({ id: job.id, status: 'CANCELLED', result: null, progress: null });
      expect(cancelled.json.completedAt).toMatch(ISO);
    });

    // The attempt finished, found the job cancelled, and acknowledged its message.
    expect(report.deliveries.map((d) => d.outcome)).toEqual(['deleted']);
    expect(model.calls).toBe(1);
    expect(await user.job(job.id)).toEqual(cancelled?.json);
  });

  it('never runs a job cancelled before the worker receives it', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const job = await user.createPreview();
    const cancelled = await user.cancel(job.id);
    expect(cancelled.status).toBe(200);

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['deleted']);
    expect(model.calls).toBe(0);
    expect(await user.job(job.id)).toEqual(cancelled.json);
  });

  it('accepts one of two simultaneous retries and runs the job once more', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(new NonRetryableError('Bedrock API error: ValidationException - bad'));
    const job = await user.createPreview();
    await h.drainJobs(h.worker(model));
    expect((await user.job(job.id)).status).toBe('FAILED');

    const answers = await Promise.all([user.retry(job.id), user.retry(job.id)]);

    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 409]);
    const report = await h.drainJobs(h.worker(model));
    expect(report.deliveries).toHaveLength(1);
    expect(model.calls).toBe(2);
    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it('runs a CANCELLED job after a retry', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const job = await user.createPreview();
    expect((await user.cancel(job.id)).status).toBe(200);
    await h.drainJobs(h.worker(model));
    expect(model.calls).toBe(0);

    const retried = await user.retry(job.id);
    expect(retried.status).toBe(202);
    await h.drainJobs(h.worker(model));

    expect(model.calls).toBe(1);
    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it('runs a FAILED job again after a retry, from attempt 1', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(new NonRetryableError('Bedrock API error: AccessDeniedException - no access'));
    const job = await user.createPreview('again');
    await h.drainJobs(h.worker(model));
    expect((await user.job(job.id)).status).toBe('FAILED');

    const retried = await user.retry(job.id);

    expect(retried.status).toBe(202);
    expect(retried.headers.location).toBe(`/prod/api/jobs/${job.id}`);
    expect(retried.json).toMatchObject({
      id: job.id,
      status: 'PENDING',
      attempts: 0,
      result: null,
      error: null,
      startedAt: null,
      completedAt: null,
      createdAt: job.createdAt,
    });

    const report = await h.drainJobs(h.worker(model));

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['deleted']);
    const final = await user.job(job.id);
    expect(final).toMatchObject({ status: 'COMPLETED', attempts: 1, error: null });
    expect(final.result).toMatchObject({ output: 'reply #2 to: again' });

    const again = await user.retry(job.id);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'INVALID_TRANSITION', currentStatus: 'COMPLETED' });
  });
});
