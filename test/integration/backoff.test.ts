/**
 * Backoff between attempts: with RETRY_BASE_DELAY_SECONDS=1 a failed attempt's message stays
 * invisible for the delay the worker chose, and the job waits as PENDING meanwhile. (The other
 * suites run with a zero delay so that retries are immediate.)
 */
import { expect, it } from 'vitest';
import { RetryableError } from '../../lambdas/domain/errors.ts';
import { ENV } from '../../lambdas/shared/resources.ts';
import { useHarness } from '../support/harness.ts';
import { pollUntil } from '../support/poll.ts';
import { ScriptedModel } from '../support/scripted-model.ts';

const h = useHarness({ env: { [ENV.retryBaseDelaySeconds]: '1' }, resetEach: false });

it('delivers the message of a failed attempt again only after the backoff delay', async () => {
  const user = h.newUser();
  const model = new ScriptedModel().failWith(new RetryableError('Bedrock API error: ThrottlingException - slow down'));
  const job = await user.createPreview();

  const draining = h.drainJobs(h.worker(model));
  // While the message waits out the delay the job is PENDING with the failure recorded.
  const waiting = await pollUntil(() => user.job(job.id), (view) => view.attempts === 1 && view.status === 'PENDING', {
    what: 'the first attempt to fail',
  });
  expect(waiting.error).toBe('Bedrock API error: ThrottlingException - slow down');
  expect(model.calls).toBe(1);
  const report = await draining;

  expect(report.deliveries.map((d) => [d.receiveCount, d.outcome])).toEqual([
    [1, 'failed'],
    [2, 'deleted'],
  ]);
  const [first, second] = report.deliveries;
  // Attempt 1's delay is between half the base delay and the base delay, rounded: 1 s here.
  expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1_000);
  expect(second!.receivedAt - first!.receivedAt).toBeLessThan(5_000);
  expect(await user.job(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 2, error: null });
});
