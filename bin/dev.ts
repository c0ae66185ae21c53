/**
 * `npm run dev`: the whole jobs API on this machine. Options:
 *   --port N     gateway port on 127.0.0.1 (default $PORT or 3000; 0 picks a free one)
 *   --reset      delete the stored jobs first
 *   --data DIR   data folder (default $JOBS_DEV_DATA or .dev-data)
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultDataDir, startLocalRuntime } from '../lib/local/runtime.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    reset: { type: 'boolean', default: false },
    data: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write('Usage: npm run dev -- [--port N] [--reset] [--data DIR]\n');
  process.exit(0);
}
const port = Number(values.port ?? process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`Invalid port "${values.port ?? process.env.PORT}": use 0-65535\n`);
  process.exit(2);
}
const dataDir = values.data ? path.resolve(values.data) : defaultDataDir();
if (values.data) process.env.JOBS_DEV_DATA = dataDir;

const log = (line: string) => process.stderr.write(`${line}\n`);
const runtime = await startLocalRuntime({ port, dataDir, reset: values.reset, log });
if (runtime.repaired && runtime.repaired.written + runtime.repaired.deleted > 0) {
  const { written, deleted, items } = runtime.repaired;
  log(`rebuilt the local store's indexes from its ${items} records: ${written} entries written, ${deleted} deleted`);
}
const tokenCommand = values.data ? `JOBS_DEV_DATA=${dataDir} npm run --silent token -- alice` : 'npm run --silent token -- alice';
const where = (engine: { embedded: boolean; endpoint: string }) => (engine.embedded ? 'embedded' : engine.endpoint);
const bedrock = runtime.engines.bedrockStandIn ? 'stand-in' : runtime.engines.bedrock;
process.stdout.write(
  `Jobs API ready at ${runtime.url} (DynamoDB ${where(runtime.engines.dynamodb)}, SQS ${where(runtime.engines.sqs)}, S3 ${where(runtime.engines.s3)}, Bedrock ${bedrock}). Try: TOKEN=$(${tokenCommand}); curl -s -X POST ${runtime.url}/api/jobs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"type":"AI_PREVIEW","input":{"prompt":"Hello"}}'\n`,
);

if (runtime.backlog > 0) {
  const started = Date.now();
  void runtime.recovered.then(({ resent, scheduled, requeued, failed, skipped }) =>
    log(
      `recovered ${runtime.backlog} unfinished jobs from the last run in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        `${resent} re-sent, ${scheduled} kept scheduled, ${requeued} requeued, ${failed} failed, ${skipped} moved on meanwhile`,
    ),
  );
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log('stopping…');
    void runtime.stop().then(() => process.exit(0));
  });
}
