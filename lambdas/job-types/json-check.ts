/**
 * Checks a value against a JSON Schema, without zod: how the worker checks a stored input and a
 * model's reply. The schemas are the ones zod derives from the job types' schemas at build time
 * (compile.ts), so the worker bundles no zod (a cold start ~45 ms and ~95 KB lighter).
 *
 * Only the keywords z.toJSONSchema emits for the schemas job types use are understood
 * (CHECKED_KEYWORDS). compile.ts refuses a schema with any other keyword, and the zod features it
 * cannot carry (a reply's refinements, transforms, regex flags…), so what it lets through is
 * checked as zod checks it: the same verdict, value and issues (path and message), which
 * test/unit/job-types/json-check.test.ts holds it to. String lengths count code points, as zod's do;
 * patterns run without flags, as zod runs a regex written without.
 *
 * Two options, for the two uses:
 * - `unknownKeys`: `strip` drops keys an object's `properties` do not name (a model's extra keys,
 *   as zod's non-strict objects do); `reject` is an issue for each (a stored input, from strict
 *   schemas).
 * - `trim`: trims every free-text string (a string schema, nullable or not, without `enum` or `const`) before
 *   checking it: a model's reply, whose free-text strings all trim first (outputText; compile.ts
 *   refuses a reply schema with one that does not).
 */

/** A JSON Schema (the subset CHECKED_KEYWORDS lists). */
export type JsonSchema = { readonly [keyword: string]: unknown };

export interface CheckIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Checked<T> = { readonly success: true; readonly data: T } | { readonly success: false; readonly issues: readonly CheckIssue[] };

export interface CheckOptions {
  readonly unknownKeys: 'strip' | 'reject';
  readonly trim: boolean;
}

/** The keywords checkJson applies, and those it may meet and ignore (annotations). */
export const CHECKED_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);
export const ANNOTATION_KEYWORDS: ReadonlySet<string> = new Set(['description', 'title', 'examples', '$schema']);

/** `value` checked against `schema`: the value as checked (strings trimmed, unknown keys stripped), or every issue found. */
export function checkJson<T>(schema: JsonSchema, value: unknown, options: CheckOptions): Checked<T> {
  const issues: CheckIssue[] = [];
  const data = check(schema, value, [], options, issues);
  return issues.length === 0 ? { success: true, data: data as T } : { success: false, issues };
}

type Path = readonly (string | number)[];

function check(schema: JsonSchema, value: unknown, path: Path, options: CheckOptions, issues: CheckIssue[]): unknown {
  const issue = (message: string) => issues.push({ path, message });
  if (options.trim && typeof value === 'string' && [schema.type].flat().includes('string') && schema.enum === undefined && !('const' in schema)) value = value.trim();

  if (Array.isArray(schema.anyOf)) {
    // A nullable (zod writes `anyOf: [schema, {type: null}]`): null, or the schema's own issues, as zod says them.
    const branches = schema.anyOf as JsonSchema[];
    const nonNull = branches.filter((branch) => !(branch.type === 'null' && Object.keys(branch).length === 1));
    if (branches.length === 2 && nonNull.length === 1) return value === null ? null : check(nonNull[0]!, value, path, options, issues);
    for (const option of branches) {
      const own: CheckIssue[] = [];
      const checked = check(option, value, path, options, own);
      if (own.length === 0) return checked;
    }
    issue('Invalid input');
    return value;
  }
  if ('const' in schema && value !== schema.const) {
    issue(`Invalid input: expected ${JSON.stringify(schema.const)}`);
    return value;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    const members = schema.enum.map((member) => JSON.stringify(member));
    issue(members.length === 1 ? `Invalid input: expected ${members[0]}` : `Invalid option: expected one of ${members.join('|')}`);
    return value;
  }
  const types = schema.type === undefined ? undefined : ([schema.type].flat() as string[]);
  if (types !== undefined && !types.some((type) => hasType(value, type))) {
    // A union of types (zod's z.union of primitives) says no more, as zod's does; a nullable says its type's.
    const named = types.filter((type) => type !== 'null');
    issue(named.length > 1 ? 'Invalid input' : `Invalid input: expected ${expected(named[0] ?? 'null', value)}, received ${typeName(value)}`);
    return value;
  }

  if (typeof value === 'string') {
    const length = codePointLength(value);
    if (typeof schema.minLength === 'number' && length < schema.minLength) issue(`Too small: expected string to have >=${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) issue(`Too big: expected string to have <=${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) issue(`Invalid string: must match pattern /${schema.pattern}/`);
    return value;
  }
  if (typeof value === 'number') {
    // zod names its int format's own (safe integer) bounds after it, and a schema's bounds after numbers.
    const bound = (limit: number) => (types?.includes('integer') && Math.abs(limit) === Number.MAX_SAFE_INTEGER ? 'int' : 'number');
    if (typeof schema.minimum === 'number' && value < schema.minimum) issue(`Too small: expected ${bound(schema.minimum)} to be >=${schema.minimum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) issue(`Too small: expected number to be >${schema.exclusiveMinimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) issue(`Too big: expected ${bound(schema.maximum)} to be <=${schema.maximum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) issue(`Too big: expected number to be <${schema.exclusiveMaximum}`);
    return value;
  }
  if (Array.isArray(value)) {
    // As zod: a list over its maximum is refused before its items are read; otherwise items first.
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      issue(`Too big: expected array to have <=${schema.maxItems} items`);
      return value;
    }
    const items = schema.items as JsonSchema | undefined;
    const checked = items ? value.map((item, index) => check(items, item, [...path, index], options, issues)) : value;
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) issue(`Too small: expected array to have >=${schema.minItems} items`);
    return checked;
  }
  if (isObject(value) && (schema.properties !== undefined || schema.additionalProperties !== undefined)) {
    return checkObject(schema, value, path, options, issues);
  }
  return value;
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: Path, options: CheckOptions, issues: CheckIssue[]): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const result: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) {
    if (value[key] === undefined) {
      // A missing required key: the issue its schema has with `undefined`; for a schema that takes anything, zod's "nonoptional".
      if (required.has(key)) {
        const before = issues.length;
        check(property, undefined, [...path, key], options, issues);
        if (issues.length === before) issues.push({ path: [...path, key], message: 'Invalid input: expected nonoptional, received undefined' });
      }
      continue;
    }
    result[key] = check(property, value[key], [...path, key], options, issues);
  }
  const unknown = Object.keys(value).filter((key) => !Object.hasOwn(properties, key));
  if (unknown.length === 0) return result;
  if (isObject(schema.additionalProperties)) {
    for (const key of unknown) result[key] = check(schema.additionalProperties, value[key], [...path, key], options, issues);
  } else if (schema.additionalProperties === false && options.unknownKeys === 'reject') {
    issues.push({ path, message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${unknown.map((key) => `"${key}"`).join(', ')}` });
  } else if (schema.additionalProperties !== false) {
    for (const key of unknown) result[key] = value[key];
  }
  return result;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      return false;
  }
}

/** What zod says it expected of a type: an int is a `number` unless the value is a finite number. */
function expected(type: string, value: unknown): string {
  if (type !== 'integer') return type;
  return typeof value === 'number' && Number.isFinite(value) ? 'int' : 'number';
}

/** Code points: a surrogate pair counts once. */
function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length--;
      i++;
    }
  }
  return length;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The keywords in `schema` (at any depth) that checkJson neither checks nor ignores: compile.ts refuses such a schema. */
export function uncheckedKeywords(schema: JsonSchema): string[] {
  const found = new Set<string>();
  const visit = (node: JsonSchema) => {
    for (const [keyword, child] of Object.entries(node)) {
      if (!CHECKED_KEYWORDS.has(keyword) && !ANNOTATION_KEYWORDS.has(keyword)) found.add(keyword);
      if (keyword === 'properties') Object.values(child as Record<string, JsonSchema>).forEach(visit);
      else if (keyword === 'anyOf') (child as JsonSchema[]).forEach(visit);
      else if ((keyword === 'items' || keyword === 'additionalProperties') && isObject(child)) visit(child);
    }
  };
  visit(schema);
  return [...found].sort();
}
