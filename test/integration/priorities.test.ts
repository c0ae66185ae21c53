/**
 * Priorities that schedule, on the emulators: each job's message goes to its band's queue (create,
 * retry, a retryable failure's backoff), and the local event source keeps at most its limit of
 * messages in flight.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../lambdas/domain/errors.ts';
import type { JobView } from '../../lambdas/domain/job.ts';
import { startPoller } from '../../lib/local/event-source.ts';
import { drainQueue, queueCounts } from '../support/event-source.ts';
import { useHarness } from '../support/harness.ts';
import { pollUntil } from '../support/poll.ts';
import { ScriptedModel } from '../support/scripted-model.ts';

const h = useHarness();

async function counts() {
  const urls = h.infra.bandQueueUrls;
  return {
    low: (await queueCounts(h.infra.sqs, urls.low)).visible,
    normal: (await queueCounts(h.infra.sqs, urls.normal)).visible,
    high: (await queueCounts(h.infra.sqs, urls.high)).visible,
    urgent: (await queueCounts(h.infra.sqs, urls.urgent)).visible,
  };
}

describe('priority bands', () => {
  it('sends each created job to its band queue; no priority is normal', async () => {
    const user = h.newUser();
    for (const priority of ['low', 'high', 'urgent', 'urgent', undefined]) {
      const response = await user.create({ type: 'AI_PREVIEW', input: { prompt: `p ${priority}` }, ...(priority ? { priority } : {}) });
      expect(response.status).toBe(202);
    }
    expect(await counts()).toEqual({ low: 1, normal: 1, high: 1, urgent: 2 });
  });

  it('runs a job from its band, backs off a retryable failure in that band, and retries it into that band again', async () => {
    const user = h.newUser();
    const created = await user.create({ type: 'AI_PREVIEW', input: { prompt: 'urgent one' }, priority: 'urgent' });
    const job = created.json as JobView;
    const model = new ScriptedModel().failWith(new RetryableError('Bedrock API error: ThrottlingException - slow down'));
    const report = await drainQueue({ sqs: h.infra.sqs, queueUrl: h.infra.bandQueueUrls.urgent, handler: h.worker(model) });
    expect(report.deliveries.map((delivery) => delivery.outcome)).toEqual(['failed', 'deleted']);
    expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 2 });

    const second = (await user.create({ type: 'AI_PREVIEW', input: { prompt: 'urgent two' }, priority: 'urgent' })).json as JobView;
    expect((await user.cancel(second.id)).status).toBe(200);
    await drainQueue({ sqs: h.infra.sqs, queueUrl: h.infra.bandQueueUrls.urgent, handler: h.worker(new ScriptedModel()) });
    expect((await user.retry(second.id)).status).toBe(202);
    expect(await counts()).toEqual({ low: 0, normal: 0, high: 0, urgent: 1 });
  });
});

describe('the local event source', () => {
  it('keeps at most maxMessagesInFlight messages in its handler at once, and delivers them all', async () => {
    const queueUrl = h.infra.bandQueueUrls.low;
    for (let n = 0; n < 20; n++) {
      await h.infra.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ n }) }));
    }
    let running = 0;
    let most = 0;
    const seen = new Set<string>();
    const poller = startPoller({
      sqs: h.infra.sqs,
      queueUrl,
      batchSize: 5,
      concurrency: 3,
      maxMessagesInFlight: 3,
      invocationTimeoutMs: 10_000,
      waitTimeSeconds: 0,
      handler: async (event: SQSEvent) => {
        running += event.Records.length;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 40));
        for (const record of event.Records) seen.add(record.body);
        running -= event.Records.length;
        return { batchItemFailures: [] };
      },
    });
    try {
      await pollUntil(async () => seen.size, (size) => size === 20, { what: 'all 20 messages handled', timeoutMs: 15_000 });
    } finally {
      await poller.stop();
    }
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });
});
