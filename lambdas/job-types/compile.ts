/**
 * The job types compiled for the worker: from each type's zod schemas, the JSON Schemas the worker
 * checks with (json-check.ts), so the worker's bundle carries no zod.
 *
 * lib/bundling.ts runs this at build time and gives the result to every bundle as a constant
 * (compiled.ts reads it); unbundled (tests, `npm run dev`) compiled.ts runs it at start-up. Both
 * run this same code on the same schemas.
 */
import * as z from 'zod';
import type { JobTypeDefinition } from '../domain/job-types.ts';
import type { CompiledJobType } from './compiled-types.ts';
import { JOB_TYPE_DEFINITIONS, MODEL_SETTINGS_SPECS } from './definitions.ts';
import { uncheckedKeywords, type JsonSchema } from './json-check.ts';
import type { ModelSettingsSpec } from './model-settings.ts';
import { loadJobTypeResults } from './results.ts';

/**
 * One type compiled: its definition's plain fields, its model settings defaults, the JSON Schema
 * of its stored input (what zod's parse returns: types, required keys, enums; the limits and
 * cross-field rules that zod checks in code are the create's) and of its model's reply. Throws
 * when a schema uses a keyword json-check.ts does not apply.
 */
export function compileJobType(definition: JobTypeDefinition<any>, modelSettings: ModelSettingsSpec, output?: z.ZodType): CompiledJobType {
  const input = compiledSchema(definition.name, 'input', definition.input);
  return {
    name: definition.name,
    timeoutSeconds: definition.timeoutSeconds,
    modelSettings,
    input,
    ...(output ? { output: compiledSchema(definition.name, 'output', output) } : {}),
  };
}

/**
 * The JSON Schema of `schema` (the `part` of job type `type`), checked to use only keywords
 * json-check.ts applies. A reply's (`output`) free-text strings must trim first (outputText), as
 * the worker's check trims them: the JSON Schema cannot say so, and the check must not differ.
 */
export function compiledSchema(type: string, part: 'input' | 'output', schema: z.ZodType): JsonSchema {
  // zod calls `override` for each schema a path's schema was derived from (z.string(), then
  // .trim(), .min()…): the path's own is the one with the most checks.
  const strings = new Map<string, readonly ZodCheckDef[]>();
  const override = ({ zodSchema, path }: { zodSchema: z.core.$ZodTypes; path: (string | number)[] }) => {
    const def = zodSchema._zod.def as { type: string; checks?: readonly z.core.$ZodCheck[] };
    const checks = (def.checks ?? []).map((check) => check._zod.def as ZodCheckDef);
    const key = path.join('/') || '(the reply)';
    if (def.type === 'string' && checks.length >= (strings.get(key)?.length ?? 0)) strings.set(key, checks);
  };
  // `$schema` is left out: Converse takes the schema itself as a tool's, not a document about it.
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw', override }) as Record<string, unknown>;
  if (part === 'output') {
    for (const [path, checks] of strings) {
      const first = checks[0];
      const trimsFirst = first?.check === 'overwrite' && first.tx?.('  a  ') === 'a' && checks.filter((check) => check.check === 'overwrite').length === 1;
      if (!trimsFirst) {
        throw new Error(
          `Job type ${type}: the string at ${path} of its output must be trimmed before its other checks, and changed no other way ` +
            '(outputText in output-fields.ts): the worker trims every free-text string of a reply',
        );
      }
    }
  }
  const unchecked = uncheckedKeywords(json);
  if (unchecked.length > 0) {
    throw new Error(`Job type ${type}: the JSON Schema of its ${part} uses ${unchecked.join(', ')}, which the worker's check (json-check.ts) does not apply`);
  }
  return json;
}

type ZodCheckDef = { readonly check: string; readonly tx?: (value: string) => unknown };

/** Every job type of definitions.ts, compiled, in the API's order. */
export async function compileJobTypes(definitions: readonly JobTypeDefinition<any>[] = JOB_TYPE_DEFINITIONS): Promise<CompiledJobType[]> {
  const results = await loadJobTypeResults(definitions);
  return results.map(({ definition, output }) => compileJobType(definition, MODEL_SETTINGS_SPECS[definition.name] ?? {}, output));
}

/** The compiled job types as bundles carry them (lib/bundling.ts: a JSON text). */
export const COMPILED_JOB_TYPES_JSON = JSON.stringify(await compileJobTypes());
