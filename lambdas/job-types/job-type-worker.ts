/**
 * The worker's part of a job type, which its `<folder>/worker.ts` exports as `worker`: how to
 * build its processor and how its results read to a job chained on them. Worker-side only (the
 * API never loads worker.ts files), and without zod: a worker.ts imports its index.ts and
 * result.ts for their types only (`import type`), and its schemas come compiled (compiled.ts).
 */
import type { JobTypeDefinition, Processor } from '../domain/job-types.ts';
import type { JsonObject } from '../domain/json.ts';
import type { StructuredModel } from '../domain/model.ts';
import type { ModelSettings } from './model-settings.ts';
import type { SourceRenderer } from './sources.ts';

/** What a processor is built from, once, at the worker's start. */
export interface ProcessorDependencies {
  readonly model: StructuredModel;
  /** A source job's result as text for the model: its type's `render`, or JSON. */
  readonly renderSource: SourceRenderer;
}

/** The input a definition's schema produces: `InputOf<typeof definition>`, with `import type { definition }`. */
export type InputOf<Definition> = Definition extends JobTypeDefinition<infer Input> ? Input : never;

export interface JobTypeWorker<Input = any> {
  /** The type's name: its folder's (a test and the worker's start-up check it). */
  readonly name: string;
  /** Builds the processor with the type's model settings (model-settings.ts). */
  processor(deps: ProcessorDependencies, settings: ModelSettings): Processor<Input>;
  /**
   * A result of this type as text, for a job that chains on it; undefined when a stored result
   * does not have the type's shape (the model then gets it as JSON).
   */
  render(result: JsonObject): string | undefined;
}

/** The worker part of the type `name`; Input is its definition's (InputOf). */
export function defineWorker<Input>(name: string, parts: Omit<JobTypeWorker<Input>, 'name'>): JobTypeWorker<Input> {
  return { name, ...parts };
}
