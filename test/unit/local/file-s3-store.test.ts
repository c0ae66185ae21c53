import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { buildApp, type BuildAppOptions } from 'fauxqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFileS3Store, type FileS3Store } from '../../../lib/local/file-s3-store.ts';

/**
 * Simulated SIGKILL: once armed, the store's `crashAfter`-th file-system change and every later one
 * throw instead of happening (a write being killed leaves half its bytes). The store is then
 * abandoned and a new one loads the folder, as after a restart.
 */
const crash = vi.hoisted(() => ({
  crashAfter: Number.POSITIVE_INFINITY,
  changes: 0,
  Killed: class Killed extends Error {},
}));

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const dies = (): boolean => crash.changes++ >= crash.crashAfter;
  const guard =
    <Args extends unknown[], R>(change: (...args: Args) => R) =>
    (...args: Args): R => {
      if (dies()) throw new crash.Killed('killed');
      return change(...args);
    };
  const writeFileSync = (file: string, data: string | Buffer, options?: object): void => {
    if (dies()) {
      actual.writeFileSync(file, typeof data === 'string' ? data.slice(0, data.length >> 1) : data.subarray(0, data.length >> 1));
      throw new crash.Killed('killed while writing');
    }
    actual.writeFileSync(file, data, options);
  };
  const changes = {
    writeFileSync,
    renameSync: guard(actual.renameSync),
    rmSync: guard(actual.rmSync),
    mkdirSync: guard(actual.mkdirSync),
  };
  return { ...actual, ...changes, default: { ...actual, ...changes } };
});

const md5Etag = (data: Uint8Array | string): string => `"${createHash('md5').update(data).digest('hex')}"`;
const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const MiB = 1024 * 1024;

interface Served {
  readonly store: FileS3Store;
  readonly client: S3Client;
  readonly endpoint: string;
  close(): Promise<void>;
}

const open: Served[] = [];

async function serve(dir: string): Promise<Served> {
  const s3Store = await createFileS3Store(dir);
  // fauxqs makes its own SQS and SNS stores when they are not given (its type asks for all three).
  const stores: Partial<NonNullable<BuildAppOptions['stores']>> = { s3Store };
  const app = buildApp({ logger: false, stores: stores as NonNullable<BuildAppOptions['stores']> });
  const endpoint = await app.listen({ port: 0, host: '127.0.0.1' });
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let closed = false;
  const served: Served = {
    store: s3Store,
    client,
    endpoint,
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      await app.close();
    },
  };
  open.push(served);
  return served;
}

async function bytesOf(client: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const { Body } = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await Body!.transformToByteArray());
}

function described(head: HeadObjectCommandOutput) {
  return {
    ContentType: head.ContentType,
    ContentLength: head.ContentLength,
    ETag: head.ETag,
    Metadata: head.Metadata,
    LastModified: head.LastModified?.toISOString(),
  };
}

async function multipartUpload(client: S3Client, Bucket: string, Key: string, parts: Buffer[]): Promise<string> {
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket, Key, ContentType: 'text/csv', Metadata: { source: 'multipart' } }),
  );
  const uploaded = [];
  for (const [index, Body] of parts.entries()) {
    const PartNumber = index + 1;
    const { ETag } = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }));
    uploaded.push({ PartNumber, ETag });
  }
  const { ETag } = await client.send(
    new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: uploaded } }),
  );
  return ETag!;
}

/** S3's multipart ETag: the MD5 of the parts' MD5 digests, then the part count. */
function multipartEtag(parts: Buffer[]): string {
  const digests = parts.map((part) => createHash('md5').update(part).digest());
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${parts.length}"`;
}

/** Every file and folder under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('file-backed S3 store under fauxqs', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-s3-store-'));
    crash.crashAfter = Number.POSITIVE_INFINITY;
  });

  afterEach(async () => {
    vi.useRealTimers();
    crash.crashAfter = Number.POSITIVE_INFINITY;
    await Promise.all(open.splice(0).map((served) => served.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('creates buckets, puts, gets, heads, copies and deletes objects, keeping them in files', async () => {
    const { client } = await serve(dir);
    await client.send(new CreateBucketCommand({ Bucket: 'payloads' }));
    await expect(client.send(new HeadBucketCommand({ Bucket: 'payloads' }))).resolves.toBeDefined();

    const body = JSON.stringify({ prompt: 'Summarise this', n: 3 });
    const Key = 'jobs/1/input.json';
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'payloads',
        Key,
        Body: body,
        ContentType: 'application/json',
        Metadata: { owner: 'user-1', 'job-id': 'j1' },
      }),
    );
    expect(put.ETag).toBe(md5Etag(body));

    const got = await client.send(new GetObjectCommand({ Bucket: 'payloads', Key }));
    expect(got.ContentType).toBe('application/json');
    expect(got.Metadata).toEqual({ owner: 'user-1', 'job-id': 'j1' });
    expect(got.ETag).toBe(md5Etag(body));
    expect(await got.Body!.transformToString()).toBe(body);

    const head = await client.send(new HeadObjectCommand({ Bucket: 'payloads', Key }));
    expect(head.ContentLength).toBe(Buffer.byteLength(body));
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata).toEqual({ owner: 'user-1', 'job-id': 'j1' });
    expect(head.ETag).toBe(md5Etag(body));

    const copyKey = 'jobs/1/copy.json';
    await client.send(new CopyObjectCommand({ Bucket: 'payloads', Key: copyKey, CopySource: `payloads/${Key}` }));
    const copied = await client.send(new HeadObjectCommand({ Bucket: 'payloads', Key: copyKey }));
    expect(copied).toMatchObject({ ContentType: 'application/json', ETag: md5Etag(body), ContentLength: head.ContentLength });
    expect(copied.Metadata).toEqual({ owner: 'user-1', 'job-id': 'j1' });

    // A stream body goes out aws-chunked (with a CRC32 trailer): the file holds the decoded bytes.
    const streamed = randomBytes(2048);
    await client.send(
      new PutObjectCommand({ Bucket: 'payloads', Key: 'streamed.bin', Body: Readable.from([streamed]), ContentLength: 2048 }),
    );
    expect((await bytesOf(client, 'payloads', 'streamed.bin')).equals(streamed)).toBe(true);
    expect(readFileSync(join(dir, 'payloads', `${sha256('streamed.bin')}.data`)).equals(streamed)).toBe(true);
    await client.send(new DeleteObjectCommand({ Bucket: 'payloads', Key: 'streamed.bin' }));

    await client.send(new DeleteObjectCommand({ Bucket: 'payloads', Key }));
    await expect(client.send(new GetObjectCommand({ Bucket: 'payloads', Key }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    expect((await bytesOf(client, 'payloads', copyKey)).toString()).toBe(body);

    // On disk: the bucket's folder with the copy's two files only.
    const copyHash = sha256(copyKey);
    expect(tree(dir)).toEqual(['payloads', 'payloads/.bucket.json', `payloads/${copyHash}.data`, `payloads/${copyHash}.json`]);
    expect(readFileSync(join(dir, 'payloads', `${copyHash}.data`), 'utf8')).toBe(body);
    const stored = JSON.parse(readFileSync(join(dir, 'payloads', `${copyHash}.json`), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({
      key: copyKey,
      contentType: 'application/json',
      metadata: { owner: 'user-1', 'job-id': 'j1' },
      etag: md5Etag(body),
    });
    // Headers carry whole seconds; the file keeps the milliseconds.
    expect(Math.floor(new Date(String(stored.lastModified)).getTime() / 1000) * 1000).toBe(copied.LastModified!.getTime());
  });

  it('refuses bucket names outside S3 rules with InvalidBucketName, writing nothing', async () => {
    const { endpoint } = await serve(dir);
    for (const name of ['ab', 'a..b', 'Upper', '-abc', 'a'.repeat(64), '..%2F..%2Fescape']) {
      const response = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      expect(response.status, name).toBe(400);
      expect(await response.text(), name).toContain('<Code>InvalidBucketName</Code>');
    }
    expect(tree(dir)).toEqual([]);
    const ok = await fetch(`${endpoint}/abc`, { method: 'PUT' });
    expect(ok.status).toBe(200);
    expect(tree(dir)).toEqual(['abc', 'abc/.bucket.json']);
  });

  it('accepts a presigned PUT sent with fetch', async () => {
    const { client } = await serve(dir);
    await client.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    const url = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: 'uploads', Key: 'in/photo.png', ContentType: 'image/png' }),
      { expiresIn: 300 },
    );
    const bytes = randomBytes(4096);
    const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: bytes });
    expect(response.status).toBe(200);

    const head = await client.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/photo.png' }));
    expect(head.ContentLength).toBe(4096);
    expect(head.ContentType).toBe('image/png');
    expect(head.ETag).toBe(md5Etag(bytes));
    expect((await bytesOf(client, 'uploads', 'in/photo.png')).equals(bytes)).toBe(true);
    expect(readFileSync(join(dir, 'uploads', `${sha256('in/photo.png')}.data`)).equals(bytes)).toBe(true);
  });

  it('completes a multipart upload and keeps the assembled object', async () => {
    const { client } = await serve(dir);
    await client.send(new CreateBucketCommand({ Bucket: 'payloads' }));
    // fauxqs enforces S3's 5 MiB minimum for every part but the last.
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    const etag = await multipartUpload(client, 'payloads', 'big.csv', parts);
    expect(etag).toBe(multipartEtag(parts));

    const head = await client.send(new HeadObjectCommand({ Bucket: 'payloads', Key: 'big.csv' }));
    expect(head).toMatchObject({ ContentLength: 5 * MiB + 1000, ContentType: 'text/csv', ETag: etag });
    expect(head.Metadata).toEqual({ source: 'multipart' });
    expect((await bytesOf(client, 'payloads', 'big.csv')).equals(Buffer.concat(parts))).toBe(true);

    const hash = sha256('big.csv');
    expect(readFileSync(join(dir, 'payloads', `${hash}.data`)).equals(Buffer.concat(parts))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'payloads', `${hash}.json`), 'utf8'))).toMatchObject({
      key: 'big.csv',
      contentType: 'text/csv',
      metadata: { source: 'multipart' },
      etag,
    });
  });

  it('serves the same buckets and objects after a restart; deleted ones stay deleted, leftovers go', async () => {
    const first = await serve(dir);
    const { client } = first;
    await client.send(new CreateBucketCommand({ Bucket: 'payloads' }));
    await client.send(new CreateBucketCommand({ Bucket: 'spare.bucket-1' }));
    const input = Buffer.from(JSON.stringify({ prompt: 'héllo' }));
    await client.send(
      new PutObjectCommand({
        Bucket: 'payloads',
        Key: 'jobs/a/input.json',
        Body: input,
        ContentType: 'application/json; charset=utf-8',
        Metadata: { owner: 'user-1' },
      }),
    );
    await client.send(new PutObjectCommand({ Bucket: 'payloads', Key: 'jobs/b/input.json', Body: 'b' }));
    await client.send(new PutObjectCommand({ Bucket: 'payloads', Key: 'jobs/d/input.json', Body: 'd' }));
    await client.send(
      new CopyObjectCommand({ Bucket: 'payloads', Key: 'jobs/c/input.json', CopySource: 'payloads/jobs/a/input.json' }),
    );
    const deleted = await client.send(
      new DeleteObjectsCommand({ Bucket: 'payloads', Delete: { Objects: [{ Key: 'jobs/b/input.json' }] } }),
    );
    expect(deleted.Deleted?.map(({ Key }) => Key)).toEqual(['jobs/b/input.json']);
    await client.send(new DeleteObjectCommand({ Bucket: 'payloads', Key: 'jobs/d/input.json' }));
    const upload = randomBytes(3000);
    const url = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: 'payloads', Key: 'jobs/e/upload.bin', ContentType: 'application/pdf' }),
    );
    expect((await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/pdf' }, body: upload })).status).toBe(
      200,
    );
    const parts = [randomBytes(5 * MiB), randomBytes(10)];
    await multipartUpload(client, 'payloads', 'jobs/f/big.csv', parts);

    const expected = new Map<string, Buffer>([
      ['jobs/a/input.json', input],
      ['jobs/c/input.json', input],
      ['jobs/e/upload.bin', upload],
      ['jobs/f/big.csv', Buffer.concat(parts)],
    ]);
    const heads = new Map<string, ReturnType<typeof described>>();
    for (const Key of expected.keys()) {
      heads.set(Key, described(await client.send(new HeadObjectCommand({ Bucket: 'payloads', Key }))));
    }
    const buckets = (await client.send(new ListBucketsCommand({}))).Buckets;
    await first.close();

    // A write killed before its rename, and a bucket folder killed before its rename.
    const leftover = join(dir, 'payloads', '.tmp-0123456789abcdef');
    writeFileSync(leftover, 'half a payl');
    mkdirSync(join(dir, '.tmp-fedcba9876543210'));

    const second = await serve(dir);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(join(dir, '.tmp-fedcba9876543210'))).toBe(false);
    expect((await second.client.send(new ListBucketsCommand({}))).Buckets).toEqual(buckets);
    const listed = await second.client.send(new ListObjectsV2Command({ Bucket: 'payloads' }));
    expect(listed.Contents?.map(({ Key }) => Key)).toEqual([...expected.keys()]);
    for (const [Key, bytes] of expected) {
      expect((await bytesOf(second.client, 'payloads', Key)).equals(bytes), Key).toBe(true);
      const head = await second.client.send(new HeadObjectCommand({ Bucket: 'payloads', Key }));
      expect(described(head), Key).toEqual(heads.get(Key));
    }
    expect(heads.get('jobs/a/input.json')).toMatchObject({
      ContentType: 'application/json; charset=utf-8',
      Metadata: { owner: 'user-1' },
      ETag: md5Etag(input),
    });
    expect(heads.get('jobs/e/upload.bin')).toMatchObject({ ContentType: 'application/pdf', ContentLength: 3000 });
    expect(heads.get('jobs/f/big.csv')).toMatchObject({ ETag: multipartEtag(parts), Metadata: { source: 'multipart' } });
    for (const Key of ['jobs/b/input.json', 'jobs/d/input.json']) {
      await expect(second.client.send(new HeadObjectCommand({ Bucket: 'payloads', Key })), Key).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    }

    // Deleting a bucket after the restart lasts too.
    await second.client.send(new DeleteBucketCommand({ Bucket: 'spare.bucket-1' }));
    await second.close();
    const third = await createFileS3Store(dir);
    expect(third.listBuckets().map(({ name }) => name)).toEqual(['payloads']);
    expect(existsSync(join(dir, 'spare.bucket-1'))).toBe(false);
  });

  it('persists emptyBucket, clearObjects and purgeAll', async () => {
    const store = await createFileS3Store(dir);
    for (const bucket of ['one', 'two']) {
      store.createBucket(bucket);
      store.putObject(bucket, 'x', Buffer.from('x'));
      store.putObject(bucket, 'y', Buffer.from('y'));
    }
    const keysIn = async (bucket: string) =>
      (await createFileS3Store(dir)).listObjects(bucket).objects.map(({ key }) => key);

    store.emptyBucket('one');
    expect(await keysIn('one')).toEqual([]);
    expect(await keysIn('two')).toEqual(['x', 'y']);
    store.putObject('one', 'z', Buffer.from('z'));
    store.clearObjects();
    expect((await createFileS3Store(dir)).listBuckets().map(({ name }) => name)).toEqual(['one', 'two']);
    expect([await keysIn('one'), await keysIn('two')]).toEqual([[], []]);
    store.purgeAll();
    expect((await createFileS3Store(dir)).listBuckets()).toEqual([]);
    expect(tree(dir)).toEqual([]);
  });

  it('ignores damaged objects and folders that are not buckets when loading', async () => {
    const store = await createFileS3Store(dir);
    store.createBucket('bucket');
    for (const key of ['good', 'no-json', 'no-data', 'bad-json', 'changed-data', 'wrong-key']) {
      store.putObject('bucket', key, Buffer.from(`body of ${key}`), 'text/plain', { k: key });
    }
    const file = (key: string, ext: string) => join(dir, 'bucket', `${sha256(key)}.${ext}`);
    const { rmSync, renameSync } = await import('node:fs');
    rmSync(file('no-json', 'json'));
    rmSync(file('no-data', 'data'));
    writeFileSync(file('bad-json', 'json'), '{"key":');
    writeFileSync(file('changed-data', 'data'), 'body of changed-dat!');
    renameSync(file('wrong-key', 'json'), file('other-key', 'json'));
    renameSync(file('wrong-key', 'data'), file('other-key', 'data'));
    mkdirSync(join(dir, 'Not_A_Bucket'));
    writeFileSync(join(dir, 'Not_A_Bucket', `${sha256('x')}.json`), '{}');

    const loaded = await createFileS3Store(dir);
    expect(loaded.listBuckets().map(({ name }) => name)).toEqual(['bucket']);
    expect(loaded.listObjects('bucket').objects.map(({ key }) => key)).toEqual(['good']);
    expect(loaded.getObject('bucket', 'good')).toMatchObject({ contentType: 'text/plain', metadata: { k: 'good' } });
    // Data without its json is what an interrupted delete leaves: removed.
    expect(existsSync(file('no-json', 'data'))).toBe(false);
    expect(existsSync(join(dir, 'Not_A_Bucket'))).toBe(true);
  });

  describe('killed at any file-system step, a restart finds each object old or new', () => {
    type Snapshot = Map<string, string>;

    /** Buckets and objects as a restarted store serves them. */
    async function restartedState(): Promise<Snapshot> {
      const store = await createFileS3Store(dir);
      const state: Snapshot = new Map();
      for (const { name, creationDate } of store.listBuckets()) {
        state.set(name, creationDate.toISOString());
        for (const o of store.listObjects(name).objects) {
          const { body, contentType, metadata, etag, lastModified } = o;
          state.set(`${name}/${o.key}`, JSON.stringify([body.toString('base64'), contentType, metadata, etag, lastModified]));
        }
      }
      return state;
    }

    function expectOldOrNew(state: Snapshot, before: Snapshot, after: Snapshot, step: number): void {
      for (const name of new Set([...before.keys(), ...after.keys(), ...state.keys()])) {
        expect([before.get(name), after.get(name)], `${name} after ${step} steps`).toContainEqual(state.get(name));
      }
    }

    interface Scenario {
      readonly name: string;
      readonly setup: (store: FileS3Store) => void;
      readonly act: (store: FileS3Store) => void;
    }

    const OLD_TIME = new Date('2030-01-02T03:04:05.678Z');
    const NEW_TIME = new Date('2030-01-02T03:04:09.123Z');
    const uploadIds = new Map<FileS3Store, [string, string]>();
    const bucketWith = (store: FileS3Store, ...keys: string[]) => {
      store.createBucket('bucket');
      for (const key of keys) store.putObject('bucket', key, Buffer.from(`old ${key}`), 'text/plain', { v: '1' });
    };
    const scenarios: Scenario[] = [
      {
        name: 'overwrite',
        setup: (store) => bucketWith(store, 'k'),
        act: (store) => store.putObject('bucket', 'k', Buffer.from('a new, longer body'), 'application/json', { v: '2' }),
      },
      {
        name: 'overwrite with the same bytes',
        setup: (store) => bucketWith(store, 'k'),
        act: (store) => store.putObject('bucket', 'k', Buffer.from('old k'), 'text/csv', { v: '2' }),
      },
      {
        name: 'first put',
        setup: (store) => bucketWith(store),
        act: (store) => store.putObject('bucket', 'k', Buffer.from('new'), 'text/plain', { v: '2' }),
      },
      { name: 'delete', setup: (store) => bucketWith(store, 'k'), act: (store) => store.deleteObject('bucket', 'k') },
      {
        name: 'multipart completion over an object',
        setup: (store) => {
          bucketWith(store, 'k');
          const uploadId = store.createMultipartUpload('bucket', 'k', 'text/csv', { v: '2' });
          uploadIds.set(store, [uploadId, store.uploadPart(uploadId, 1, Buffer.from('multipart body'))]);
        },
        act: (store) => {
          const [uploadId, etag] = uploadIds.get(store)!;
          store.completeMultipartUpload(uploadId, [{ partNumber: 1, etag }]);
        },
      },
      { name: 'create bucket', setup: () => {}, act: (store) => store.createBucket('bucket') },
      { name: 'delete bucket', setup: (store) => bucketWith(store), act: (store) => store.deleteBucket('bucket') },
      { name: 'empty bucket', setup: (store) => bucketWith(store, 'k', 'l', 'm'), act: (store) => store.emptyBucket('bucket') },
      { name: 'purge all', setup: (store) => bucketWith(store, 'k', 'l'), act: (store) => store.purgeAll() },
    ];

    it.each(scenarios)('$name', async ({ setup, act }) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const run = async (killAt: number): Promise<boolean> => {
        await rm(dir, { recursive: true, force: true });
        const store = await createFileS3Store(dir);
        vi.setSystemTime(OLD_TIME);
        setup(store);
        vi.setSystemTime(NEW_TIME);
        crash.changes = 0;
        crash.crashAfter = killAt;
        try {
          act(store);
          return false;
        } catch (error) {
          if (error instanceof crash.Killed) return true;
          throw error;
        } finally {
          crash.crashAfter = Number.POSITIVE_INFINITY;
        }
      };
      // The folder before the call (killed before its first change) and after it (not killed).
      await run(0);
      const before = await restartedState();
      expect(await run(Number.POSITIVE_INFINITY)).toBe(false);
      const after = await restartedState();
      expect(after).not.toEqual(before);

      let step = 0;
      while (await run(step)) {
        const state = await restartedState();
        expectOldOrNew(state, before, after, step);
        expect(tree(dir).filter((file) => /\.tmp-|\.pending$/.test(file)), `leftovers after ${step} steps`).toEqual([]);
        expect(await restartedState(), 'loading again changes nothing').toEqual(state);
        // Every object's two files, or neither.
        const objectFiles = (ext: 'json' | 'data') =>
          tree(dir)
            .filter((file) => /\/[0-9a-f]{64}\.(json|data)$/.test(file) && file.endsWith(ext))
            .map((file) => file.slice(0, -ext.length));
        expect(objectFiles('json'), `orphans after ${step} steps`).toEqual(objectFiles('data'));
        step++;
      }
      expect(step, 'steps that were killed').toBeGreaterThan(1);
      expect(await restartedState()).toEqual(after);
    });
  });
});
