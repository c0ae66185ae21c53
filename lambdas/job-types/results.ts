/**
 * The job types' result schemas (zod), from each folder's result.ts: what the OpenAPI document
 * publishes and what compile.ts turns into the JSON Schema of a structured type's model reply.
 * Build time, the API's document and tests only: the worker carries them compiled (compiled.ts).
 */
import * as z from 'zod';
import type { JobTypeDefinition } from '../domain/job-types.ts';
import { jobTypeFolder } from './folders.ts';
import type { ResultMetadata } from './structured.ts';

/** What a type's result.ts exports: `output` (a structured type's model reply) or `result`. */
export interface JobTypeResultModule {
  readonly output?: z.ZodType;
  readonly result?: z.ZodType;
}

export interface JobTypeResult {
  readonly definition: JobTypeDefinition<any>;
  /** What the type's model must reply (structured types): its tool's schema. */
  readonly output: z.ZodObject | undefined;
  /** The type's results: `output` with `metadata` for a structured type. */
  readonly result: z.ZodType;
}

/** The `metadata` structured.ts's withMetadata puts next to a structured result (published in openapi.json). */
export const RESULT_METADATA = z
  .object({
    model: z.string().describe('The model that answered'),
    usage: z.object({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) }).describe('Tokens of the model calls, summed'),
    latencyMs: z.number().min(0).describe('Time spent in model calls, summed'),
    attempts: z.int().min(1).describe('Model calls in the attempt (2 when the first reply was sent back)'),
  })
  .describe('How the result was made');

// The schema and the type withMetadata builds must say the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const metadataMatches: Same<z.infer<typeof RESULT_METADATA>, ResultMetadata> = true;
void metadataMatches;

/** A structured type's result schema: its output object with `metadata` (withMetadata). */
export function structuredResultSchema(output: z.ZodObject): z.ZodType {
  return output.extend({ metadata: RESULT_METADATA });
}

/**
 * Loads each definition's `lambdas/job-types/<folder>/result.ts` and checks it: a z.object
 * `output`, or a `result`, not both and not neither.
 */
export async function loadJobTypeResults(
  definitions: readonly JobTypeDefinition<any>[],
  load: (folder: string) => Promise<unknown> = (folder) => import(`./${folder}/result.ts`),
): Promise<JobTypeResult[]> {
  return Promise.all(
    definitions.map(async (definition) => {
      const file = `lambdas/job-types/${jobTypeFolder(definition.name)}/result.ts`;
      const module = (await load(jobTypeFolder(definition.name)).catch((error: unknown) => {
        throw new Error(`Job type ${definition.name} has no result schema: add ${file}`, { cause: error });
      })) as JobTypeResultModule;
      const { output, result } = module;
      if (output !== undefined && result !== undefined) throw new Error(`${file} must export \`output\` or \`result\`, not both`);
      if (output !== undefined) {
        if (!(output instanceof z.ZodObject)) throw new Error(`${file}: \`output\` (a structured type's reply) must be a z.object`);
        return { definition, output, result: structuredResultSchema(output) };
      }
      if (result === undefined) throw new Error(`${file} must export \`output\` (a structured type's model reply) or \`result\``);
      return { definition, output: undefined, result };
    }),
  );
}
