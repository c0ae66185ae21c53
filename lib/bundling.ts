/**
 * How every function is bundled, in one place: the stack (lib/constructs/job-function.ts), the
 * bundle tests (test/support/bundle.ts) and the benchmark (bench/bundles.ts) all build with these
 * options, so what the tests check and the benchmark measures is what Lambda runs.
 *
 * ESM for Node 22+, module-first resolution, minified, the AWS SDK bundled (the pinned, tested
 * versions run in Lambda, and only the used clients are bundled), and code splitting: code that is
 * reached only through a dynamic `import()` goes to its own chunk, which Node loads on first use
 * rather than at cold start. That is how a route that reads a stored result only sometimes (the S3
 * client, lazy-payload-store.ts) or verifies tokens only on LocalStack keeps that code out of its
 * INIT phase. The function's handler is `index.handler`; the chunks sit beside it in `chunks/`.
 */
import type { BuildOptions, Metafile } from 'esbuild';

/**
 * ESM bundles of CommonJS dependencies call `require` for Node built-ins; esbuild's ESM output has
 * no `require`, so give it one (in every chunk).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The entry file's name in the bundle directory: Lambda's handler is `index.handler`. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';

/**
 * esbuild options that bundle `entry` (absolute path) into `outdir` as `index.mjs` plus its
 * lazily loaded chunks; `define` holds the compile-time constants (JobFunctionProps.define).
 */
export function functionBuildOptions(entry: string, outdir: string, define: Readonly<Record<string, string>> = {}): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: ESM_REQUIRE_BANNER },
    define: { ...define },
    logLevel: 'error',
  };
}

/**
 * The output files of a bundle that load whatever the function does: the entry and the chunks it
 * imports statically, transitively. The others load when a dynamic `import()` runs: at init for
 * the job type modules the worker and create-job await at top level, on first use for the S3
 * client of lazy-payload-store.ts.
 */
export function initialOutputs(metafile: Metafile): Set<string> {
  const outputs = metafile.outputs;
  // A dynamically imported module is an entry point of its own chunk: the function's is index.mjs.
  const entry = Object.keys(outputs).find((file) => file === BUNDLE_ENTRY_FILE || file.endsWith(`/${BUNDLE_ENTRY_FILE}`));
  const reached = new Set<string>();
  const pending = entry ? [entry] : [];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    reached.add(file);
    for (const imported of outputs[file]!.imports) {
      if (imported.kind === 'import-statement' && outputs[imported.path]) pending.push(imported.path);
    }
  }
  return reached;
}
