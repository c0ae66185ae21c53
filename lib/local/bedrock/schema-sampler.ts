/**
 * Values from a JSON Schema, for the Bedrock stand-in's tool calls: deterministic, valid against
 * the schema, strings quoting the request's text (see `sampleJsonSchema`).
 *
 * Written here rather than taken from json-schema-faker (0.6.3, tried): its values are random
 * text rather than the labelled quotes the stand-in documents, and of zod 4's output it gets wrong
 * datetimes with offset and precision, JWTs, startsWith/endsWith/includes (allOf patterns) and
 * draft-07 tuples.
 */
import { composeLiterals, compilePattern, regexSamples } from './regex-sampler.ts';
import { isObject, setOwn, sha256, truncate, words } from './util.ts';

export interface SampleSource {
  /** The text that generated strings quote (the documents' text, then the prompt). */
  readonly text: string;
  /** Seed of the deterministic choices (enum members, numbers, booleans, ids). */
  readonly seed: string;
}

type JsonSchema = Record<string, unknown>;

/** Below this depth, optional properties are filled and arrays get two items; deeper, the minimum. */
const FULL_DEPTH = 4;
const MAX_SAMPLE_DEPTH = 40;
const ARRAY_ITEMS = 2;
const QUOTED_WORDS = 6;
const MAX_REPEAT = 10_000;
/** Patterns beyond `pattern` that a merged schema must match (from allOf members). */
const MORE_PATTERNS = '\u0000patterns';

interface SampleContext {
  readonly root: unknown;
  readonly words: readonly string[];
  readonly seed: string;
  /** Strings generated so far: each quotes the next words of the source. */
  strings: number;
}

/**
 * A deterministic value valid against `schema` (JSON Schema 2020-12 / draft-07, as zod 4's
 * `z.toJSONSchema()` writes it): same schema and source, same value. Supported: `type` (one or a
 * list; `null` only when alone), `const`, `enum` (a member picked by a hash of the seed and the
 * path), `$ref` to `#` and to `#/$defs/...` / `#/definitions/...` (any local JSON pointer),
 * `allOf` (merged), `anyOf` / `oneOf` (the first branch); objects: `properties`, `required`,
 * `additionalProperties`, `propertyNames` (records, `enum` keys), `minProperties`; arrays: `items`,
 * `prefixItems` (and draft-07 tuple `items`), `minItems`, `maxItems`, `uniqueItems`; strings:
 * `minLength`, `maxLength`, `pattern` (a small regex-driven generator), `format` (date-time, date,
 * time, duration, email, uri, hostname, ipv4/6, uuid, base64, jwt, emoji, ...); numbers and
 * integers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`; booleans.
 * Plain strings read `[stand-in] <path>: <words of the source>`. Recursive schemas stop at the
 * minimum (no optional properties, `minItems` items) past depth 4. Not supported (ignored): `not`,
 * `if`/`then`/`else`, `dependent*`, `contains`, `patternProperties`, remote `$ref`.
 */
export function sampleJsonSchema(schema: unknown, source: SampleSource): unknown {
  const context: SampleContext = { root: schema, words: words(source.text), seed: source.seed, strings: 0 };
  return sample(schema, context, '', 0);
}

function sample(schema: unknown, context: SampleContext, path: string, depth: number): unknown {
  if (depth > MAX_SAMPLE_DEPTH) return null;
  const resolved = resolveSchema(schema, context.root, 0);
  if ('const' in resolved) return resolved.const;
  if (Array.isArray(resolved.enum) && resolved.enum.length > 0) {
    return resolved.enum[hashNumber(context.seed, path) % resolved.enum.length];
  }
  const branches = Array.isArray(resolved.anyOf) ? resolved.anyOf : Array.isArray(resolved.oneOf) ? resolved.oneOf : undefined;
  if (branches !== undefined && branches.length > 0) {
    const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = resolved;
    return sample(mergeSchemas(rest, resolveSchema(branches[0], context.root, 0)), context, path, depth);
  }
  switch (schemaType(resolved)) {
    case 'object':
      return sampleObject(resolved, context, path, depth);
    case 'array':
      return sampleArray(resolved, context, path, depth);
    case 'integer':
      return sampleNumber(resolved, true, hashNumber(context.seed, path));
    case 'number':
      return sampleNumber(resolved, false, hashNumber(context.seed, path));
    case 'boolean':
      return hashNumber(context.seed, path) % 2 === 0;
    case 'null':
      return null;
    default:
      return sampleString(resolved, context, path, []);
  }
}

/** The schema with `$ref`s followed (siblings kept) and `allOf` merged; `true` and junk → `{}`. */
function resolveSchema(schema: unknown, root: unknown, hops: number): JsonSchema {
  if (!isObject(schema) || hops > 32) return {};
  let resolved: JsonSchema = schema;
  if (typeof schema.$ref === 'string') {
    const { $ref, ...siblings } = schema;
    resolved = mergeSchemas(resolveSchema(jsonPointer(root, $ref), root, hops + 1), siblings);
  }
  if (Array.isArray(resolved.allOf)) {
    const { allOf, ...rest } = resolved;
    resolved = allOf.reduce<JsonSchema>((merged, member) => mergeSchemas(merged, resolveSchema(member, root, hops + 1)), rest);
  }
  return resolved;
}

function jsonPointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined; // remote or anchor references: not followed
  let node: unknown = root;
  for (const segment of ref.slice(2).split('/')) {
    const key = decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? (Object.hasOwn(node, key) ? node[key] : undefined) : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return node;
}

/** Both schemas at once (allOf): properties and required united, bounds tightened, patterns kept. */
function mergeSchemas(a: JsonSchema, b: JsonSchema): JsonSchema {
  const merged: JsonSchema = { ...a, ...b };
  if (isObject(a.properties) && isObject(b.properties)) {
    const properties: JsonSchema = { ...a.properties };
    for (const [name, schema] of Object.entries(b.properties)) {
      setOwn(properties, name, Object.hasOwn(properties, name) ? { allOf: [properties[name], schema] } : schema);
    }
    merged.properties = properties;
  }
  if (Array.isArray(a.required) && Array.isArray(b.required)) merged.required = [...new Set([...a.required, ...b.required])];
  for (const key of ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const) {
    if (typeof a[key] === 'number' && typeof b[key] === 'number') merged[key] = Math.max(a[key], b[key]);
  }
  for (const key of ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const) {
    if (typeof a[key] === 'number' && typeof b[key] === 'number') merged[key] = Math.min(a[key], b[key]);
  }
  if (a.additionalProperties === false || b.additionalProperties === false) merged.additionalProperties = false;
  const patterns = [a.pattern, b.pattern, a[MORE_PATTERNS], b[MORE_PATTERNS]].flat().filter((p): p is string => typeof p === 'string');
  if (patterns.length > 0) {
    merged.pattern = patterns[0];
    merged[MORE_PATTERNS] = [...new Set(patterns.slice(1))];
  }
  return merged;
}

function schemaType(schema: JsonSchema): string {
  const { type } = schema;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const named = type.filter((t): t is string => typeof t === 'string');
    return named.find((t) => t !== 'null') ?? named[0] ?? 'string';
  }
  if ('properties' in schema || 'required' in schema || 'additionalProperties' in schema || 'propertyNames' in schema) return 'object';
  if ('items' in schema || 'prefixItems' in schema || 'minItems' in schema || 'maxItems' in schema) return 'array';
  if ('minimum' in schema || 'maximum' in schema || 'exclusiveMinimum' in schema || 'exclusiveMaximum' in schema || 'multipleOf' in schema) {
    return 'number';
  }
  return 'string';
}

function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function sampleObject(schema: JsonSchema, context: SampleContext, path: string, depth: number): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  const additional = schema.additionalProperties;
  const extraSchema: unknown = additional === false ? undefined : isObject(additional) ? additional : {};
  const value: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property === false || (!required.has(name) && depth >= FULL_DEPTH)) continue;
    setOwn(value, name, sample(property, context, childPath(path, name), depth + 1));
  }
  for (const name of required) {
    if (!Object.hasOwn(value, name)) setOwn(value, name, sample(extraSchema ?? {}, context, childPath(path, name), depth + 1));
  }
  if (extraSchema !== undefined) {
    const keys: string[] = [];
    const names = isObject(schema.propertyNames) ? resolveSchema(schema.propertyNames, context.root, 0) : {};
    if (Object.keys(properties).length === 0 && Array.isArray(names.enum)) {
      keys.push(...names.enum.filter((key): key is string => typeof key === 'string'));
    } else if (Object.keys(properties).length === 0 && isObject(additional) && depth < FULL_DEPTH) {
      keys.push(sampleString(names, context, childPath(path, '(key)'), ['item']));
    }
    const minProperties = count(schema.minProperties) ?? 0;
    for (let n = 1; Object.keys(value).length + keys.length < minProperties && n < MAX_REPEAT; n += 1) {
      const key = sampleString(names, context, childPath(path, `(key ${n})`), [`item${n}`]);
      if (!Object.hasOwn(value, key) && !keys.includes(key)) keys.push(key);
    }
    for (const key of keys) if (!Object.hasOwn(value, key)) setOwn(value, key, sample(extraSchema, context, childPath(path, key), depth + 1));
  }
  return value;
}

function sampleArray(schema: JsonSchema, context: SampleContext, path: string, depth: number): unknown[] {
  let tuple: readonly unknown[] = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
  let rest: unknown = schema.items;
  if (Array.isArray(schema.items)) {
    tuple = schema.items; // draft-07 tuple
    rest = schema.additionalItems;
  }
  const minItems = count(schema.minItems) ?? 0;
  const maxItems = count(schema.maxItems) ?? Number.POSITIVE_INFINITY;
  let length = depth < FULL_DEPTH ? Math.max(minItems, ARRAY_ITEMS, tuple.length) : Math.max(minItems, Math.min(tuple.length, 1));
  if (rest === false) length = Math.min(length, tuple.length);
  length = Math.min(length, maxItems, MAX_REPEAT);
  const items: unknown[] = [];
  for (let index = 0; index < length; index += 1) {
    items.push(sample(index < tuple.length ? tuple[index] : (rest ?? {}), context, `${path}[${index}]`, depth + 1));
  }
  if (schema.uniqueItems === true) {
    const unique = [...new Map(items.map((item) => [JSON.stringify(item), item])).values()];
    if (unique.length >= minItems) return unique;
  }
  return items;
}

function sampleNumber(schema: JsonSchema, integer: boolean, hash: number): number {
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  let lowExclusive = false;
  let highExclusive = false;
  if (typeof schema.minimum === 'number') low = schema.minimum;
  if (typeof schema.exclusiveMinimum === 'number' && schema.exclusiveMinimum >= low) {
    low = schema.exclusiveMinimum;
    lowExclusive = true;
  } else if (schema.exclusiveMinimum === true) lowExclusive = true; // draft-04
  if (typeof schema.maximum === 'number') high = schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && schema.exclusiveMaximum <= high) {
    high = schema.exclusiveMaximum;
    highExclusive = true;
  } else if (schema.exclusiveMaximum === true) highExclusive = true;
  const multipleOf = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
  const step = multipleOf ?? (integer ? 1 : undefined);
  const decimals = step === undefined ? 0 : (String(step).split('.')[1]?.length ?? 0);
  const tidy = (x: number): number => (decimals > 0 ? Number(x.toFixed(decimals)) : x);
  const valid = (x: number): boolean =>
    Number.isFinite(x) &&
    (lowExclusive ? x > low : x >= low) &&
    (highExclusive ? x < high : x <= high) &&
    (!integer || Number.isInteger(x)) &&
    (multipleOf === undefined || Math.abs(x / multipleOf - Math.round(x / multipleOf)) < 1e-9);
  const up = (x: number): number => (step === undefined ? x : tidy(Math.ceil(x / step) * step));
  const down = (x: number): number => (step === undefined ? x : tidy(Math.floor(x / step) * step));

  const candidates: number[] = [up(1 + (hash % 100))];
  if (Number.isFinite(low)) {
    const first = up(low);
    candidates.push(first, step === undefined ? low + 1 : tidy(first + step));
    if (Number.isFinite(high)) candidates.push(up(low + (high - low) / 2), (low + high) / 2);
  }
  if (Number.isFinite(high)) {
    const last = down(high);
    candidates.push(last, step === undefined ? high - 1 : tidy(last - step));
  }
  candidates.push(0);
  return candidates.find(valid) ?? candidates[0] ?? 0;
}

function codePoints(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

/** The next `QUOTED_WORDS` words of the source (wrapping round): each string quotes further on. */
function quote(context: SampleContext): string {
  const all = context.words;
  if (all.length === 0) return '(no text)';
  const start = (context.strings * QUOTED_WORDS) % all.length;
  context.strings += 1;
  const quoted: string[] = [];
  for (let offset = 0; offset < Math.min(QUOTED_WORDS, all.length); offset += 1) quoted.push(all[(start + offset) % all.length] ?? '');
  return quoted.join(' ');
}

/** `text` lengthened with more quoted words (code points ≥ min) and cut to `max` UTF-16 units. */
function fitLength(text: string, min: number, max: number, context: SampleContext): string {
  let fitted = text;
  while (codePoints(fitted) < min) fitted += ` ${quote(context)}`;
  return truncate(fitted, max);
}

function sampleString(schema: JsonSchema, context: SampleContext, path: string, preferred: readonly string[]): string {
  const minLength = count(schema.minLength) ?? 0;
  const maxLength = count(schema.maxLength) ?? Number.POSITIVE_INFINITY;
  const more = Array.isArray(schema[MORE_PATTERNS]) ? (schema[MORE_PATTERNS] as unknown[]) : [];
  const patterns = [schema.pattern, ...more].filter((p): p is string => typeof p === 'string');
  const regexes = patterns.map(compilePattern).filter((r): r is RegExp => r !== undefined);
  const fits = (candidate: string): boolean =>
    codePoints(candidate) >= minLength && candidate.length <= maxLength && regexes.every((regex) => regex.test(candidate));

  const hash = sha256(`${context.seed}\u0000${path}`);
  const label = fitLength(`[stand-in] ${path === '' ? 'value' : path}: ${quote(context)}`, minLength, maxLength, context);
  const lazy: Array<() => Iterable<string>> = [
    () => preferred,
    () => formatValues(schema.format, hash),
    () => [label, label.toLowerCase(), label.toUpperCase()],
    () => [composeLiterals(patterns, label, maxLength)].filter((c): c is string => c !== undefined),
    function* () {
      for (const pattern of patterns) yield* regexSamples(pattern);
    },
  ];
  for (const candidates of lazy) {
    for (const candidate of candidates()) if (fits(candidate)) return candidate;
  }
  return label; // best effort: the schema asks for more than the generator knows
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** Values of the formats JSON Schema and zod 4 name, valid for each (uuid and hex: see `formatValues`). */
const FORMAT_VALUES: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries({
    'date-time': ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00'],
    date: ['2024-01-01'],
    time: ['12:00:00Z', '12:00:00', '12:00'],
    duration: ['PT1H'],
    email: ['stand-in@example.com'],
    'idn-email': ['stand-in@example.com'],
    uri: ['https://example.com/stand-in'],
    iri: ['https://example.com/stand-in'],
    url: ['https://example.com/stand-in'],
    'uri-reference': ['https://example.com/stand-in'],
    'iri-reference': ['https://example.com/stand-in'],
    'uri-template': ['https://example.com/{id}'],
    hostname: ['stand-in.example.com'],
    'idn-hostname': ['stand-in.example.com'],
    ipv4: ['192.0.2.1'],
    ipv6: ['2001:db8::1'],
    cidrv4: ['192.0.2.0/24'],
    cidrv6: ['2001:db8::/32'],
    mac: ['00:00:5e:00:53:01'],
    'json-pointer': ['/stand-in'],
    'relative-json-pointer': ['0'],
    regex: ['^stand-in$'],
    base64: [Buffer.from('stand-in').toString('base64')],
    base64url: [base64url('stand-in')],
    emoji: ['\u{1F642}'],
    e164: ['+14155550100'],
    jwt: [[JSON.stringify({ alg: 'HS256', typ: 'JWT' }), JSON.stringify({ sub: 'stand-in' }), 'stand-in'].map(base64url).join('.')],
  }),
);

/** Candidate values of a `format`: fixed ones, or (uuid, hex) drawn from the hash of the path. */
function formatValues(format: unknown, hash: string): readonly string[] {
  if (format === 'uuid' || format === 'guid') {
    const variant = '89ab'.charAt(Number.parseInt(hash.charAt(16), 16) % 4);
    return [`${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-${variant}${hash.slice(17, 20)}-${hash.slice(20, 32)}`];
  }
  if (format === 'hex') return [hash.slice(0, 16)];
  return (typeof format === 'string' ? FORMAT_VALUES.get(format) : undefined) ?? [];
}

function hashNumber(seed: string, path: string): number {
  return Number.parseInt(sha256(`${seed}\u0000${path}`).slice(0, 8), 16);
}
