/**
 * A finished job (COMPLETED, FAILED or CANCELLED) is never run again unless its owner retries it,
 * whatever the at-least-once machinery throws at it: duplicate messages (the old restart recovery
 * sent hundreds per job), a restart's recovery working from a snapshot taken while the jobs were
 * still unfinished, the scheduled reconciler long after their due time, and dead-lettered
 * messages. The real handlers and the DynamoDB adapter on a real engine (dynalite, or the
 * endpoint in AWS_ENDPOINT_URL): the same conditional writes as in AWS.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../lambdas/domain/errors.ts';
import type { JobView } from '../../lambdas/domain/job.ts';
import type { ModelRequest, StructuredModel } from '../../lambdas/domain/model.ts';
import { encodeJobMessage } from '../../lambdas/shared/messages.ts';
import { useHarness } from '../support/harness.ts';
import { fakeReply } from '../support/scripted-model.ts';

const h = useHarness({ resetEach: false });

/** Answers every prompt, except prompts containing "invalid" (a non-retryable error); counts calls per prompt. */
class CountingModel implements StructuredModel {
  readonly calls = new Map<string, number>();
  async generate(request: ModelRequest) {
    const n = (this.calls.get(request.prompt) ?? 0) + 1;
    this.calls.set(request.prompt, n);
    if (request.prompt.includes('invalid')) throw new NonRetryableError('Bedrock API error: ValidationException - bad input');
    return fakeReply(n, request);
  }
  generateStructured(): never {
    throw new Error('AI_PREVIEW never asks for structured output');
  }
}

async function sendDuplicates(ids: readonly string[], copies: number): Promise<void> {
  const bodies = ids.flatMap((id) => Array.from({ length: copies }, () => encodeJobMessage({ jobId: id, generation: 0 })));
  for (let start = 0; start < bodies.length; start += 10) {
    await h.infra.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: h.infra.queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body })),
      }),
    );
  }
}

describe('a finished job', () => {
  it('is never run again by duplicates, a stale recovery, the reconciler or the DLQ; only a retry runs it', async () => {
    await h.infra.reset();
    const user = h.newUser();
    const model = new CountingModel();
    const prompts = [
      ...Array.from({ length: 6 }, (_, n) => `complete me ${n}`),
      ...Array.from({ length: 3 }, (_, n) => `invalid ${n}`),
      ...Array.from({ length: 3 }, (_, n) => `cancel me ${n}`),
    ];
    const jobs: JobView[] = [];
    for (const prompt of prompts) jobs.push(await user.createPreview(prompt));
    const ids = jobs.map((job) => job.id);
    const cancelled = ids.slice(9);
    for (const id of cancelled) expect((await user.cancel(id)).status).toBe(200);

    // A restart's snapshot taken now, while 9 of them are unfinished...
    const { createRecovery, createReconcilerHandler, wireReconciler } = await import('../../lambdas/reconciler/handler.ts');
    const recovery = createRecovery(wireReconciler());
    const staleSnapshot = await recovery.snapshot();
    expect(staleSnapshot.map((job) => job.id).sort()).toEqual(ids.slice(0, 9).sort());

    // ...and twenty copies of every message, as the old recovery's rounds sent them.
    await sendDuplicates(ids, 20);
    await h.drainJobs(h.worker(model));
    const finished = new Map<string, JobView>();
    for (const id of ids) finished.set(id, await user.job(id));
    expect([...finished.values()].map((job) => job.status)).toEqual([
      ...Array(6).fill('COMPLETED'),
      ...Array(3).fill('FAILED'),
      ...Array(3).fill('CANCELLED'),
    ]);
    for (const prompt of prompts.slice(0, 9)) expect(model.calls.get(prompt), prompt).toBe(1);
    for (const prompt of prompts.slice(9)) expect(model.calls.get(prompt), prompt).toBeUndefined();

    // Everything that could run them again, after they finished:
    expect(await recovery.settle(staleSnapshot)).toEqual({ resent: 0, scheduled: 0, requeued: 0, failed: 0, skipped: 9 });
    const muchLater = () => new Date(Date.now() + 24 * 3600_000);
    expect(await createReconcilerHandler(wireReconciler(process.env, muchLater))()).toEqual({
      resent: 0,
      requeued: 0,
      failed: 0,
      scheduled: 0,
      skipped: 0,
    });
    await sendDuplicates(ids, 5);
    await h.drainJobs(h.worker(model));
    for (const id of ids) {
      await h.infra.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: h.infra.dlqUrl, Entries: [{ Id: '0', MessageBody: encodeJobMessage({ jobId: id, generation: 0 }) }] }),
      );
    }
    await h.drainDlq(h.dlqConsumer());

    for (const id of ids) expect(await user.job(id), id).toEqual(finished.get(id));
    for (const prompt of prompts.slice(0, 9)) expect(model.calls.get(prompt), prompt).toBe(1);

    // An explicit retry is the only way back: it runs the job once more.
    const failed = ids[6]!;
    expect((await user.retry(failed)).status).toBe(202);
    await sendDuplicates([failed], 3); // old-run messages (generation 0) cannot start the new run twice
    await h.drainJobs(h.worker(model));
    expect(await user.job(failed)).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(model.calls.get(prompts[6]!)).toBe(2);
  }, 60_000);
});
