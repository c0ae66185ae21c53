/**
 * Recovery from the failures at-least-once delivery leaves behind: a lost message, a worker that
 * vanished mid-attempt (the reconciler), and messages that exhausted delivery (the DLQ consumer).
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../lambdas/domain/errors.ts';
import type { JobView } from '../../lambdas/domain/job.ts';
import { lifecycleSettings } from '../../lambdas/shared/config.ts';
import { ENV, WORKER } from '../../lambdas/shared/resources.ts';
import { deleteMessages, queueCounts, receiveExactly, type SqsHandler } from '../support/event-source.ts';
import { JobsClient, useHarness } from '../support/harness.ts';
import { within } from '../support/poll.ts';
import { ScriptedModel } from '../support/scripted-model.ts';
import { decodeJobMessage, encodeJobMessage } from '../../lambdas/shared/messages.ts';

const NOTHING_DONE = { resent: 0, scheduled: 0, requeued: 0, failed: 0, skipped: 0 };

const h = useHarness();

/** Takes the only message off the jobs queue, as if its send had been lost; returns its body (with the create's request id). */
async function loseMessage(jobId: string): Promise<string> {
  const [message] = await receiveExactly(h.infra.sqs, h.infra.queueUrl, 1);
  expect(decodeJobMessage(message!.Body!)).toEqual({ jobId, generation: 0, requestId: expect.any(String) });
  await deleteMessages(h.infra.sqs, h.infra.queueUrl, [message!]);
  return message!.Body!;
}

/** Puts a job's message on the DLQ, as SQS redrive does after maxReceiveCount receives. */
async function deadLetter(jobId: string): Promise<void> {
  await h.infra.sqs.send(new SendMessageCommand({ QueueUrl: h.infra.dlqUrl, MessageBody: encodeJobMessage({ jobId, generation: 0 }) }));
}

/** Ten minutes from now: past every lease (worker deadline + 5 s) and its grace period. */
const muchLater = () => new Date(Date.now() + 10 * 60_000);

describe('the reconciler', () => {
  it('re-sends a PENDING job whose message was lost, once, and the worker then completes it', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const job = await user.createPreview();
    const lost = await loseMessage(job.id);
    const staleMs = lifecycleSettings(process.env).stalePendingMs;

    // Before the job is due nothing happens...
    expect(await h.reconcilerAt(() => new Date(Date.parse(job.createdAt) + staleMs - 1_000))()).toEqual(NOTHING_DONE);
    expect(await queueCounts(h.infra.sqs, h.infra.queueUrl)).toMatchObject({ visible: 0 });

    // ...once it is, the message is sent again, and only once.
    const reconcile = h.reconcilerAt(() => new Date(Date.parse(job.createdAt) + staleMs + 1_000));
    expect(await reconcile()).toEqual({ ...NOTHING_DONE, resent: 1 });
    expect(await reconcile()).toEqual(NOTHING_DONE);

    const report = await h.drainJobs(h.worker(model));

    // The message sent again is the lost one: the job's id, run and create's request id.
    expect(report.deliveries).toEqual([expect.objectContaining({ body: lost, outcome: 'deleted' })]);
    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it('sends a job on its next run when the send after the create failed', async () => {
    // The real create route, built as its module builds it, but with a queue that does not exist.
    const { routeHandler } = await import('../../lambdas/api/wiring.ts');
    const { createJob, wire } = await import('../../lambdas/api/logic/create-job.ts');
    const env = { ...process.env, [ENV.queueUrl]: h.infra.queueUrl.replace(/[^/]+$/, 'no-such-queue') };
    const create = await routeHandler('create-job', createJob, wire, env);
    const user = new JobsClient({ ...h.routes, 'create-job': create }, `user-${crypto.randomUUID()}`);
    const before = await queueCounts(h.infra.sqs, h.infra.queueUrl);

    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'unsent' } });

    // The caller is not told about the failed send: the job is stored and will be sent.
    expect(created.status).toBe(202);
    expect(await queueCounts(h.infra.sqs, h.infra.queueUrl)).toEqual(before);
    expect(await user.job(created.json.id)).toMatchObject({ status: 'PENDING', attempts: 0 });

    // Not in STALE_PENDING_SECONDS, but on the reconciler's very next run.
    expect(await h.reconcilerAt(() => new Date())()).toEqual({ ...NOTHING_DONE, resent: 1 });
    await h.drainJobs(h.worker(new ScriptedModel()));
    expect(await user.job(created.json.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it("requeues an attempt whose worker vanished, and the vanished attempt's late outcome is discarded", async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const firstCall = model.block();
    const secondCall = model.block();
    const job = await user.createPreview('lost and found');
    // Instance 1 takes the message and hangs in the model call: to the rest of the system it is gone.
    // Each instance tolerates the one message the other holds in flight.
    const instance1 = h.drainJobs(h.worker(model), { allowInFlight: 1 });
    let instance2: Promise<unknown> | undefined;
    try {
      await within(firstCall.entered, 5_000, 'attempt 1 to reach the model');
      expect(await user.job(job.id)).toMatchObject({ status: 'PROCESSING', attempts: 1 });

      expect(await h.reconcilerAt(muchLater)()).toEqual({ ...NOTHING_DONE, requeued: 1 });
      expect(await user.job(job.id)).toMatchObject({
        status: 'PENDING',
        attempts: 1,
        error: 'Attempt 1 was lost: the worker stopped without recording an outcome',
      });

      // Instance 2 takes the re-sent message and starts attempt 2.
      const second = h.drainJobs(h.worker(model), { allowInFlight: 1 });
      instance2 = second;
      await within(secondCall.entered, 5_000, 'attempt 2 to reach the model');
      const running = await user.job(job.id);
      expect(running).toMatchObject({ status: 'PROCESSING', attempts: 2 });

      // Instance 1 comes back to life and finishes first: attempt 2 owns the job now, so
      // attempt 1's result must not be recorded.
      firstCall.release();
      expect((await instance1).deliveries.map((d) => d.outcome)).toEqual(['deleted']);
      expect(await user.job(job.id)).toEqual(running);

      secondCall.release();
      expect((await second).deliveries.map((d) => d.outcome)).toEqual(['deleted']);
      const completed = await user.job(job.id);
      expect(completed).toMatchObject({ status: 'COMPLETED', attempts: 2, error: null });
      expect(completed.result).toMatchObject({ output: 'reply #2 to: lost and found' });
      expect(model.calls).toBe(2);
    } finally {
      firstCall.release();
      secondCall.release();
      await Promise.allSettled([instance1, instance2]);
    }
  });

  it('fails a job whose last attempt vanished', async () => {
    const user = h.newUser();
    const model = new ScriptedModel().failWith(new RetryableError('throttled (1)'), new RetryableError('throttled (2)'));
    const gate = model.block();
    const job = await user.createPreview();
    let failed: JobView | undefined;
    await h.whileBlocked(model, gate, 'the third attempt to reach the model', async () => {
      expect(await user.job(job.id)).toMatchObject({ status: 'PROCESSING', attempts: 3 });

      expect(await h.reconcilerAt(muchLater)()).toEqual({ ...NOTHING_DONE, failed: 1 });

      failed = await user.job(job.id);
      expect(failed).toMatchObject({
        status: 'FAILED',
        attempts: 3,
        result: null,
        error: 'Attempt 3 was lost: the worker stopped without recording an outcome',
      });
    });
    // The attempt's late outcome changes nothing.
    expect(await user.job(job.id)).toEqual(failed);
  });
});

describe('the DLQ consumer', () => {
  it('marks a PENDING job FAILED with an error that says why', async () => {
    const user = h.newUser();
    const job = await user.createPreview();
    await loseMessage(job.id);
    await deadLetter(job.id);

    const report = await h.drainDlq(h.dlqConsumer());

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['deleted']);
    const failed = await user.job(job.id);
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 0, result: null });
    expect(failed.error).toBe(
      'The job could not be processed: its message was delivered repeatedly without an outcome being ' +
        'recorded (the worker crashed or timed out; 0 attempt(s) started)',
    );
    expect(failed.completedAt).not.toBeNull();
  });

  it('marks a PROCESSING job FAILED, and its running attempt cannot complete it afterwards', async () => {
    const user = h.newUser();
    const model = new ScriptedModel();
    const gate = model.block();
    const job = await user.createPreview();
    let failed: JobView | undefined;
    await h.whileBlocked(model, gate, 'the attempt to reach the model', async () => {
      await deadLetter(job.id);

      await h.drainDlq(h.dlqConsumer());

      failed = await user.job(job.id);
      expect(failed).toMatchObject({ status: 'FAILED', attempts: 1 });
      expect(failed.error).toContain('1 attempt(s) started');
    });
    expect(await user.job(job.id)).toEqual(failed);
  });

  it('leaves a COMPLETED job as it is', async () => {
    const user = h.newUser();
    const job = await user.createPreview();
    await h.drainJobs(h.worker(new ScriptedModel()));
    const completed = await user.job(job.id);
    expect(completed.status).toBe('COMPLETED');
    await deadLetter(job.id);

    const report = await h.drainDlq(h.dlqConsumer());

    expect(report.deliveries.map((d) => d.outcome)).toEqual(['deleted']);
    expect(await user.job(job.id)).toEqual(completed);
  });

  /**
   * A message dead-lettered before the user retried the job belongs to the earlier run: messages
   * carry the job's generation, so the DLQ consumer leaves the new run alone.
   */
  it('does not fail a job retried after its earlier message was dead-lettered', async () => {
    const user = h.newUser();
    const job = await user.createPreview();
    // The first run's message ends up on the DLQ, but the DLQ consumer has not got to it yet.
    await loseMessage(job.id);
    await deadLetter(job.id);
    // Meanwhile the user gives up on that run and starts a new one.
    expect((await user.cancel(job.id)).status).toBe(200);
    expect((await user.retry(job.id)).status).toBe(202);

    await h.drainDlq(h.dlqConsumer());
    await h.drainJobs(h.worker(new ScriptedModel()));

    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
  });

  it(`receives a message after ${WORKER.maxReceiveCount} crashed deliveries and fails its job`, async () => {
    const user = h.newUser();
    const job = await user.createPreview();
    // A worker that dies before it records anything (out of memory, say). So that the test need
    // not wait out the queue's visibility timeout, its messages are made visible again first.
    const crashing: SqsHandler = async (event) => {
      for (const record of event.Records) {
        await h.infra.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: h.infra.queueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: 0,
          }),
        );
      }
      throw new Error('Runtime exited with error: signal: killed');
    };

    const crashes = await h.drainJobs(crashing);

    // SQS redrove the message to the DLQ on the receive after maxReceiveCount.
    expect(crashes.errors).toHaveLength(WORKER.maxReceiveCount);
    expect(crashes.deliveries.map((d) => d.receiveCount)).toEqual(
      Array.from({ length: WORKER.maxReceiveCount }, (_, i) => i + 1),
    );
    expect(await user.job(job.id)).toMatchObject({ status: 'PENDING', attempts: 0 });

    const report = await h.drainDlq(h.dlqConsumer());

    // The dead-lettered message is the one the worker crashed on.
    expect(report.deliveries).toEqual([expect.objectContaining({ body: crashes.deliveries[0]!.body, outcome: 'deleted' })]);
    expect(decodeJobMessage(report.deliveries[0]!.body)).toMatchObject({ jobId: job.id, generation: 0 });
    expect(await user.job(job.id)).toMatchObject({ status: 'FAILED', attempts: 0 });
  });
});
