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
 *
 * The S3 payload store is the exception: esbuild's splitting places whole files, and the S3 client
 * shares the SDK's core files (barrels reaching the XML protocol, checksums, streams) with the
 * DynamoDB client, so its share of them would land in chunks loaded at cold start (~16 KB for
 * get-job). bundleFunction bundles it on its own instead, in `lazy/`, imported through a subpath
 * import (`#s3-payload-store`) that the bundle's package.json maps: it loads on first use with
 * every file it needs, at the price of its own copy of the SDK core in the zip.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions, type Metafile, type OutputFile } from 'esbuild';
import { COMPILED_JOB_TYPES_JSON } from '../lambdas/job-types/compile.ts';

/**
 * ESM bundles of CommonJS dependencies call `require` for Node built-ins; esbuild's ESM output has
 * no `require`, so give it one (in every chunk).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The entry file's name in the bundle directory: Lambda's handler is `index.handler`. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';

/**
 * The compile-time constant lambdas/job-types/compiled.ts reads the job types from: compiled from
 * their zod schemas here, at build time, so the worker's bundle carries JSON Schemas and no zod.
 */
export const COMPILED_JOB_TYPES_DEFINE = 'JOBS_COMPILED_JOB_TYPES';

/** The compile-time constant lazy-payload-store.ts imports the S3 payload store by, in a bundle. */
export const S3_PAYLOAD_STORE_DEFINE = 'JOBS_S3_PAYLOAD_STORE';
const S3_PAYLOAD_STORE_SPECIFIER = '#s3-payload-store';
const S3_PAYLOAD_STORE_ENTRY = fileURLToPath(new URL('../lambdas/adapters/s3-payload-store.ts', import.meta.url));
/** Where the S3 payload store's own bundle goes, in the function's bundle directory. */
const S3_PAYLOAD_STORE_DIR = 'lazy';
/** The bundle's package.json: maps the S3 payload store's specifier to its file. */
const BUNDLE_PACKAGE_JSON = `${JSON.stringify({ imports: { [S3_PAYLOAD_STORE_SPECIFIER]: `./${S3_PAYLOAD_STORE_DIR}/s3-payload-store.mjs` } })}\n`;

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
    define: {
      [S3_PAYLOAD_STORE_DEFINE]: JSON.stringify(S3_PAYLOAD_STORE_SPECIFIER),
      [COMPILED_JOB_TYPES_DEFINE]: JSON.stringify(COMPILED_JOB_TYPES_JSON),
      ...define,
    },
    external: [S3_PAYLOAD_STORE_SPECIFIER],
    logLevel: 'error',
  };
}

export interface FunctionBundle {
  /** The function's build and, if it imports the S3 payload store, that store's own, merged. */
  readonly metafile: Metafile;
  /** With `write: false`: every file, package.json included. */
  readonly outputFiles: readonly OutputFile[];
}

/**
 * Bundles a function as the stack deploys it: functionBuildOptions (with `overrides`, e.g. source
 * maps), and, when the function imports the S3 payload store, that store bundled on its own in
 * `lazy/` with the package.json that maps its specifier (see the top of this file).
 */
export function bundleFunction(entry: string, outdir: string, define: Readonly<Record<string, string>> = {}, overrides: BuildOptions = {}): FunctionBundle {
  const main = buildSync({ ...functionBuildOptions(entry, outdir, define), ...overrides, metafile: true });
  const importsS3Store = Object.values(main.metafile.outputs).some((output) => output.imports.some((imported) => imported.external && imported.path === S3_PAYLOAD_STORE_SPECIFIER));
  if (!importsS3Store) return { metafile: main.metafile, outputFiles: main.outputFiles ?? [] };
  const lazy = buildSync({
    ...functionBuildOptions(S3_PAYLOAD_STORE_ENTRY, path.join(outdir, S3_PAYLOAD_STORE_DIR), define),
    entryPoints: { 's3-payload-store': S3_PAYLOAD_STORE_ENTRY },
    ...overrides,
    metafile: true,
  });
  const packageJson = path.join(outdir, 'package.json');
  if (overrides.write === false) {
    const contents = new TextEncoder().encode(BUNDLE_PACKAGE_JSON);
    return {
      metafile: mergeMetafiles(main.metafile, lazy.metafile),
      outputFiles: [...main.outputFiles!, ...lazy.outputFiles!, { path: packageJson, contents, text: BUNDLE_PACKAGE_JSON, hash: '' }],
    };
  }
  writeFileSync(packageJson, BUNDLE_PACKAGE_JSON);
  return { metafile: mergeMetafiles(main.metafile, lazy.metafile), outputFiles: [] };
}

function mergeMetafiles(a: Metafile, b: Metafile): Metafile {
  return { inputs: { ...a.inputs, ...b.inputs }, outputs: { ...a.outputs, ...b.outputs } };
}

/**
 * The output files of a bundle that load whatever the function does: the entry and the chunks it
 * imports statically, transitively, and those of the modules (by source path) in `alsoAtInit`,
 * imported dynamically at start-up. The others load when a dynamic `import()` runs: at init for
 * the job type modules the worker and create-job await at top level, on first use for the S3
 * client of lazy-payload-store.ts.
 */
export function initialOutputs(metafile: Metafile, alsoAtInit?: RegExp): Set<string> {
  const outputs = metafile.outputs;
  // A dynamically imported module is an entry point of its own chunk: the function's is index.mjs.
  const entry = Object.keys(outputs).find((file) => file === BUNDLE_ENTRY_FILE || file.endsWith(`/${BUNDLE_ENTRY_FILE}`));
  const reached = new Set<string>();
  const imported = Object.keys(outputs).filter((file) => alsoAtInit?.test(outputs[file]!.entryPoint ?? '') && file !== entry);
  const pending = [...(entry ? [entry] : []), ...imported];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    reached.add(file);
    for (const imported of outputs[file]!.imports) {
      if (imported.kind === 'import-statement' && outputs[imported.path]) pending.push(imported.path);
    }
  }
  return reached;
}
