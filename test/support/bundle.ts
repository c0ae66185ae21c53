/**
 * Bundles a function's entry in memory as the stack does (lib/constructs/job-function.ts: ESM,
 * node22, module-first resolution, minified), for tests about what a bundle carries.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Bundle {
  readonly code: string;
  readonly metafile: Metafile;
}

/** `entry` is relative to the project root; `define` as the stack's compile-time constants. */
export async function bundleEntry(entry: string, define: Record<string, string> = {}): Promise<Bundle> {
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    metafile: true,
    define,
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, metafile: result.metafile };
}
