/**
 * Bundle size and cold-start init time of every function, each beside its floor, in one run.
 *
 * Each function is bundled as the stack bundles it (lib/bundling.ts: ESM, node22, minified, AWS SDK
 * bundled, code splitting; route functions with the AWS variant's constants), and so are two
 * floors (bench/floors/): a function doing one GetItem through lib-dynamodb (the floor of the API
 * routes) and one holding the DynamoDB, SQS and Bedrock clients alone (the worker's). For each:
 *
 * - total KB / gzip KB: every file of the bundle (what the zip carries, lazily loaded chunks too);
 * - init KB: the files Node actually loads when it imports the handler module (recorded by a
 *   module loader hook in a separate process), i.e. what the INIT phase parses and evaluates;
 * - init ms: the median CPU time (user + system, all threads) to import the handler module in a
 *   fresh Node process, which is what Lambda's INIT phase spends on our code (no network happens
 *   at import: clients are created, not called); wall ms beside it. CPU time is the ratio's basis:
 *   on a shared machine wall time swings with the other processes' load, CPU time much less. The
 *   function and its floor are imported alternately, so load on the machine hits both alike;
 * - min ms×: the same ratio of the fastest import of each, which load can only slow: on a busy
 *   machine it moves less from run to run than the medians' ratio.
 *
 * Ratios are function ÷ floor; the target (read routes and the worker) is 1.3× at most.
 *
 *   npx tsx bench/bundles.ts [runs=9] [--single-file] [--only=get-job,worker,...]
 *
 * `--single-file` bundles without code splitting, as the stack did before lib/bundling.ts (to
 * measure what splitting alone changes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BUNDLE_ENTRY_FILE, bundleFunction } from '../lib/bundling.ts';
import { ROUTES, routeDefines } from '../lambdas/api/routes.ts';
import { BACKGROUND_ENTRIES } from '../lambdas/shared/resources.ts';
import { BACKGROUND_ENV, FUNCTION_ENV, routeEnv } from './support/function-env.ts';

const args = process.argv.slice(2);
const singleFile = args.includes('--single-file');
const runs = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 9);
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const out = mkdtempSync(path.join(tmpdir(), 'jobs-bench-'));


interface Subject {
  readonly name: string;
  readonly entry: string;
  readonly define: Record<string, string>;
  /** The floor it is compared with, and whether the 1.3× target applies to it. */
  readonly floor?: 'api-floor' | 'worker-floor';
  readonly target?: boolean;
  /** The variables the stack gives the function (bench/support/function-env.ts). */
  readonly env: Readonly<Record<string, string>>;
}

const FLOORS: Subject[] = [
  { name: 'api-floor', entry: 'bench/floors/read-route.ts', define: {}, env: FUNCTION_ENV },
  { name: 'worker-floor', entry: 'bench/floors/worker.ts', define: {}, env: FUNCTION_ENV },
];
const SUBJECTS: Subject[] = [
  ...ROUTES.map((route): Subject => ({
    name: route.name,
    entry: route.entry,
    define: routeDefines(route.name, false),
    floor: 'api-floor',
    target: route.method === 'GET',
    env: routeEnv(route.access),
  })),
  ...Object.entries(BACKGROUND_ENTRIES).map(([name, entry]): Subject => ({
    name,
    entry,
    define: {},
    floor: name === 'worker' ? 'worker-floor' : 'api-floor',
    target: name === 'worker',
    env: BACKGROUND_ENV[name] ?? FUNCTION_ENV,
  })),
];

// A probe that imports a handler module and prints how long that took; a loader hook that lists
// the files a handler module's import loads.
const probe = path.join(out, 'probe.mjs');
writeFileSync(
  probe,
  `const c0 = process.cpuUsage(); const t0 = performance.now(); await import(process.argv[2]);
const cpu = process.cpuUsage(c0); process.stdout.write(JSON.stringify({ wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 }));`,
);
const hook = path.join(out, 'hook.mjs');
writeFileSync(hook, `export async function load(url, context, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, context); }`);
const register = path.join(out, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(new URL(`file://${hook}`).href)});`);

interface Measured {
  readonly totalBytes: number;
  readonly gzipBytes: number;
  readonly initBytes: number;
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
}

async function bundle(subject: Subject): Promise<Measured> {
  const dir = path.join(out, subject.name);
  bundleFunction(path.join(ROOT, subject.entry), dir, subject.define, singleFile ? { splitting: false } : {});
  const files = listFiles(dir).filter((file) => file.endsWith('.mjs'));
  const entry = path.join(dir, BUNDLE_ENTRY_FILE);
  const env = { ...process.env, ...subject.env };
  const loaded = spawnSync(process.execPath, ['--import', register, probe, entry], { env, encoding: 'utf8' }).stderr;
  const loadedFiles = new Set([...loaded.matchAll(/^LOADED (file:\S+)$/gm)].map((match) => fileURLToPath(match[1]!)).filter((file) => file.startsWith(dir)));
  return {
    totalBytes: files.reduce((sum, file) => sum + statSync(file).size, 0),
    gzipBytes: files.reduce((sum, file) => sum + gzipSync(readFileSync(file)).length, 0),
    initBytes: [...loadedFiles].reduce((sum, file) => sum + statSync(file).size, 0),
    entry,
    env,
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((item) =>
    item.isDirectory() ? listFiles(path.join(dir, item.name)) : [path.join(dir, item.name)],
  );
}

const importMs = ({ entry, env }: Measured): { wall: number; cpu: number } =>
  JSON.parse(execFileSync(process.execPath, [probe, entry], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const ratio = (value: number, floor: number) => `${(value / floor).toFixed(2)}×`;

const floors = new Map<string, Measured>();
for (const floor of FLOORS) floors.set(floor.name, await bundle(floor));

console.log(
  `${singleFile ? 'single-file bundles' : 'split bundles (lib/bundling.ts)'}; init: median of ${runs} imports, Node ${process.versions.node}; ` +
    'ratio = function ÷ its floor; * = target ≤ 1.3×',
);
console.log(
  `${'function'.padEnd(26)}${'total KB'.padStart(9)}${'gzip KB'.padStart(9)}${'init KB'.padStart(9)}${'init ms'.padStart(9)}${'wall ms'.padStart(9)}   ` +
    `${'floor'.padEnd(13)}${'init KB'.padStart(9)}${'init ms'.padStart(9)}${'total×'.padStart(8)}${'init KB×'.padStart(9)}${'init ms×'.padStart(9)}${'min ms×'.padStart(9)}`,
);
for (const subject of [...FLOORS, ...SUBJECTS.filter((candidate) => !only || only.includes(candidate.name))]) {
  const measured = floors.get(subject.name) ?? (await bundle(subject));
  const floorName = subject.floor ?? subject.name;
  const floor = floors.get(floorName)!;
  const own: { wall: number; cpu: number }[] = [];
  const base: number[] = [];
  for (let i = 0; i < runs; i++) {
    base.push(importMs(floor).cpu);
    own.push(importMs(measured));
  }
  const cpu = median(own.map((run) => run.cpu));
  const floorCpu = median(base);
  console.log(
    `${`${subject.target ? '* ' : '  '}${subject.name}`.padEnd(26)}${kb(measured.totalBytes).padStart(9)}${kb(measured.gzipBytes).padStart(9)}` +
      `${kb(measured.initBytes).padStart(9)}${cpu.toFixed(1).padStart(9)}${median(own.map((run) => run.wall)).toFixed(1).padStart(9)}   ` +
      `${floorName.padEnd(13)}${kb(floor.initBytes).padStart(9)}${floorCpu.toFixed(1).padStart(9)}` +
      `${ratio(measured.totalBytes, floor.totalBytes).padStart(8)}${ratio(measured.initBytes, floor.initBytes).padStart(9)}${ratio(cpu, floorCpu).padStart(9)}` +
      `${ratio(Math.min(...own.map((run) => run.cpu)), Math.min(...base)).padStart(9)}`,
  );
}
rmSync(out, { recursive: true, force: true });
