import { describe, expect, it } from 'vitest';
import {
  PRICES,
  attributeValueSize,
  dollarsPerMillion,
  indexEntry,
  itemSize,
  queryReadUnits,
  readUnits,
  toItem,
  writeUnits,
  type IndexShape,
  type Item,
  type TableShape,
} from '../../../bench/support/dynamodb-billing.ts';

/** An item of exactly `bytes` bytes: the name `id` (2 bytes) plus a string of `bytes - 2`. */
function itemOfSize(bytes: number, extra: Item = {}): Item {
  const extraSize = itemSize(extra);
  return { id: { S: 'x'.repeat(bytes - 2 - extraSize) }, ...extra };
}

describe('attributeValueSize', () => {
  it('counts strings in UTF-8 bytes, not characters', () => {
    expect(attributeValueSize({ S: '' })).toBe(0);
    expect(attributeValueSize({ S: 'hello' })).toBe(5);
    expect(attributeValueSize({ S: 'héllo' })).toBe(6); // é is 2 bytes
    expect(attributeValueSize({ S: '日本' })).toBe(6); // 3 bytes each
    expect(attributeValueSize({ S: '😀' })).toBe(4); // one code point, two UTF-16 units, 4 bytes
  });

  it('counts numbers as 1 byte per two significant digits plus 1, zeroes trimmed', () => {
    expect(attributeValueSize({ N: '0' })).toBe(1);
    expect(attributeValueSize({ N: '1' })).toBe(2);
    expect(attributeValueSize({ N: '12' })).toBe(2);
    expect(attributeValueSize({ N: '123' })).toBe(3);
    expect(attributeValueSize({ N: '12345' })).toBe(4);
    expect(attributeValueSize({ N: '1.5' })).toBe(2);
    expect(attributeValueSize({ N: '-100' })).toBe(2); // trailing zeroes trimmed: one digit
    expect(attributeValueSize({ N: '123456789012345678' })).toBe(10);
    expect(attributeValueSize({ N: '0.015' })).toBe(2); // leading zeroes trimmed
    expect(attributeValueSize({ N: '100.5' })).toBe(3); // inner zeroes count: 1005
    expect(attributeValueSize({ N: '1E+30' })).toBe(2);
    expect(attributeValueSize({ N: '-0' })).toBe(1);
  });

  it('rejects text that is not a number', () => {
    expect(() => attributeValueSize({ N: 'abc' })).toThrow(/Not a DynamoDB number/);
    expect(() => attributeValueSize({ N: '' })).toThrow(/Not a DynamoDB number/);
  });

  it('counts binary by raw bytes, booleans and nulls as 1 byte', () => {
    expect(attributeValueSize({ B: new Uint8Array([1, 2, 3, 4, 5]) })).toBe(5);
    expect(attributeValueSize({ BOOL: true })).toBe(1);
    expect(attributeValueSize({ BOOL: false })).toBe(1);
    expect(attributeValueSize({ NULL: true })).toBe(1);
  });

  it('counts lists as 3 bytes plus 1 per element plus the elements', () => {
    expect(attributeValueSize({ L: [] })).toBe(3);
    expect(attributeValueSize({ L: [{ S: 'ab' }, { N: '1' }] })).toBe(3 + (1 + 2) + (1 + 2));
    expect(attributeValueSize({ L: [{ L: [] }] })).toBe(3 + 1 + 3);
  });

  it('counts maps as 3 bytes plus, per entry, 1 byte, the key and the value', () => {
    expect(attributeValueSize({ M: {} })).toBe(3);
    expect(attributeValueSize({ M: { a: { S: 'xyz' } } })).toBe(3 + 1 + 1 + 3);
    expect(attributeValueSize({ M: { é: { NULL: true } } })).toBe(3 + 1 + 2 + 1);
    // inner map: 3 + 1 + 'in' 2 + BOOL 1 = 7; outer: 3 + 1 + 'outer' 5 + 7 = 16
    expect(attributeValueSize({ M: { outer: { M: { in: { BOOL: true } } } } })).toBe(16);
  });

  it('counts sets like lists (not documented by AWS)', () => {
    expect(attributeValueSize({ SS: ['a', 'bc'] })).toBe(3 + (1 + 1) + (1 + 2));
    expect(attributeValueSize({ NS: ['1', '12345'] })).toBe(3 + (1 + 2) + (1 + 4));
    expect(attributeValueSize({ BS: [new Uint8Array(4)] })).toBe(3 + 1 + 4);
  });
});

describe('itemSize and toItem', () => {
  it('adds the UTF-8 length of every attribute name to the value sizes', () => {
    expect(itemSize({})).toBe(0);
    expect(itemSize({ id: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ é: { S: 'a' } })).toBe(2 + 1);
  });

  it('sizes a whole marshalled item, dropping undefined values', () => {
    const item = toItem({
      id: 'job-1', //        2 + 5 = 7
      status: 'PENDING', //  6 + 7 = 13
      attempts: 3, //        8 + 2 = 10
      done: false, //        4 + 1 = 5
      note: null, //         4 + 1 = 5
      tags: ['x'], //        4 + (3 + 1 + 1) = 9
      meta: { k: 'v' }, //   4 + (3 + 1 + 1 + 1) = 10
      skipped: undefined,
    });
    expect(item.attempts).toEqual({ N: '3' });
    expect(item).not.toHaveProperty('skipped');
    expect(itemSize(item)).toBe(59);
  });
});

const plainTable: TableShape = { partitionKey: 'id', indexes: [] };

describe('writeUnits on the table', () => {
  it('charges 1 unit per started KB of a new item, at least 1', () => {
    expect(itemSize(itemOfSize(1024))).toBe(1024);
    expect(writeUnits(undefined, itemOfSize(3), plainTable)).toEqual({ table: 1, indexes: {}, total: 1 });
    expect(writeUnits(undefined, itemOfSize(1024), plainTable).table).toBe(1);
    expect(writeUnits(undefined, itemOfSize(1025), plainTable).table).toBe(2);
    expect(writeUnits(undefined, itemOfSize(2048), plainTable).table).toBe(2);
    expect(writeUnits(undefined, itemOfSize(2049), plainTable).table).toBe(3);
  });

  it('sizes an update or replacement by the larger of before and after', () => {
    expect(writeUnits(itemOfSize(1025), itemOfSize(500), plainTable).table).toBe(2);
    expect(writeUnits(itemOfSize(500), itemOfSize(1025), plainTable).table).toBe(2);
    expect(writeUnits(itemOfSize(1024), itemOfSize(1000), plainTable).table).toBe(1);
  });

  it('sizes a delete by the deleted item, and a delete of nothing at 1', () => {
    expect(writeUnits(itemOfSize(3000), undefined, plainTable).table).toBe(3);
    expect(writeUnits(undefined, undefined, plainTable)).toEqual({ table: 1, indexes: {}, total: 1 });
  });
});

const byOwner: IndexShape = { name: 'byOwner', partitionKey: 'ownerId', sortKey: 'createdAt', projection: 'ALL' };
const byDue: IndexShape = {
  name: 'byDue',
  partitionKey: 'activeShard',
  sortKey: 'dueAt',
  projection: { include: ['status'] },
};
const byKind: IndexShape = { name: 'byKind', partitionKey: 'kind', projection: 'KEYS_ONLY' };
const jobs: TableShape = { partitionKey: 'id', indexes: [byOwner, byDue, byKind] };

const pending = toItem({
  id: 'job-1',
  ownerId: 'user-1',
  createdAt: '2026-03-04T12:00:00.000Z',
  kind: 'report',
  status: 'PENDING',
  activeShard: 'shard-3',
  dueAt: '2026-03-04T12:05:00.000Z',
  result: null,
});

describe('indexEntry', () => {
  it('projects index keys, table keys and the projected attributes', () => {
    expect(indexEntry(pending, jobs, byOwner)).toEqual(pending);
    expect(indexEntry(pending, jobs, byKind)).toEqual({ kind: { S: 'report' }, id: { S: 'job-1' } });
    expect(indexEntry(pending, jobs, byDue)).toEqual({
      activeShard: { S: 'shard-3' },
      dueAt: { S: '2026-03-04T12:05:00.000Z' },
      id: { S: 'job-1' },
      status: { S: 'PENDING' },
    });
  });

  it('includes the table sort key and skips included attributes the item lacks', () => {
    const table: TableShape = { partitionKey: 'pk', sortKey: 'sk', indexes: [] };
    const index: IndexShape = { name: 'g', partitionKey: 'gpk', projection: { include: ['a', 'missing'] } };
    const item = toItem({ pk: 'p', sk: 's', gpk: 'g', a: 1, b: 2 });
    expect(indexEntry(item, table, index)).toEqual({ gpk: { S: 'g' }, pk: { S: 'p' }, sk: { S: 's' }, a: { N: '1' } });
  });

  it('has no entry for a missing item or one lacking an index key (sparse index)', () => {
    const { activeShard: _shard, ...inactive } = pending;
    const { dueAt: _due, ...undated } = pending;
    expect(indexEntry(undefined, jobs, byDue)).toBeUndefined();
    expect(indexEntry(inactive, jobs, byDue)).toBeUndefined();
    expect(indexEntry(undated, jobs, byDue)).toBeUndefined();
    expect(indexEntry(inactive, jobs, byOwner)).toBeDefined();
  });
});

describe('writeUnits on global secondary indexes', () => {
  const { activeShard: _shard, dueAt: _due, ...finished } = { ...pending, status: { S: 'SUCCEEDED' } } as Item;

  it('puts a new item into every index it has keys for (a new sparse entry costs 1)', () => {
    expect(writeUnits(undefined, pending, jobs)).toEqual({
      table: 1,
      indexes: { byOwner: 1, byDue: 1, byKind: 1 },
      total: 4,
    });
    const { activeShard: _s, ...notDue } = pending;
    expect(writeUnits(undefined, notDue, jobs).indexes).toEqual({ byOwner: 1, byDue: 0, byKind: 1 });
  });

  it('costs 1 when an update defines a previously missing index key', () => {
    const { activeShard: _s, ...notDue } = pending;
    expect(writeUnits(notDue, pending, jobs).indexes.byDue).toBe(1);
  });

  it('costs 2 (delete + put) when an index key value changes', () => {
    const later = { ...pending, dueAt: { S: '2026-03-04T12:10:00.000Z' } };
    expect(writeUnits(pending, later, jobs).indexes).toEqual({ byOwner: 1, byDue: 2, byKind: 0 });
    const moved = { ...pending, kind: { S: 'summary' } };
    expect(writeUnits(pending, moved, jobs).indexes).toEqual({ byOwner: 1, byDue: 0, byKind: 2 }); // kind is not projected into byDue
  });

  it('costs 1 when only projected non-key attributes change', () => {
    const processing = { ...pending, status: { S: 'PROCESSING' } };
    expect(writeUnits(pending, processing, jobs)).toEqual({
      table: 1,
      indexes: { byOwner: 1, byDue: 1, byKind: 0 },
      total: 3,
    });
  });

  it('costs nothing in KEYS_ONLY and INCLUDE indexes for an unprojected change, 1 in ALL', () => {
    const withResult = { ...pending, result: { S: 'a report' } };
    expect(writeUnits(pending, withResult, jobs).indexes).toEqual({ byOwner: 1, byDue: 0, byKind: 0 });
  });

  it('costs 1 to remove an entry when its key attribute goes away, or the item is deleted', () => {
    expect(writeUnits(pending, finished, jobs).indexes).toEqual({ byOwner: 1, byDue: 1, byKind: 0 });
    expect(writeUnits(pending, undefined, jobs)).toEqual({
      table: 1,
      indexes: { byOwner: 1, byDue: 1, byKind: 1 },
      total: 4,
    });
  });

  it('costs nothing in an index the item is in neither before nor after', () => {
    const expired = { ...finished, expiresAt: { N: '1772700000' } };
    expect(writeUnits(finished, expired, jobs).indexes.byDue).toBe(0);
    expect(writeUnits(finished, undefined, jobs).indexes.byDue).toBe(0);
  });

  it('costs nothing when the values are rewritten unchanged (numbers by value, sets unordered)', () => {
    const before: Item = { ...pending, n: { N: '1.50' }, tags: { SS: ['a', 'b'] }, m: { M: { x: { N: '1' }, y: { S: 'z' } } } };
    const after: Item = { ...pending, n: { N: '1.5' }, tags: { SS: ['b', 'a'] }, m: { M: { y: { S: 'z' }, x: { N: '01' } } } };
    expect(writeUnits(before, after, jobs).indexes).toEqual({ byOwner: 0, byDue: 0, byKind: 0 });
    const changed: Item = { ...after, tags: { SS: ['a', 'c'] } };
    expect(writeUnits(before, changed, jobs).indexes.byOwner).toBe(1);
  });

  it('sizes index writes by the index entry, 1 unit per KB', () => {
    expect(itemSize(pending)).toBe(130);
    const big: Item = { ...pending, payload: { S: 'y'.repeat(3400) } };
    expect(itemSize(big)).toBe(130 + 7 + 3400);
    const units = writeUnits(undefined, big, jobs);
    // ALL copies the whole item (4 KB); the other two entries are small.
    expect(units).toEqual({ table: 4, indexes: { byOwner: 4, byDue: 1, byKind: 1 }, total: 10 });
    // A key change deletes the old entry and puts the new one, each sized by its entry.
    const rekeyed = { ...big, createdAt: { S: '2026-03-05T00:00:00.000Z' } };
    expect(writeUnits(big, rekeyed, jobs).indexes.byOwner).toBe(8);
  });
});

describe('readUnits', () => {
  it('rounds a GetItem up to 4 KB, strongly consistent', () => {
    expect(readUnits(1, true)).toBe(1);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(10 * 1024, true)).toBe(3);
  });

  it('halves eventually consistent reads', () => {
    expect(readUnits(4096, false)).toBe(0.5);
    expect(readUnits(4097, false)).toBe(1);
    expect(readUnits(10 * 1024, false)).toBe(1.5);
  });

  it('charges the minimum for a missing item', () => {
    expect(readUnits(0, true)).toBe(1);
    expect(readUnits(0, false)).toBe(0.5);
  });
});

describe('queryReadUnits', () => {
  it('rounds the sum of a page once, not each item', () => {
    const page = [itemOfSize(1500), itemOfSize(1500), itemOfSize(1500)];
    expect(queryReadUnits(page, true)).toBe(2); // 4,500 bytes
    expect(page.reduce((sum, item) => sum + readUnits(itemSize(item), true), 0)).toBe(3); // as BatchGetItem
    expect(queryReadUnits(page, false)).toBe(1);
  });

  it('matches the AWS example: 8 index entries of 2,000 bytes, eventually consistent, cost 2', () => {
    expect(queryReadUnits(Array.from({ length: 8 }, () => itemOfSize(2000)), false)).toBe(2);
  });

  it('charges the minimum for an empty page', () => {
    expect(queryReadUnits([], false)).toBe(0.5);
    expect(queryReadUnits([], true)).toBe(1);
  });

  it('reads index entries, which are smaller than the items', () => {
    const entries = [pending, pending].map((item) => indexEntry(item, jobs, byKind)).filter((e): e is Item => e !== undefined);
    expect(entries).toHaveLength(2);
    expect(itemSize(entries[0]!)).toBe(4 + 6 + 2 + 5);
    expect(queryReadUnits(entries, false)).toBe(0.5);
  });
});

describe('prices', () => {
  it('uses the us-east-1 on-demand prices per unit', () => {
    expect(PRICES.writeRequestUnit).toBe(0.625e-6);
    expect(PRICES.readRequestUnit).toBe(0.125e-6);
  });

  it('prices a million of something by its units', () => {
    expect(dollarsPerMillion(1, 0)).toBeCloseTo(0.625, 12);
    expect(dollarsPerMillion(0, 1)).toBeCloseTo(0.125, 12);
    expect(dollarsPerMillion(5, 2.5)).toBeCloseTo(3.4375, 12);
    expect(dollarsPerMillion(0, 0)).toBe(0);
  });
});
