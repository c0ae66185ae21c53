import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createS3Client, S3PayloadStore } from '../../../lambdas/adapters/s3-payload-store.ts';
import { PayloadMissingError, ServiceUnavailableError } from '../../../lambdas/domain/errors.ts';

const s3 = mockClient(S3Client);
const store = new S3PayloadStore({ bucket: 'payloads', client: new S3Client({ region: 'us-east-1' }) });
const bytes = new TextEncoder().encode('{"hello":"world"}');
const ref = { key: 'results/j/0.json', bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
const body = (content: Uint8Array) => ({ Body: { transformToByteArray: async () => content } as never });
const awsError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

beforeEach(() => s3.reset());

describe('S3PayloadStore', () => {
  it('puts the bytes with their content type and returns the key, size and SHA-256', async () => {
    s3.on(PutObjectCommand).resolves({});
    expect(await store.put(ref.key, bytes, 'application/json')).toEqual(ref);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ Bucket: 'payloads', Key: ref.key, ContentType: 'application/json' });
  });

  it('gets the bytes back when they match the reference', async () => {
    s3.on(GetObjectCommand).resolves(body(bytes));
    expect(new TextDecoder().decode(await store.get(ref))).toBe('{"hello":"world"}');
  });

  it('refuses bytes that do not match the reference, and a missing object, as PayloadMissingError', async () => {
    s3.on(GetObjectCommand).resolves(body(new TextEncoder().encode('{"hello":"WORLD"}')));
    await expect(store.get(ref)).rejects.toBeInstanceOf(PayloadMissingError);
    s3.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
    await expect(store.get(ref)).rejects.toBeInstanceOf(PayloadMissingError);
  });

  it('turns throttling and 5xx into ServiceUnavailableError and lets access errors through', async () => {
    s3.on(PutObjectCommand).rejects(awsError('SlowDown', 503));
    await expect(store.put('inputs/x', bytes, 'application/json')).rejects.toBeInstanceOf(ServiceUnavailableError);
    s3.on(GetObjectCommand).rejects(awsError('InternalError', 500));
    await expect(store.get(ref)).rejects.toBeInstanceOf(ServiceUnavailableError);
    s3.on(GetObjectCommand).rejects(awsError('AccessDenied', 403));
    await expect(store.get(ref)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('presigns a PUT that signs the content type and length (S3 refuses others) and carries no checksum of an empty body', async () => {
    const signer = new S3PayloadStore({
      bucket: 'payloads',
      client: createS3Client({}, { region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' } }),
    });
    const ticket = await signer.presignPut('uploads/owner/id.42', { contentType: 'application/pdf', bytes: 42, expiresInSeconds: 900 });
    const url = new URL(ticket.url);
    expect(url.origin).toBe('https://payloads.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/uploads/owner/id.42');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('token');
    expect([...url.searchParams.keys()].filter((name) => name.toLowerCase().includes('checksum'))).toEqual([]);
    expect(ticket.headers).toEqual({ 'Content-Type': 'application/pdf', 'Content-Length': '42' });
  });

  it('builds clients path-style only when S3_FORCE_PATH_STYLE is true, with checksums only where required', async () => {
    expect(await createS3Client({}).config.forcePathStyle).toBe(false);
    const local = createS3Client({ S3_FORCE_PATH_STYLE: 'true' });
    expect(await local.config.forcePathStyle).toBe(true);
    expect(await local.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
  });
});
