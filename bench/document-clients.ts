/**
 * What each DynamoDB document client a function builds at cold start costs: CPU ms of building the
 * 1st, 2nd, 3rd and 4th client (createDocumentClient, as the adapters do) in a fresh Node process,
 * bundled as the stack bundles a function (lib/bundling.ts), median of `runs` processes. The first
 * pays for the SDK's lazily run setup; each one after it is what lambdas/shared/wiring.ts's one
 * client per function saves (get-job built 3, a workspace job route 4, the worker 2).
 *
 *   npx tsx bench/document-clients.ts [runs=15]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_ENTRY_FILE, bundleFunction } from '../lib/bundling.ts';
import { FUNCTION_ENV } from './support/function-env.ts';

const CLIENTS = 4;
const runs = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 15);
const adapter = fileURLToPath(new URL('../lambdas/adapters/dynamo-job-reader.ts', import.meta.url));
const out = mkdtempSync(path.join(tmpdir(), 'jobs-bench-clients-'));

try {
  const entry = path.join(out, 'entry.ts');
  writeFileSync(
    entry,
    `import { createDocumentClient } from ${JSON.stringify(adapter)};
const ms: number[] = [];
for (let i = 0; i < ${CLIENTS}; i++) { const c0 = process.cpuUsage(); createDocumentClient(); const cpu = process.cpuUsage(c0); ms.push((cpu.user + cpu.system) / 1000); }
process.stdout.write(JSON.stringify(ms));`,
  );
  const dir = path.join(out, 'bundle');
  bundleFunction(entry, dir);
  const env = { ...process.env, ...FUNCTION_ENV };
  const samples = Array.from({ length: runs }, () =>
    JSON.parse(execFileSync(process.execPath, [path.join(dir, BUNDLE_ENTRY_FILE)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as number[],
  );
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`DynamoDB document clients built in one process, bundled (lib/bundling.ts): CPU ms, median of ${runs} processes, Node ${process.versions.node}`);
  for (let i = 0; i < CLIENTS; i++) console.log(`client ${i + 1}: ${median(samples.map((sample) => sample[i]!)).toFixed(2)} ms`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
