/**
 * What observability costs a cold start: bundle size and init time (module evaluation, median of N
 * fresh Node processes, as bench/bundles.ts measures them) of
 * - Powertools Logger alone and Powertools Metrics alone (every function carries the logger; the
 *   functions that record job events carry the metrics too);
 * - one read route (get-job) and the worker as they are, and with Powertools Tracer added: the
 *   Tracer built at init (what tracing with Powertools would add to the bundle and the init; the
 *   stack's Lambda tracing, Tracing.ACTIVE, costs no code in the bundle).
 *
 *   npx tsx bench/observability.ts [runs=7]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleEntry } from '../test/support/bundle.ts';
import { FUNCTIONS } from './functions.ts';
import { FUNCTION_ENV } from './support/function-env.ts';

const runs = Number(process.argv[2] ?? 7);
const out = mkdtempSync(path.join(tmpdir(), 'jobs-bench-obs-'));
const root = path.resolve(import.meta.dirname, '..');
const env = {
  ...process.env,
  ...FUNCTION_ENV,
  POWERTOOLS_SERVICE_NAME: 'bench',
  // As in Lambda, so the Tracer is enabled (it captures clients and would open segments).
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
};

const probe = path.join(out, 'probe.mjs');
writeFileSync(probe, 'const t0 = performance.now(); await import(process.argv[2]); process.stdout.write(String(performance.now() - t0));');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The stack's ESM banner (lib/constructs/job-function.ts): CommonJS dependencies call `require`. */
const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n";

/** Bundles `source` (an entry module's text) as the stack does and measures it. */
async function measure(name: string, source: string): Promise<{ kb: number; gzipKb: number; ms: number }> {
  const entry = `.bench-${name}.ts`;
  writeFileSync(path.join(root, entry), source);
  const file = path.join(out, `${name}.mjs`);
  try {
    writeFileSync(file, BANNER + (await bundleEntry(entry)).code);
  } finally {
    rmSync(path.join(root, entry), { force: true });
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(Number(execFileSync(process.execPath, [probe, file], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })));
  }
  return { kb: statSync(file).size / 1024, gzipKb: gzipSync(readFileSync(file)).length / 1024, ms: median(times) };
}

const entryOf = (name: string) => `./${FUNCTIONS.find((fn) => fn.name === name)!.entry}`;

/**
 * The function's module as is, with the Tracer built first (its X-Ray SDK loaded and set up). Capturing
 * the clients (tracer.captureAWSv3Client) adds a middleware per client, nothing measurable at init.
 */
function withTracer(name: string): string {
  return `import { Tracer } from '@aws-lambda-powertools/tracer';\nexport const tracer = new Tracer();\nexport * from '${entryOf(name)}';\n`;
}

const rows: [string, Awaited<ReturnType<typeof measure>>][] = [];
rows.push(['empty module', await measure('empty', 'export {};')]);
rows.push(['Powertools Logger alone', await measure('logger', "import { Logger } from '@aws-lambda-powertools/logger'; export const logger = new Logger();")]);
rows.push(['Powertools Metrics alone', await measure('metrics', "import { Metrics } from '@aws-lambda-powertools/metrics'; export const metrics = new Metrics({ namespace: 'x' });")]);
rows.push(['Powertools Tracer alone', await measure('tracer', "import { Tracer } from '@aws-lambda-powertools/tracer'; export const tracer = new Tracer();")]);
for (const name of ['get-job', 'worker']) {
  rows.push([name, await measure(name, `export * from '${entryOf(name)}';`)]);
  rows.push([`${name} + Tracer`, await measure(`${name}-tracer`, withTracer(name))]);
}

console.log(`bundle                      bundle KB   gzip KB   init ms (median of ${runs}, Node ${process.versions.node})`);
for (const [name, { kb, gzipKb, ms }] of rows) {
  console.log(`${name.padEnd(27)} ${kb.toFixed(1).padStart(9)} ${gzipKb.toFixed(1).padStart(9)} ${ms.toFixed(1).padStart(9)}`);
}
const by = Object.fromEntries(rows);
for (const name of ['get-job', 'worker']) {
  const base = by[name]!;
  const traced = by[`${name} + Tracer`]!;
  console.log(`${name}: the Tracer adds ${(traced.kb - base.kb).toFixed(0)} KB (×${(traced.kb / base.kb).toFixed(2)}) and ${(traced.ms - base.ms).toFixed(1)} ms of init (×${(traced.ms / base.ms).toFixed(2)})`);
}
rmSync(out, { recursive: true, force: true });
