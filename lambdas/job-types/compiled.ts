/**
 * The job types as the worker knows them: compiled from their zod schemas (compile.ts). A bundle
 * carries them as a constant that lib/bundling.ts computes at build time, so the worker loads no
 * zod; unbundled (tests, `npm run dev`) they are compiled at start-up, by the same code into
 * the same JSON text.
 */
import type { CompiledJobType } from './compiled-types.ts';

export type { CompiledJobType };

/**
 * The compiled job types' JSON text, set in bundles only (esbuild `define`, lib/bundling.ts). A
 * string, so esbuild folds the `typeof` below and drops the fallback (and zod) from the bundle.
 */
declare const JOBS_COMPILED_JOB_TYPES: string | undefined;

export const COMPILED_JOB_TYPES: readonly CompiledJobType[] = JSON.parse(
  typeof JOBS_COMPILED_JOB_TYPES === 'string' ? JOBS_COMPILED_JOB_TYPES : (await import('./compile.ts')).COMPILED_JOB_TYPES_JSON,
) as CompiledJobType[];

/** The compiled type `name`; throws when there is none (a worker part for a type that is not registered). */
export function compiledJobType(name: string): CompiledJobType {
  const compiled = COMPILED_JOB_TYPES.find((type) => type.name === name);
  if (compiled === undefined) throw new Error(`Job type ${name} is not registered (lambdas/job-types/folders.ts)`);
  return compiled;
}
