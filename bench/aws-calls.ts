/**
 * AWS calls per job, by operation, on the happy path and on a retried job: the real handlers on
 * the embedded emulators (as in the integration tests), with every SDK client's `send` counted.
 * The model is a scripted fake, counted separately as "model calls".
 *
 *   npx tsx bench/aws-calls.ts [jobs=20]
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { RetryableError } from '../lambdas/domain/errors.ts';
import type { StructuredModel } from '../lambdas/domain/model.ts';
import { startHarness } from '../test/support/harness.ts';
import { fakeReply } from '../test/support/scripted-model.ts';

const jobs = Number(process.argv[2] ?? 20);
process.env.TEST_LOG_LEVEL ??= 'silent';

const counts = new Map<string, number>();
let counting = false;
// Every SDK client inherits `send` from the same smithy Client prototype: count there, once.
const patched = new Set<object>();
for (const ClientClass of [DynamoDBClient, SQSClient]) {
  const proto = Object.getPrototypeOf(ClientClass.prototype) as { send: (...args: unknown[]) => unknown };
  if (patched.has(proto)) continue;
  patched.add(proto);
  const original = proto.send;
  proto.send = function (this: unknown, command: { constructor: { name: string } }, ...rest: unknown[]) {
    if (counting) {
      const name = command.constructor.name.replace(/Command$/, '');
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return original.call(this, command, ...rest);
  } as typeof proto.send;
}

/** Calls the Lambda SQS event source makes (here: the test stand-in), not our code. */
const EVENT_SOURCE_CALLS = new Set(['ReceiveMessage', 'DeleteMessage', 'DeleteMessageBatch', 'GetQueueAttributes']);

/** Answers every prompt, after failing its first `failures` calls with throttling. */
function throttlingModel(failures: number): StructuredModel & { calls: number } {
  const seen = new Map<string, number>();
  return {
    calls: 0,
    async generate(request) {
      this.calls++;
      const n = (seen.get(request.prompt) ?? 0) + 1;
      seen.set(request.prompt, n);
      if (n <= failures) throw new RetryableError('Bedrock API error: ThrottlingException - Rate exceeded');
      return fakeReply(n, request);
    },
    generateStructured: () => Promise.reject(new Error('AI_PREVIEW never asks for structured output')),
  };
}

const harness = await startHarness();
try {
  for (const [scenario, failures] of [['happy path', 0], ['two throttles, then success', 2]] as const) {
    const model = throttlingModel(failures);
    counts.clear();
    counting = true;
    const user = harness.newUser();
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) ids.push((await user.createPreview(`prompt ${i}`)).id);
    await harness.drainJobs(harness.worker(model));
    for (const id of ids) await user.job(id); // one poll that finds the result
    counting = false;

    console.log(`\n${scenario}: ${jobs} jobs (create, worker, one GET each); calls per job`);
    let ours = 0;
    for (const [name, count] of [...counts.entries()].sort()) {
      if (EVENT_SOURCE_CALLS.has(name)) continue;
      ours += count;
      console.log(`  ${name.padEnd(26)} ${(count / jobs).toFixed(2)}`);
    }
    console.log(`  ${'total by our code'.padEnd(26)} ${(ours / jobs).toFixed(2)}   (+ ${(model.calls / jobs).toFixed(2)} model calls)`);
    const polling = [...counts.entries()].filter(([name]) => EVENT_SOURCE_CALLS.has(name));
    const pollingCalls = polling.reduce((sum, [, count]) => sum + count, 0);
    console.log(`  ${'event source (Lambda)'.padEnd(26)} ${(pollingCalls / jobs).toFixed(2)}   (${polling.map(([n]) => n).join(', ')}: made by Lambda in AWS, by the stand-in here)`);
  }
} finally {
  await harness.stop();
}
