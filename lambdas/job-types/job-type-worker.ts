/**
 * The worker's part of a job type, which its `<folder>/worker.ts` exports as `worker`: how to
 * build its processor and how its results read to a job chained on them. Worker-side only (the
 * API never loads worker.ts files).
 */
import type { z } from 'zod';
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

export interface JobTypeWorker<Input = any> {
  /** The definition from the type's index.ts: the processor takes what its schema produces. */
  readonly definition: JobTypeDefinition<Input>;
  /** Builds the processor with the type's model settings (model-settings.ts). */
  processor(deps: ProcessorDependencies, settings: ModelSettings): Processor<Input>;
  /**
   * A result of this type as text, for a job that chains on it; undefined when a stored result
   * does not have the type's shape (the model then gets it as JSON).
   */
  render(result: JsonObject): string | undefined;
  /**
   * The schema of the type's results (what its processor returns): the OpenAPI document
   * (lib/openapi) publishes it; a type without one fails the document's generation.
   */
  readonly result?: z.ZodType;
}

/** A worker part built on `definition`, so the compiler ties the processor's input to its schema. */
export function defineWorker<Input>(
  definition: JobTypeDefinition<Input>,
  parts: Omit<JobTypeWorker<Input>, 'definition'>,
): JobTypeWorker<Input> {
  return { definition, ...parts };
}
