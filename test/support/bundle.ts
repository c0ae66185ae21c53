/**
 * Bundles a function's entry in memory as the stack does (lib/bundling.ts: ESM, node22,
 * module-first resolution, minified, split into the entry and lazily loaded chunks), for tests
 * about what a bundle carries.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metafile } from 'esbuild';
import { bundleFunction, initialOutputs } from '../../lib/bundling.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Bundle {
  /** Every output file's code, the entry's first: all the function can ever run. */
  readonly code: string;
  readonly metafile: Metafile;
  /** The packages (node_modules names) loaded whatever the function does: the entry and the chunks it imports statically (initialOutputs). */
  readonly initPackages: ReadonlySet<string>;
  /** The packages of every chunk, lazily loaded ones included. */
  readonly packages: ReadonlySet<string>;
  /** The project files (`lambdas/...`) bundled anywhere. */
  readonly files: readonly string[];
  /** The inputs (source files) with code in the files loaded whatever the function does (tree-shaken ones left out). */
  readonly initInputs: ReadonlySet<string>;
  /** Bytes of the files loaded whatever the function does (bench/bundles.ts's init KB). */
  readonly initBytes: number;
}

const PACKAGE_OF = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;

function packagesIn(inputs: Iterable<string>): Set<string> {
  return new Set([...inputs].flatMap((input) => PACKAGE_OF.exec(input)?.[1] ?? []));
}

/**
 * `entry` is relative to the project root; `define` as the stack's compile-time constants;
 * `alsoAtInit`: the source paths of modules the function imports dynamically at start-up (loaded
 * whatever it does, like its static imports).
 */
export async function bundleEntry(entry: string, define: Record<string, string> = {}, options: { alsoAtInit?: RegExp } = {}): Promise<Bundle> {
  const outdir = path.join(PROJECT_ROOT, 'cdk.out', 'bundle-test');
  const result = bundleFunction(path.join(PROJECT_ROOT, entry), outdir, define, { write: false, logLevel: 'silent' });
  const scripts = result.outputFiles.filter((file) => file.path.endsWith('.mjs'));
  scripts.sort((a, b) => Number(path.basename(b.path) === 'index.mjs') - Number(path.basename(a.path) === 'index.mjs'));
  const { metafile } = result;
  const init = initialOutputs(metafile, options.alsoAtInit);
  const initEntries = [...init].flatMap((output) => Object.entries(metafile.outputs[output]!.inputs));
  return {
    code: scripts.map((file) => file.text).join('\n'),
    metafile,
    initInputs: new Set(initEntries.filter(([, input]) => input.bytesInOutput > 0).map(([name]) => name)),
    initBytes: [...init].reduce((sum, output) => sum + metafile.outputs[output]!.bytes, 0),
    initPackages: packagesIn(initEntries.map(([name]) => name)),
    packages: packagesIn(Object.keys(metafile.inputs)),
    files: Object.keys(metafile.inputs).filter((input) => input.startsWith('lambdas/')),
  };
}
