/**
 * Bundle size and cold-start init time of every function.
 *
 * Bundles each entry with esbuild using the stack's bundling options (lib/constructs/job-function.ts:
 * ESM, node22 target, minified, AWS SDK bundled), then imports each bundle in a fresh Node process
 * N times and reports the median time to evaluate the module, which is what Lambda's INIT phase
 * spends on our code (no network happens at import: clients are created, not called).
 *
 *   npx tsx bench/bundles.ts [runs=7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { FUNCTIONS } from './functions.ts';

const runs = Number(process.argv[2] ?? 7);
const out = mkdtempSync(path.join(tmpdir(), 'jobs-bench-'));
const env = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  JOBS_TABLE_NAME: 'bench',
  JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/bench',
  JOBS_BUCKET_NAME: 'bench-payloads',
  CURSOR_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench',
  BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
  LOG_LEVEL: 'silent',
};

const probe = path.join(out, 'probe.mjs');
writeFileSync(
  probe,
  `const t0 = performance.now(); await import(process.argv[2]); process.stdout.write(String(performance.now() - t0));`,
);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`function           bundle KB   gzip KB   init ms (median of ${runs}, Node ${process.versions.node})`);
for (const fn of FUNCTIONS) {
  const file = path.join(out, `${fn.name}.mjs`);
  await build({
    entryPoints: [fn.entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  const size = statSync(file).size;
  const gzip = gzipSync(readFileSync(file)).length;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(Number(execFileSync(process.execPath, [probe, file], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })));
  }
  console.log(
    `${fn.name.padEnd(18)} ${(size / 1024).toFixed(1).padStart(9)} ${(gzip / 1024).toFixed(1).padStart(9)} ${median(times).toFixed(1).padStart(9)}`,
  );
}
rmSync(out, { recursive: true, force: true });
