/**
 * Crash-safe writes for the embedded DynamoDB (dynalite on LevelDB).
 *
 * dynalite 4 writes an item's index entries and then the item itself as separate LevelDB writes,
 * so a process killed between them leaves indexes that disagree with the records: a job listed
 * as PENDING whose GET is a 404, a PROCESSING record that the due index no longer holds (so no
 * recovery ever sees it), a job COMPLETED (or CANCELLED) in the list whose record is still the
 * earlier version, which then ran again once its lease ran out or a recovery re-sent it: a
 * "finished" job run a second time. DynamoDB's own indexes may lag their table, but never show a
 * write the table does not have.
 *
 * This module makes every PutItem, UpdateItem and DeleteItem of dynalite one LevelDB batch: the
 * item and all its index entries, or nothing (LevelDB applies a batch atomically, also across a
 * crash). It hooks two of dynalite's internals, which run back to back in the same tick inside
 * the item's lock: `db.updateIndexes` (whose writes it holds back) and the item's `put`/`del`
 * (which writes them together with the item). A write that does not follow that pattern falls
 * back to dynalite's own behaviour and is counted in `atomicWriteStats().fallbacks`.
 *
 * It also gives every index entry a key that ends with the item's whole table key: dynalite's own
 * ends with 6 hex digits of a hash, so two jobs due in the same millisecond could share one entry
 * of the due index and one of them vanished from it.
 *
 * `repairIndexes` rebuilds every index from the records, for a data folder written before (or by
 * another engine): run it on start, before the engine serves requests.
 *
 * dynalite is pinned in package.json; test/integration/engine-crash.test.ts kills an engine
 * process in the middle of writes, again and again, and checks that indexes and records agree.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Callback = (error?: Error | null, value?: unknown) => void;

interface BatchOp {
  readonly type: 'put' | 'del';
  readonly key: string;
  readonly value?: unknown;
}

interface LevelLike {
  batch(ops: readonly BatchOp[], callback: Callback): void;
  keys(options?: Record<string, unknown>): AsyncIterable<string>;
  iterator(options?: Record<string, unknown>): AsyncIterable<[string, unknown]>;
}

interface SubDb {
  put(key: string, value: unknown, callback: Callback): void;
  del(key: string, callback: Callback): void;
  [ATOMIC]?: true;
}

interface Store {
  readonly db: LevelLike;
  getItemDb(name: string): SubDb;
  [ATOMIC]?: true;
}

interface IndexDescription {
  readonly IndexName: string;
  readonly KeySchema: readonly { AttributeName: string }[];
  readonly Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
}

interface TableDescription {
  readonly TableName: string;
  readonly KeySchema: readonly { AttributeName: string }[];
  readonly LocalSecondaryIndexes?: readonly IndexDescription[];
  readonly GlobalSecondaryIndexes?: readonly IndexDescription[];
}

type Item = Record<string, unknown>;

interface IndexAction {
  readonly index: string;
  readonly key: string;
  readonly item?: Item;
}

interface DynaliteDb {
  create(options: object | undefined): Store;
  updateIndexes(store: Store, table: TableDescription, existing: Item | undefined, item: Item | null, cb: Callback): void;
  createKey(item: Item, table: TableDescription, keySchema?: IndexDescription['KeySchema']): string;
  createIndexKey(item: Item, table: TableDescription, keySchema: IndexDescription['KeySchema']): string;
}

const ATOMIC = Symbol.for('async-jobs.atomic-dynalite');
const INDEX_TYPES = ['Local', 'Global'] as const;

/** dynalite's LevelDB key prefixes (db/index.js: getSubDb names + '~'). */
const itemPrefix = (table: string) => `item-${table}~`;
const indexPrefix = (type: (typeof INDEX_TYPES)[number], table: string, index: string) =>
  `index-${type.toLowerCase()}~${table}~${index}~`;

const stats = { batches: 0, fallbacks: 0 };

/** Writes made atomically, and writes that had to fall back to dynalite's separate writes. */
export function atomicWriteStats(): { readonly batches: number; readonly fallbacks: number } {
  return { ...stats };
}

/** Index writes held back by updateIndexes, for the item write that follows in the same tick. */
let held: { readonly store: Store; readonly ops: BatchOp[] } | undefined;

/**
 * The LevelDB key of an item's entry in an index: the index's key, then the item's whole table
 * key. (dynalite ends it with only 6 hex digits of a hash of the table key, so two items with the
 * same index key, e.g. two jobs due in the same millisecond, could share one entry: the second
 * write replaced the first item's entry, and deleting either deleted both.)
 */
function indexKey(db: DynaliteDb, item: Item, table: TableDescription, keySchema: IndexDescription['KeySchema']): string {
  return db.createKey(item, table, keySchema) + db.createKey(item, table);
}

/** dynalite's getIndexActions, with `indexKey` for the entry keys. */
function indexActions(
  db: DynaliteDb,
  indexes: readonly IndexDescription[],
  existing: Item | null | undefined,
  item: Item | null | undefined,
  table: TableDescription,
): { puts: IndexAction[]; deletes: IndexAction[] } {
  const puts: IndexAction[] = [];
  const deletes: IndexAction[] = [];
  const tableKeys = table.KeySchema.map((key) => key.AttributeName);
  for (const index of indexes) {
    const keys = index.KeySchema.map((key) => key.AttributeName);
    let key: string | null = null;
    if (item && keys.every((name) => item[name] != null)) {
      let pieces: Item = item;
      if (index.Projection.ProjectionType !== 'ALL') {
        pieces = {};
        for (const name of [...keys, ...tableKeys, ...(index.Projection.NonKeyAttributes ?? [])]) {
          if (Object.hasOwn(item, name)) Object.defineProperty(pieces, name, { value: item[name], enumerable: true, writable: true, configurable: true });
        }
      }
      key = indexKey(db, pieces, table, index.KeySchema);
      puts.push({ index: index.IndexName, key, item: pieces });
    }
    if (existing && keys.every((name) => existing[name] != null)) {
      const existingKey = indexKey(db, existing, table, index.KeySchema);
      if (existingKey !== key) deletes.push({ index: index.IndexName, key: existingKey });
    }
  }
  return { puts, deletes };
}

function indexOps(db: DynaliteDb, table: TableDescription, existing: Item | null | undefined, item: Item | null | undefined): BatchOp[] {
  const ops: BatchOp[] = [];
  for (const type of INDEX_TYPES) {
    const indexes = table[`${type}SecondaryIndexes`] ?? [];
    const actions = indexActions(db, indexes, existing, item, table);
    // As dynalite: deletes of keys that changed first, then the new entries.
    for (const action of actions.deletes) ops.push({ type: 'del', key: indexPrefix(type, table.TableName, action.index) + action.key });
    for (const action of actions.puts) {
      ops.push({ type: 'put', key: indexPrefix(type, table.TableName, action.index) + action.key, value: action.item });
    }
  }
  return ops;
}

let installed = false;
const stores = new WeakMap<object, Store>();

/** The store dynalite created for these options (the object passed to `dynalite(options)`). */
export function storeOf(options: object): Store {
  const store = stores.get(options);
  if (!store) throw new Error('No dynalite store was created with these options since installAtomicDynalite()');
  return store;
}

/** Patches dynalite (once per process) so that every store it creates from now on writes atomically. */
export function installAtomicDynalite(): void {
  if (installed) return;
  installed = true;
  const db = require('dynalite/db') as DynaliteDb;
  const create = db.create;
  const updateIndexes = db.updateIndexes;

  // Query and Scan turn an ExclusiveStartKey into an index position with this: same keys as ours.
  db.createIndexKey = (item, table, keySchema) => indexKey(db, item, table, keySchema);

  db.updateIndexes = function (store, table, existing, item, cb) {
    if (!store[ATOMIC] || (!existing && !item)) return updateIndexes.call(this, store, table, existing, item, cb);
    const ops = indexOps(db, table, existing, item);
    held = { store, ops };
    try {
      cb();
    } finally {
      const left = held;
      held = undefined;
      // The callback did not write the item in the same tick: write the indexes as dynalite would.
      if (left && left.ops.length > 0) {
        stats.fallbacks++;
        left.store.db.batch(left.ops, () => {});
      }
    }
  };

  db.create = function (options) {
    const store = create.call(this, options);
    if (typeof options === 'object' && options !== null) stores.set(options, store);
    store[ATOMIC] = true;
    const getItemDb = store.getItemDb.bind(store);
    store.getItemDb = (name: string) => {
      const itemDb = getItemDb(name);
      if (!itemDb[ATOMIC]) wrapItemDb(store, itemDb, itemPrefix(name));
      return itemDb;
    };
    return store;
  };
}

function wrapItemDb(store: Store, itemDb: SubDb, prefix: string): void {
  itemDb[ATOMIC] = true;
  const put = itemDb.put.bind(itemDb);
  const del = itemDb.del.bind(itemDb);
  const take = (): BatchOp[] | undefined => {
    if (!held || held.store !== store) return undefined;
    const { ops } = held;
    held = undefined;
    return ops;
  };
  itemDb.put = (key, value, callback) => {
    const ops = take();
    if (!ops) return put(key, value, callback);
    stats.batches++;
    store.db.batch([...ops, { type: 'put', key: prefix + key, value }], callback);
  };
  itemDb.del = (key, callback) => {
    const ops = take();
    if (!ops) return del(key, callback);
    stats.batches++;
    store.db.batch([...ops, { type: 'del', key: prefix + key }], callback);
  };
}

/** A global secondary index as CreateTable takes it. */
export interface GlobalIndexSpec {
  readonly IndexName: string;
  readonly KeySchema: readonly { readonly AttributeName: string; readonly KeyType: 'HASH' | 'RANGE' }[];
  readonly Projection: { readonly ProjectionType: 'KEYS_ONLY' | 'INCLUDE' | 'ALL'; readonly NonKeyAttributes?: readonly string[] };
}

/**
 * Adds to a table of a dynalite data folder the global secondary indexes it lacks (a folder
 * created by an older version), described as CreateTable describes them: dynalite's UpdateTable
 * cannot create an index. `backfill` gives a record that lacks a key attribute of an added index
 * that attribute from another of its own (`{ statusChangedAt: 'updatedAt' }`: the best guess an
 * old record allows), so it enters the index. The entries are then written by repairIndexes. Run
 * before the engine serves requests. An index present with another projection (`byActive` was
 * keys-only before it projected `type`) takes the one given; repairIndexes then rewrites its
 * entries. Returns the names of the indexes added or changed (none when the table does not exist).
 */
export async function addMissingIndexes(
  level: LevelLike,
  tableName: string,
  indexes: readonly GlobalIndexSpec[],
  backfill: Readonly<Record<string, string>> = {},
): Promise<string[]> {
  const key = `table~${tableName}`;
  let table: (TableDescription & Record<string, any>) | undefined;
  for await (const [, value] of level.iterator({ gte: key, lte: key })) table = value as TableDescription & Record<string, any>;
  if (!table) return [];
  const wanted = new Map(indexes.map((index) => [index.IndexName, index]));
  const changed: string[] = [];
  const kept = (table.GlobalSecondaryIndexes ?? []).map((index) => {
    const spec = wanted.get(index.IndexName!);
    if (!spec || sameProjection(index.Projection, spec.Projection)) return index;
    changed.push(spec.IndexName);
    return { ...index, Projection: structuredClone(spec.Projection) as typeof index.Projection };
  });
  const present = new Set(kept.map((index) => index.IndexName));
  const missing = indexes.filter((index) => !present.has(index.IndexName));
  if (missing.length === 0 && changed.length === 0) return [];
  const definitions = [...(table.AttributeDefinitions as { AttributeName: string; AttributeType: string }[])];
  const newKeys = missing.flatMap((index) => index.KeySchema).map(({ AttributeName }) => AttributeName);
  for (const AttributeName of newKeys) {
    if (!definitions.some((definition) => definition.AttributeName === AttributeName)) definitions.push({ AttributeName, AttributeType: 'S' });
  }
  const added = missing.map((index) => ({
    ...structuredClone(index),
    IndexArn: `${table!.TableArn}/index/${index.IndexName}`,
    IndexSizeBytes: 0,
    ItemCount: 0,
    IndexStatus: 'ACTIVE',
    ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
  }));
  const updated = { ...table, AttributeDefinitions: definitions, GlobalSecondaryIndexes: [...kept, ...added] };
  const ops: BatchOp[] = [];
  const fills = Object.entries(backfill).filter(([attribute]) => newKeys.includes(attribute));
  if (fills.length > 0) {
    const prefix = itemPrefix(tableName);
    for await (const [itemKey, value] of level.iterator({ gte: prefix, lt: `${prefix}\xff` })) {
      const item = value as Item;
      const filled = Object.fromEntries(fills.filter(([attribute, from]) => !item[attribute] && item[from]).map(([attribute, from]) => [attribute, item[from]]));
      if (Object.keys(filled).length > 0) ops.push({ type: 'put', key: itemKey, value: { ...item, ...filled } });
    }
  }
  ops.push({ type: 'put', key, value: updated });
  await writeBatches(level, ops);
  return [...missing.map((index) => index.IndexName), ...changed];
}

function sameProjection(present: { ProjectionType?: string; NonKeyAttributes?: string[] } | undefined, wanted: GlobalIndexSpec['Projection']): boolean {
  const attributes = (projection: { NonKeyAttributes?: readonly string[] } | undefined) => [...(projection?.NonKeyAttributes ?? [])].sort().join(',');
  return present?.ProjectionType === wanted.ProjectionType && attributes(present) === attributes(wanted);
}

export interface RepairReport {
  readonly items: number;
  /** Index entries written because they were missing or differed from the record. */
  readonly written: number;
  /** Index entries deleted because no record (or no longer the record) stands behind them. */
  readonly deleted: number;
}

/**
 * Rebuilds every table's indexes from its records, straight on the LevelDB files of a dynalite
 * data folder, with the same functions dynalite uses to index. Run before the engine serves
 * requests (nothing may write meanwhile).
 */
export async function repairIndexes(level: LevelLike): Promise<RepairReport> {
  const db = require('dynalite/db') as DynaliteDb;
  const report = { items: 0, written: 0, deleted: 0 };
  const tables: TableDescription[] = [];
  for await (const [, table] of level.iterator({ gte: 'table~', lt: 'table~\xff' })) tables.push(table as TableDescription);
  for (const table of tables) {
    const expected = new Map<string, unknown>();
    for await (const [, item] of level.iterator({ gte: itemPrefix(table.TableName), lt: `${itemPrefix(table.TableName)}\xff` })) {
      report.items++;
      for (const op of indexOps(db, table, undefined, item as Item)) expected.set(op.key, op.value);
    }
    const ops: BatchOp[] = [];
    for (const type of INDEX_TYPES) {
      for (const index of table[`${type}SecondaryIndexes`] ?? []) {
        const prefix = indexPrefix(type, table.TableName, index.IndexName);
        for await (const [key, value] of level.iterator({ gte: prefix, lt: `${prefix}\xff` })) {
          if (!expected.has(key)) {
            ops.push({ type: 'del', key });
            report.deleted++;
          } else {
            if (JSON.stringify(expected.get(key)) === JSON.stringify(value)) expected.delete(key);
          }
        }
      }
    }
    for (const [key, value] of expected) {
      ops.push({ type: 'put', key, value });
      report.written++;
    }
    await writeBatches(level, ops);
  }
  return report;
}

/** Writes `ops` in atomic batches of 1,000. */
async function writeBatches(level: LevelLike, ops: readonly BatchOp[]): Promise<void> {
  for (let start = 0; start < ops.length; start += 1000) {
    const chunk = ops.slice(start, start + 1000);
    await new Promise<void>((resolve, reject) => level.batch(chunk, (error) => (error ? reject(error) : resolve())));
  }
}
