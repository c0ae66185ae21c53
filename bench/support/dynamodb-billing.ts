/**
 * What DynamoDB bills for reads and writes, computed from the items themselves, for the benchmark
 * scripts that print capacity units and cost per million jobs. Nothing here talks to AWS.
 *
 * ITEM SIZE (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)
 *   The size of an item is the sum, over its attributes, of the UTF-8 length of the name plus the
 *   size of the value:
 *   - String: its UTF-8 bytes.
 *   - Number: "approximately" 1 byte per two significant digits, plus 1 byte; leading and trailing
 *     zeroes are trimmed (so 0 is 1 byte, 12345 is 4, 1.5 is 2, -100 is 2). The page gives no
 *     rule for the sign or for where the decimal point falls; this module adds nothing for either.
 *   - Binary: its raw bytes (not the base64 text).
 *   - Boolean, Null: 1 byte.
 *   - List, Map: 3 bytes of overhead, plus 1 byte per element, plus the elements' sizes; a map
 *     key counts like an attribute name (its UTF-8 length). The "1 byte per element" sentence is
 *     on the current page (seen in its translations); older copies of the page omit it.
 *   - String/Number/Binary sets: NOT DOCUMENTED on that page. Counted here like a list
 *     (3 + 1 per element + the elements' sizes), as the caller's brief asks; third-party
 *     calculators built from measurements count only the elements' sizes, so a set may be
 *     over-estimated by 3 + (number of elements) bytes.
 *
 * WRITES (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html,
 * formerly ProvisionedThroughput.html#ItemSizeCalculations.Writes)
 *   One write unit per 1 KB (1,024 bytes), rounded up. PutItem replacing an item and UpdateItem
 *   are sized by the larger of the item before and after; DeleteItem by the deleted item. A write
 *   costs at least 1 unit. A conditional write that fails still costs the size of the existing
 *   item, or 1 unit if there is none: `writeUnits(existing, existing, table).table`, or
 *   `writeUnits(undefined, undefined, table).table`, respectively.
 *
 * GLOBAL SECONDARY INDEXES (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html,
 * sections "Attribute projections", "Write capacity units" and "Storage considerations")
 *   An index entry holds the index key attributes, the table key attributes, and the projected
 *   attributes (ALL: the whole item; KEYS_ONLY: nothing else; INCLUDE: the listed attributes).
 *   An item lacking an index key attribute has no entry (a sparse index). Per index, per write:
 *   - no entry before nor after, or the entry is unchanged: no write;
 *   - a new entry (new item, or an index key attribute newly defined): one put;
 *   - an entry removed (item deleted, or an index key attribute removed): one delete;
 *   - an index key value changed (A to B): two writes, a delete of the old entry and a put;
 *   - only projected non-key attributes changed: one write.
 *   Each of these writes costs 1 unit per KB of the index entry ("Larger index entries will
 *   require additional write capacity units"), at least 1; a delete is sized by the old entry, an
 *   in-place update by the larger of the old and new entries (as UpdateItem is on the table).
 *   The total cost of a write is the table's units plus every index's.
 *
 * READS (read-write-operations.html as above; GSI.html "Read capacity units")
 *   One read unit per 4 KB (4,096 bytes), rounded up, strongly consistent; half that, eventually
 *   consistent (index queries are always eventually consistent).
 *   - GetItem rounds the item up to 4 KB; reading an item that does not exist still costs 1
 *     (strong) or 0.5 (eventual).
 *   - BatchGetItem rounds each item separately: sum `readUnits` over the items.
 *   - Query and Scan add up the sizes of the items read (for an index: of the index entries) and
 *     round the sum up to 4 KB once per request (page). Scan counts the items evaluated, not only
 *     those its filter returns. A page that reads nothing is charged the same minimum as a missing
 *     item here (observed behaviour, not stated on the page).
 *
 * PRICES (units: https://aws.amazon.com/dynamodb/pricing/on-demand/; dollars: the project's
 * DESIGN.md, us-east-1 on demand): $0.625 per million write request units, $0.125 per million
 * read request units. A strongly consistent read of up to 4 KB is 1 read request unit, an
 * eventually consistent one 0.5. Transactional requests (double units), replicated writes and
 * storage are not modelled.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';

/** An item as DynamoDB stores it (the low-level, typed representation). */
export type Item = Record<string, AttributeValue>;

/** Marshalls a plain object (as the document client would send it) into an `Item`. */
export function toItem(native: Record<string, unknown>): Item {
  return marshall(native as Record<string, NativeAttributeValue>, { removeUndefinedValues: true });
}

const utf8 = new TextEncoder();

function utf8Length(text: string): number {
  return utf8.encode(text).byteLength;
}

/** 3 bytes for a List/Map (and, here, a set), plus 1 per element, plus the elements' own sizes. */
const CONTAINER_OVERHEAD = 3;
const ELEMENT_OVERHEAD = 1;

interface ParsedNumber {
  negative: boolean;
  /** Significant digits: leading and trailing zeroes trimmed ('' for zero). */
  digits: string;
  /** Position of the decimal point relative to the start of `digits`. */
  point: number;
}

const NUMBER_PATTERN = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

function parseNumber(text: string): ParsedNumber {
  const match = NUMBER_PATTERN.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) throw new Error(`Not a DynamoDB number: ${JSON.stringify(text)}`);
  let digits = whole + fraction;
  let point = whole.length + Number(match[4] ?? 0);
  const leading = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leading).replace(/0+$/, '');
  point -= leading;
  if (digits === '') return { negative: false, digits: '', point: 0 };
  return { negative: match[1] === '-', digits, point };
}

function numberSize(text: string): number {
  return Math.ceil(parseNumber(text).digits.length / 2) + 1;
}

/** The size in bytes DynamoDB bills for a value (without the attribute name). */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Length(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined) return 1;
  if (value.NULL !== undefined) return 1;
  if (value.L !== undefined) {
    return value.L.reduce((sum, element) => sum + ELEMENT_OVERHEAD + attributeValueSize(element), CONTAINER_OVERHEAD);
  }
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce(
      (sum, [key, element]) => sum + ELEMENT_OVERHEAD + utf8Length(key) + attributeValueSize(element),
      CONTAINER_OVERHEAD,
    );
  }
  if (value.SS !== undefined) return setSize(value.SS, utf8Length);
  if (value.NS !== undefined) return setSize(value.NS, numberSize);
  if (value.BS !== undefined) return setSize(value.BS, (bytes) => bytes.byteLength);
  throw new Error(`Unknown DynamoDB attribute value: ${JSON.stringify(value)}`);
}

function setSize<T>(elements: readonly T[], size: (element: T) => number): number {
  return elements.reduce((sum, element) => sum + ELEMENT_OVERHEAD + size(element), CONTAINER_OVERHEAD);
}

/** The size in bytes DynamoDB bills for an item: names (UTF-8) plus values. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8Length(name) + attributeValueSize(value);
  return size;
}

export interface IndexShape {
  name: string;
  partitionKey: string;
  sortKey?: string;
  projection: 'ALL' | 'KEYS_ONLY' | { include: readonly string[] };
}

export interface TableShape {
  partitionKey: string;
  sortKey?: string;
  indexes: readonly IndexShape[];
}

function indexKeyNames(index: IndexShape): string[] {
  return index.sortKey === undefined ? [index.partitionKey] : [index.partitionKey, index.sortKey];
}

/**
 * The entry `item` has in `index`: index keys + table keys + projected attributes, or undefined
 * when there is no item or it lacks an index key attribute (sparse index).
 */
export function indexEntry(item: Item | undefined, table: TableShape, index: IndexShape): Item | undefined {
  if (item === undefined) return undefined;
  const indexKeys = indexKeyNames(index);
  if (indexKeys.some((name) => item[name] === undefined)) return undefined;
  if (index.projection === 'ALL') return { ...item };
  const names = [...indexKeys, table.partitionKey];
  if (table.sortKey !== undefined) names.push(table.sortKey);
  if (index.projection !== 'KEYS_ONLY') names.push(...index.projection.include);
  const entry: Item = {};
  for (const name of names) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  return entry;
}

/** Write units for `bytes`: 1 per KB, rounded up, at least 1. */
function unitsPerKilobyte(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

function sizeOf(item: Item | undefined): number {
  return item === undefined ? 0 : itemSize(item);
}

/**
 * The write units one PutItem/UpdateItem/DeleteItem consumes on the table and on each global
 * secondary index. `before` undefined: a new item; `after` undefined: a delete.
 */
export function writeUnits(
  before: Item | undefined,
  after: Item | undefined,
  table: TableShape,
): { table: number; indexes: Record<string, number>; total: number } {
  const tableUnits = unitsPerKilobyte(Math.max(sizeOf(before), sizeOf(after)));
  const indexes: Record<string, number> = {};
  let total = tableUnits;
  for (const index of table.indexes) {
    const units = indexWriteUnits(indexEntry(before, table, index), indexEntry(after, table, index), index);
    indexes[index.name] = units;
    total += units;
  }
  return { table: tableUnits, indexes, total };
}

function indexWriteUnits(before: Item | undefined, after: Item | undefined, index: IndexShape): number {
  if (before === undefined && after === undefined) return 0;
  if (before === undefined) return unitsPerKilobyte(sizeOf(after));
  if (after === undefined) return unitsPerKilobyte(sizeOf(before));
  const keyChanged = indexKeyNames(index).some((name) => !sameValue(before[name], after[name]));
  if (keyChanged) return unitsPerKilobyte(sizeOf(before)) + unitsPerKilobyte(sizeOf(after));
  if (sameValue({ M: before }, { M: after })) return 0;
  return unitsPerKilobyte(Math.max(sizeOf(before), sizeOf(after)));
}

/**
 * Read units for one GetItem of an item of `bytes` (0 for a missing item): 1 per 4 KB rounded up,
 * at least 1, halved when eventually consistent.
 */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}

/**
 * Read units for one Query/Scan request (one page): the sizes of the items it read (for an index,
 * the index entries; for a Scan, every item evaluated) summed, then rounded up to 4 KB once.
 */
export function queryReadUnits(entries: readonly Item[], consistent: boolean): number {
  return readUnits(
    entries.reduce((sum, entry) => sum + itemSize(entry), 0),
    consistent,
  );
}

/** us-east-1 on-demand prices, in dollars per request unit (DESIGN.md). */
export const PRICES = {
  writeRequestUnit: 0.625e-6,
  readRequestUnit: 0.125e-6,
} as const;

/** Dollars for a million of something that consumes `writeUnits` and `readUnits` each. */
export function dollarsPerMillion(writeUnits: number, readUnits: number): number {
  return (writeUnits * PRICES.writeRequestUnit + readUnits * PRICES.readRequestUnit) * 1e6;
}

/** Whether two values are the same to DynamoDB (numbers by value, sets and maps unordered). */
function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonical(a) === canonical(b);
}

function canonicalNumber(text: string): string {
  const { negative, digits, point } = parseNumber(text);
  return digits === '' ? '0' : `${negative ? '-' : ''}0.${digits}e${point}`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function canonicalSet(tag: string, elements: string[]): string {
  return `${tag}${JSON.stringify([...new Set(elements)].sort())}`;
}

function canonical(value: AttributeValue): string {
  if (value.S !== undefined) return `S${JSON.stringify(value.S)}`;
  if (value.N !== undefined) return `N${canonicalNumber(value.N)}`;
  if (value.B !== undefined) return `B${hex(value.B)}`;
  if (value.BOOL !== undefined) return `BOOL${value.BOOL}`;
  if (value.NULL !== undefined) return 'NULL';
  if (value.L !== undefined) return `L[${value.L.map(canonical).join(',')}]`;
  if (value.M !== undefined) {
    const entries = Object.entries(value.M).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `M{${entries.map(([key, element]) => `${JSON.stringify(key)}:${canonical(element)}`).join(',')}}`;
  }
  if (value.SS !== undefined) return canonicalSet('SS', value.SS);
  if (value.NS !== undefined) return canonicalSet('NS', value.NS.map(canonicalNumber));
  if (value.BS !== undefined) return canonicalSet('BS', value.BS.map(hex));
  throw new Error(`Unknown DynamoDB attribute value: ${JSON.stringify(value)}`);
}
