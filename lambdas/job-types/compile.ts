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
 * when the worker's check could not check one as zod does (compiledSchema).
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
 * The JSON Schema of `schema` (the `part` of job type `type`), refused when the worker's check
 * (json-check.ts) would check it otherwise than zod does:
 * - any keyword the check does not apply (`format`, `$ref`, `default`, `prefixItems`…), and any
 *   regex with flags (a JSON Schema pattern has none; the check runs it as zod does without);
 * - in a reply (`output`), which the check trims and strips of unknown keys: a free-text string
 *   that does not trim before its other checks (outputText), code the schema cannot carry (a
 *   `refine`, `superRefine`, transform, `catch`, coercion), a value of any type, and a strict object.
 * An input's code-only checks (`superRefine`: sizes, cross-field rules) are the create's, which
 * checked the input before storing it; the worker checks its shape.
 */
export function compiledSchema(type: string, part: 'input' | 'output', schema: z.ZodType): JsonSchema {
  const refused: string[] = [];
  // zod calls `override` for each schema a path's schema was derived from (z.string(), then
  // .trim(), .min()…): a string path's own is the one with the most checks.
  const strings = new Map<string, readonly ZodCheckDef[]>();
  const override = ({ zodSchema, path }: { zodSchema: z.core.$ZodTypes; path: (string | number)[] }) => {
    const def = zodSchema._zod.def as ZodDef;
    const where = path.join('/') || '(the root)';
    const checks = (def.checks ?? []).map((check) => check._zod.def as ZodCheckDef);
    if (checks.some((check) => check.check === 'string_format' && check.format === 'regex' && (check.pattern?.flags ?? '') !== '')) refused.push(`a regex with flags at ${where}`);
    if (part !== 'output') return;
    if (checks.some((check) => check.check === 'custom')) refused.push(`a refine or superRefine at ${where}`);
    if (def.coerce === true) refused.push(`a coercion at ${where}`);
    if (REFUSED_IN_REPLIES.has(def.type)) refused.push(`${def.type === 'any' || def.type === 'unknown' ? 'a value of any type' : `a ${def.type}`} at ${where}`);
    if (def.type === 'object' && def.catchall?._zod.def.type === 'never') refused.push(`a strict object at ${where} (the worker drops a reply's unknown keys)`);
    if (def.type === 'string' && checks.length >= (strings.get(where)?.length ?? 0)) strings.set(where, checks);
  };
  // `$schema` is left out: Converse takes the schema itself as a tool's, not a document about it.
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw', override }) as Record<string, unknown>;
  const unchecked = uncheckedKeywords(json);
  if (unchecked.length > 0) refused.unshift(`the keyword${unchecked.length > 1 ? 's' : ''} ${unchecked.join(', ')}`);
  if (refused.length === 0 && part === 'output') {
    for (const [where, checks] of strings) {
      const first = checks[0];
      const trimsFirst = first?.check === 'overwrite' && first.tx?.('  a  ') === 'a' && checks.filter((check) => check.check === 'overwrite').length === 1;
      if (!trimsFirst) refused.push(`the string at ${where}, which must be trimmed before its other checks and changed no other way (outputText in output-fields.ts)`);
    }
  }
  if (refused.length > 0) {
    throw new Error(`Job type ${type}: its ${part} schema uses ${[...new Set(refused)].join('; ')}, which the worker's check (json-check.ts) would not check as zod does`);
  }
  return json;
}

/** zod types a reply schema may not use: the check could not do what they do. */
const REFUSED_IN_REPLIES: ReadonlySet<string> = new Set(['any', 'unknown', 'pipe', 'transform', 'catch', 'default', 'prefault', 'custom', 'template_literal', 'lazy', 'promise', 'success']);

type ZodCheckDef = { readonly check: string; readonly format?: string; readonly pattern?: RegExp; readonly tx?: (value: string) => unknown };
type ZodDef = { readonly type: string; readonly checks?: readonly z.core.$ZodCheck[]; readonly coerce?: boolean; readonly catchall?: z.core.$ZodType };

/** Every job type of definitions.ts, compiled, in the API's order. */
export async function compileJobTypes(definitions: readonly JobTypeDefinition<any>[] = JOB_TYPE_DEFINITIONS): Promise<CompiledJobType[]> {
  const results = await loadJobTypeResults(definitions);
  return results.map(({ definition, output }) => compileJobType(definition, MODEL_SETTINGS_SPECS[definition.name] ?? {}, output));
}

/** The compiled job types as bundles carry them (lib/bundling.ts: a JSON text). */
export const COMPILED_JOB_TYPES_JSON = JSON.stringify(await compileJobTypes());
