/**
 * Checks a value against a JSON Schema, without zod: how the worker checks a stored input and a
 * model's reply. The schemas are the ones zod derives from the job types' schemas at build time
 * (compile.ts), so the worker bundles no zod (a cold start ~45 ms and ~95 KB lighter).
 *
 * Only the keywords z.toJSONSchema emits for the schemas job types use are understood
 * (CHECKED_KEYWORDS); compile.ts refuses a schema with any other, so no constraint is ignored
 * unseen. String lengths count code points, as JSON Schema's and zod's do. Messages read like zod's.
 *
 * Two options, for the two uses:
 * - `unknownKeys`: `strip` drops keys an object's `properties` do not name (a model's extra keys,
 *   as zod's non-strict objects do); `reject` is an issue for each (a stored input, from strict
 *   schemas).
 * - `trim`: trims every free-text string (a string schema without `enum` or `const`) before
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
export const ANNOTATION_KEYWORDS: ReadonlySet<string> = new Set(['description', 'title', 'default', 'examples', '$schema']);

/** `value` checked against `schema`: the value as checked (strings trimmed, unknown keys stripped), or every issue found. */
export function checkJson<T>(schema: JsonSchema, value: unknown, options: CheckOptions): Checked<T> {
  const issues: CheckIssue[] = [];
  const data = check(schema, value, [], options, issues);
  return issues.length === 0 ? { success: true, data: data as T } : { success: false, issues };
}

type Path = readonly (string | number)[];

function check(schema: JsonSchema, value: unknown, path: Path, options: CheckOptions, issues: CheckIssue[]): unknown {
  const issue = (message: string) => issues.push({ path, message });
  if (options.trim && typeof value === 'string' && schema.enum === undefined && !('const' in schema) && schema.anyOf === undefined) value = value.trim();

  if (Array.isArray(schema.anyOf)) {
    for (const option of schema.anyOf as JsonSchema[]) {
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
    issue(`Invalid option: expected one of ${schema.enum.map((option) => JSON.stringify(option)).join('|')}`);
    return value;
  }
  if (schema.type !== undefined && !hasType(value, schema.type as string | string[])) {
    issue(`Invalid input: expected ${[schema.type].flat().join(' or ')}, received ${typeName(value)}`);
    return value;
  }

  if (typeof value === 'string') {
    const length = codePointLength(value);
    if (typeof schema.minLength === 'number' && length < schema.minLength) issue(`Too small: expected string to have >=${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) issue(`Too big: expected string to have <=${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) issue(`Invalid string: must match pattern /${schema.pattern}/`);
    return value;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) issue(`Too small: expected number to be >=${schema.minimum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) issue(`Too small: expected number to be >${schema.exclusiveMinimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) issue(`Too big: expected number to be <=${schema.maximum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) issue(`Too big: expected number to be <${schema.exclusiveMaximum}`);
    return value;
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) issue(`Too small: expected array to have >=${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) issue(`Too big: expected array to have <=${schema.maxItems} items`);
    const items = schema.items as JsonSchema | undefined;
    return items ? value.map((item, index) => check(items, item, [...path, index], options, issues)) : value;
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
      // A missing required key: the issue its schema has with `undefined`.
      if (required.has(key)) check(property, undefined, [...path, key], options, issues);
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

function hasType(value: unknown, type: string | readonly string[]): boolean {
  return [type].flat().some((name) => {
    switch (name) {
      case 'string':
        return typeof value === 'string';
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'integer':
        return Number.isSafeInteger(value);
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
  });
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
