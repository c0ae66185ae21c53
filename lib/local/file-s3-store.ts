/**
 * A file-backed S3 object store for the local runtime's embedded fauxqs.
 *
 * fauxqs (our SQS emulator, which also emulates S3) keeps buckets and objects in memory only, so every
 * restart of `npm run dev` would lose the jobs' payloads. This subclass of fauxqs's own `S3Store`,
 * given to `buildApp({ stores: { s3Store } })`, writes every change through to a folder (synchronously,
 * as the store's methods are synchronous) and loads the folder back when it is created.
 *
 * Layout under `dir`: one directory per bucket, named by the bucket (names checked against S3's rules,
 * so nothing escapes `dir`), holding `.bucket.json` (its creation date) and, per object, two files
 * named by the SHA-256 hex of the key: `<hash>.data` (the bytes) and `<hash>.json`
 * ({ key, contentType, metadata, etag, lastModified, size, sha256 }, the last two those of the data).
 *
 * Crash safety (a SIGKILL at any moment leaves the old or the new object): files are written under a
 * temporary name (`.tmp-*`) in their own directory and renamed into place. Two renames cannot replace
 * two files at once, so a write renames the new json to `<hash>.pending` first, then the data to
 * `<hash>.data`, then `<hash>.pending` to `<hash>.json`. Loading finishes (renames) a pending json whose
 * size and SHA-256 are those of the data, and deletes any other: the data rename is the commit point.
 * A delete removes the json before the data. Loading deletes temporary files and data with no json,
 * and ignores objects whose json or data is missing, unreadable or not matching. A bucket directory is
 * built under a temporary name and renamed into place, and renamed away before it is removed.
 * One store per folder at a time; in-progress multipart uploads are kept in memory only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildAppOptions } from 'fauxqs';

/** fauxqs's S3Store (not exported by the package; its type is reachable through `BuildAppOptions`). */
type S3Store = NonNullable<BuildAppOptions['stores']>['s3Store'];
type S3Object = ReturnType<S3Store['putObject']>;
type PartSpec = Parameters<S3Store['completeMultipartUpload']>[1][number];

/** fauxqs's S3Store, keeping its buckets and objects in `dir`. */
export type FileS3Store = S3Store & { readonly dir: string };

/** Creates `dir` if missing and loads every bucket and object kept there. */
export async function createFileS3Store(dir: string): Promise<FileS3Store> {
  const Store = await fileS3StoreClass();
  return new Store(path.resolve(dir));
}

interface FauxqsS3 {
  readonly S3Store: new () => S3Store;
  /** fauxqs answers an `S3Error` with its status and XML; anything else becomes a 500. */
  readonly S3Error: new (code: string, message: string, statusCode?: number) => Error;
}

const TMP_PREFIX = '.tmp-';
const BUCKET_META = '.bucket.json';
const OBJECT_FILE = /^([0-9a-f]{64})\.(data|json|pending)$/;

/** S3's rules: 3-63 of a-z, 0-9, '.', '-'; a letter or digit at each end; no '..'. */
function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..');
}

/** What `<hash>.json` holds. */
interface StoredObject {
  readonly key: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly etag: string;
  readonly lastModified: string;
  readonly size: number;
  readonly sha256: string;
}

let fauxqsS3: Promise<FauxqsS3> | undefined;
let storeClass: ReturnType<typeof defineFileS3Store> | undefined;

async function fileS3StoreClass(): Promise<ReturnType<typeof defineFileS3Store>> {
  fauxqsS3 ??= loadFauxqsS3().catch((error: unknown) => {
    fauxqsS3 = undefined;
    throw error;
  });
  storeClass ??= defineFileS3Store(await fauxqsS3);
  return storeClass;
}

/**
 * The package exports only its entry (for `import` alone, so `require.resolve('fauxqs')` fails): the
 * classes are loaded from their files next to it, the very modules fauxqs itself uses, so that its
 * router recognises our `S3Error`s.
 */
async function loadFauxqsS3(): Promise<FauxqsS3> {
  const entry = fauxqsEntry();
  const [store, errors] = await Promise.all([
    import(new URL('./s3/s3Store.js', entry).href) as Promise<{ S3Store?: FauxqsS3['S3Store'] }>,
    import(new URL('./common/errors.js', entry).href) as Promise<{ S3Error?: FauxqsS3['S3Error'] }>,
  ]);
  if (typeof store.S3Store !== 'function' || typeof errors.S3Error !== 'function') {
    throw new Error(`fauxqs at ${entry.href} has no S3Store or S3Error where 1.9 has them`);
  }
  return { S3Store: store.S3Store, S3Error: errors.S3Error };
}

function fauxqsEntry(): URL {
  try {
    return new URL(import.meta.resolve('fauxqs'));
  } catch {
    // A loader without import.meta.resolve: look for the package folder as Node would.
  }
  const require = createRequire(import.meta.url);
  for (const nodeModules of require.resolve.paths('fauxqs') ?? []) {
    const packageDir = path.join(nodeModules, 'fauxqs');
    const packageFile = path.join(packageDir, 'package.json');
    if (!existsSync(packageFile)) continue;
    const { main } = JSON.parse(readFileSync(packageFile, 'utf8')) as { main?: string };
    return pathToFileURL(path.join(realpathSync(packageDir), main ?? 'dist/app.js'));
  }
  throw new Error('fauxqs is not installed');
}

function defineFileS3Store({ S3Store: Base, S3Error }: FauxqsS3) {
  return class FileS3StoreImpl extends Base {
    readonly dir: string;
    /** fauxqs keeps creation dates privately and sets them to "now": ours, loaded from disk. */
    readonly #creationDates = new Map<string, Date>();
    /** Bucket of each multipart upload in progress: completing one does not go through putObject. */
    readonly #uploadBuckets = new Map<string, string>();

    constructor(dir: string) {
      super();
      this.dir = dir;
      this.#load();
    }

    override createBucket(name: string): void {
      if (!isValidBucketName(name)) {
        throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400);
      }
      if (this.hasBucket(name)) return;
      const creationDate = new Date();
      const meta = JSON.stringify({ name, creationDate: creationDate.toISOString() });
      const temp = tempPath(this.dir);
      mkdirSync(temp);
      writeFileSync(path.join(temp, BUCKET_META), meta, { flush: true });
      try {
        renameSync(temp, this.#bucketDir(name));
      } catch (error) {
        if (!isCode(error, 'ENOTEMPTY', 'EEXIST')) throw error;
        // A directory that did not load (e.g. unreadable objects): keep it, with our date.
        rmSync(temp, { recursive: true, force: true });
        writeAtomically(this.#bucketDir(name), BUCKET_META, meta);
      }
      super.createBucket(name);
      this.#creationDates.set(name, creationDate);
    }

    override deleteBucket(name: string): void {
      super.deleteBucket(name); // throws NoSuchBucket / BucketNotEmpty
      this.#creationDates.delete(name);
      this.#discardDir(this.#bucketDir(name));
    }

    override listBuckets(): { name: string; creationDate: Date }[] {
      return super.listBuckets().map(({ name, creationDate }) => ({
        name,
        creationDate: this.#creationDates.get(name) ?? creationDate,
      }));
    }

    /** Also CopyObject's. DeleteObjects goes through deleteObject. */
    override putObject(
      bucket: string,
      key: string,
      body: Buffer,
      contentType?: string,
      metadata?: Record<string, string>,
    ): S3Object {
      const object = super.putObject(bucket, key, body, contentType, metadata);
      this.#persist(bucket, object);
      return object;
    }

    override deleteObject(bucket: string, key: string): void {
      super.deleteObject(bucket, key);
      this.#remove(this.#bucketDir(bucket), hashOf(key));
    }

    override createMultipartUpload(
      bucket: string,
      key: string,
      contentType?: string,
      metadata?: Record<string, string>,
    ): string {
      const uploadId = super.createMultipartUpload(bucket, key, contentType, metadata);
      this.#uploadBuckets.set(uploadId, bucket);
      return uploadId;
    }

    /** fauxqs stores the assembled object straight into its map, not through putObject. */
    override completeMultipartUpload(uploadId: string, partSpecs: PartSpec[]): S3Object {
      const bucket = this.#uploadBuckets.get(uploadId);
      const object = super.completeMultipartUpload(uploadId, partSpecs);
      this.#uploadBuckets.delete(uploadId);
      if (bucket === undefined) throw new Error(`multipart upload ${uploadId} was not started by this store`);
      this.#persist(bucket, object);
      return object;
    }

    override abortMultipartUpload(uploadId: string): void {
      super.abortMultipartUpload(uploadId);
      this.#uploadBuckets.delete(uploadId);
    }

    override emptyBucket(name: string): void {
      super.emptyBucket(name);
      for (const [uploadId, bucket] of this.#uploadBuckets) if (bucket === name) this.#uploadBuckets.delete(uploadId);
      if (this.hasBucket(name)) this.#clearBucketDir(name);
    }

    override clearObjects(): void {
      super.clearObjects();
      this.#uploadBuckets.clear();
      for (const { name } of super.listBuckets()) this.#clearBucketDir(name);
    }

    override purgeAll(): void {
      const names = super.listBuckets().map(({ name }) => name);
      super.purgeAll();
      this.#uploadBuckets.clear();
      this.#creationDates.clear();
      for (const name of names) this.#discardDir(this.#bucketDir(name));
    }

    #bucketDir(name: string): string {
      if (!isValidBucketName(name)) throw new Error(`not a valid bucket name: ${JSON.stringify(name)}`);
      return path.join(this.dir, name);
    }

    #persist(bucket: string, object: S3Object): void {
      const dir = this.#bucketDir(bucket);
      const base = path.join(dir, hashOf(object.key));
      const stored: StoredObject = {
        key: object.key,
        contentType: object.contentType,
        metadata: object.metadata,
        etag: object.etag,
        lastModified: object.lastModified.toISOString(),
        size: object.body.length,
        sha256: sha256(object.body),
      };
      const data = writeTemp(dir, object.body);
      let json: string;
      try {
        json = writeTemp(dir, JSON.stringify(stored));
      } catch (error) {
        rmSync(data, { force: true });
        throw error;
      }
      renameSync(json, `${base}.pending`);
      renameSync(data, `${base}.data`); // the commit point: see the note at the top
      renameSync(`${base}.pending`, `${base}.json`);
    }

    /** The json first: an interrupted delete leaves data alone, which loading deletes. */
    #remove(dir: string, hash: string): void {
      const base = path.join(dir, hash);
      rmSync(`${base}.pending`, { force: true });
      rmSync(`${base}.json`, { force: true });
      rmSync(`${base}.data`, { force: true });
    }

    /** Every object deleted (jsons first), the bucket kept. */
    #clearBucketDir(name: string): void {
      const dir = this.#bucketDir(name);
      const files = readdirSync(dir).filter((file) => file !== BUCKET_META);
      const commits = (file: string): boolean => file.endsWith('.json') || file.endsWith('.pending');
      for (const file of [...files.filter(commits), ...files.filter((file) => !commits(file))]) {
        rmSync(path.join(dir, file), { recursive: true, force: true });
      }
    }

    #discardDir(dir: string): void {
      const temp = tempPath(this.dir);
      try {
        renameSync(dir, temp);
      } catch (error) {
        if (isCode(error, 'ENOENT')) return;
        throw error;
      }
      rmSync(temp, { recursive: true, force: true });
    }

    #load(): void {
      mkdirSync(this.dir, { recursive: true });
      for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
        if (entry.name.startsWith(TMP_PREFIX)) {
          rmSync(path.join(this.dir, entry.name), { recursive: true, force: true });
        } else if (entry.isDirectory() && isValidBucketName(entry.name)) {
          this.#loadBucket(entry.name);
        }
      }
    }

    #loadBucket(name: string): void {
      const dir = this.#bucketDir(name);
      super.createBucket(name);
      this.#creationDates.set(name, readCreationDate(dir) ?? new Date());
      const hashes = new Set<string>();
      for (const file of readdirSync(dir)) {
        if (file.startsWith(TMP_PREFIX)) {
          rmSync(path.join(dir, file), { recursive: true, force: true });
          continue;
        }
        const match = OBJECT_FILE.exec(file);
        if (match?.[1]) hashes.add(match[1]);
      }
      for (const hash of hashes) this.#loadObject(name, dir, hash);
    }

    #loadObject(bucket: string, dir: string, hash: string): void {
      const base = path.join(dir, hash);
      const data = readOrUndefined(`${base}.data`);
      if (existsSync(`${base}.pending`)) {
        const pending = parseStored(readOrUndefined(`${base}.pending`));
        if (pending && data && describes(pending, hash, data)) renameSync(`${base}.pending`, `${base}.json`);
        else rmSync(`${base}.pending`, { force: true }); // interrupted before its data was in place
      }
      if (!existsSync(`${base}.json`)) {
        if (data) rmSync(`${base}.data`, { force: true }); // an interrupted delete
        return;
      }
      const stored = parseStored(readOrUndefined(`${base}.json`));
      if (!stored || !data || !describes(stored, hash, data)) return; // damaged: ignored
      const object = super.putObject(bucket, stored.key, data, stored.contentType, stored.metadata);
      // The object fauxqs keeps: its ETag (a multipart one is not the MD5) and date as they were.
      object.etag = stored.etag;
      object.lastModified = new Date(stored.lastModified);
    }
  };
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const hashOf = (key: string): string => sha256(key);

function tempPath(dir: string): string {
  return path.join(dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
}

/** A new temporary file in `dir` holding `data`, flushed to disk. */
function writeTemp(dir: string, data: string | Buffer): string {
  const file = tempPath(dir);
  try {
    writeFileSync(file, data, { flag: 'wx', flush: true });
  } catch (error) {
    rmSync(file, { force: true });
    throw error;
  }
  return file;
}

function writeAtomically(dir: string, name: string, data: string | Buffer): void {
  renameSync(writeTemp(dir, data), path.join(dir, name));
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function readCreationDate(dir: string): Date | undefined {
  try {
    const { creationDate } = JSON.parse(readFileSync(path.join(dir, BUCKET_META), 'utf8')) as { creationDate?: unknown };
    const date = typeof creationDate === 'string' ? new Date(creationDate) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : undefined;
  } catch {
    return undefined;
  }
}

function parseStored(json: Buffer | undefined): StoredObject | undefined {
  if (!json) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const stored = value as Partial<Record<keyof StoredObject, unknown>>;
  const metadata = stored.metadata;
  const validMetadata =
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    Object.values(metadata).every((entry) => typeof entry === 'string');
  if (
    typeof stored.key !== 'string' ||
    typeof stored.contentType !== 'string' ||
    !validMetadata ||
    typeof stored.etag !== 'string' ||
    typeof stored.lastModified !== 'string' ||
    Number.isNaN(new Date(stored.lastModified).getTime()) ||
    typeof stored.size !== 'number' ||
    typeof stored.sha256 !== 'string'
  ) {
    return undefined;
  }
  return value as StoredObject;
}

/** The json is this object's (its key hashes to the file name) and describes exactly these bytes. */
function describes(stored: StoredObject, hash: string, data: Buffer): boolean {
  return hashOf(stored.key) === hash && stored.size === data.length && stored.sha256 === sha256(data);
}

function isCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && codes.includes(code);
}
