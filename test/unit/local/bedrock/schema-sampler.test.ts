import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sampleJsonSchema } from '../../../../lib/local/bedrock-stand-in.ts';

describe('sampleJsonSchema', () => {
  const source = { text: 'The quarterly incident report covers three outages', seed: 'seed-1' };

  const Node: z.ZodType<{ name: string; children: unknown[] }> = z.object({
    name: z.string(),
    get children() {
      return z.array(Node).max(2);
    },
  });
  const Shared = z.object({ label: z.string().min(3).max(12) }).meta({ id: 'Shared' });
  const Wide = z.object({
    heading: z.string().min(30).max(40),
    short: z.string().length(5),
    count: z.number().int().min(1).max(5),
    ratio: z.number().gt(3).lt(4),
    cents: z.number().multipleOf(0.01).min(0.5).max(0.6),
    weeks: z.int().multipleOf(7).min(100),
    negative: z.number().lt(-5),
    tags: z.array(z.string()).min(3).max(4),
    pair: z.tuple([z.string(), z.number()]),
    optional: z.string().optional(),
    nullable: z.string().nullable(),
    literal: z.literal('fixed'),
    union: z.union([z.number(), z.string()]),
    kind: z.discriminatedUnion('type', [z.object({ type: z.literal('a'), a: z.string() }), z.object({ type: z.literal('b') })]),
    record: z.record(z.string(), z.number()),
    keyed: z.record(z.enum(['x', 'y']), z.boolean()),
    flags: z.array(z.enum(['p', 'q', 'r'])),
    email: z.email(),
    url: z.url(),
    uuid: z.uuid(),
    when: z.iso.datetime(),
    whenPrecise: z.iso.datetime({ offset: true, precision: 3 }),
    day: z.iso.date(),
    time: z.iso.time(),
    ulid: z.ulid(),
    nanoid: z.nanoid(),
    ipv6: z.ipv6(),
    jwt: z.jwt(),
    code: z.string().regex(/^[A-Z]{3}-\d{4}$/),
    affixed: z.string().startsWith('AB').endsWith('Z').includes('mid'),
    lower: z.string().lowercase(),
    tree: Node,
    shared: Shared,
    shareds: z.array(Shared),
  });

  it.each([
    ['draft 2020-12', {}],
    ['draft 2020-12, reused parts as $ref', { reused: 'ref' as const }],
    ['draft-07 ($ref to definitions)', { target: 'draft-7' as const }],
  ])('produces values a wide zod schema accepts: %s', (_name, options) => {
    const schema = z.toJSONSchema(Wide, options);
    expect(JSON.stringify(schema)).toContain('"$ref"');

    const value = sampleJsonSchema(schema, source);

    const parsed = Wide.safeParse(value);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(sampleJsonSchema(schema, source)).toStrictEqual(value);
  });

  it('fills fields named like Object.prototype members (a job type may name its fields anything)', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    // fromEntries: `__proto__` as an own key, as JSON.parse would give it.
    const Fields = z.strictObject(Object.fromEntries(names.map((name) => [name, z.string()])));
    const schema = z.toJSONSchema(Fields);
    expect(Object.keys(schema.properties as object)).toEqual(names);
    const value = sampleJsonSchema(schema, source) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(names);
    for (const name of names) expect(value[name], name).toMatch(/^\[stand-in\] /);
    expect(Fields.safeParse(JSON.parse(JSON.stringify(value))).success).toBe(true);
  });

  it('fills strings with a labelled quote of the source, and picks enum members by hash', () => {
    const schema = z.toJSONSchema(z.object({ a: z.string(), b: z.array(z.string()), level: z.enum(['l1', 'l2', 'l3', 'l4', 'l5', 'l6']) }));
    const levels = new Set<unknown>();
    for (let seed = 0; seed < 20; seed += 1) levels.add((sampleJsonSchema(schema, { ...source, seed: String(seed) }) as { level: string }).level);

    expect(sampleJsonSchema(schema, source)).toMatchObject({
      a: '[stand-in] a: The quarterly incident report covers three',
      b: ['[stand-in] b[0]: outages The quarterly incident report covers', '[stand-in] b[1]: three outages The quarterly incident report'],
    });
    expect(levels.size).toBeGreaterThan(1);
  });
});
