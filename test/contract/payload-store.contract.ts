/**
 * The PayloadStore contract: one suite for the in-memory store of the domain tests and the S3
 * adapter (on fauxqs, or the endpoint in AWS_ENDPOINT_URL), so the fake cannot drift from S3.
 */
import { describe, expect, it } from 'vitest';
import { PayloadMissingError } from '../../lambdas/domain/errors.ts';
import type { PayloadStore } from '../../lambdas/domain/ports.ts';

export interface PayloadStoreUnderTest {
  readonly store: PayloadStore;
  /** What a client does with a presigned upload: PUT the bytes to the URL. */
  upload(url: string, headers: Readonly<Record<string, string>>, body: Uint8Array): Promise<void>;
}

export function describePayloadStoreContract(name: string, make: () => PayloadStoreUnderTest): void {
  describe(`PayloadStore contract: ${name}`, () => {
    const key = (prefix: string) => `${prefix}/${crypto.randomUUID()}/payload`;
    const bytes = (text: string) => new TextEncoder().encode(text);

    it('puts bytes and gets them back by their reference (key, size, SHA-256)', async () => {
      const { store } = make();
      const body = bytes(JSON.stringify({ output: 'é'.repeat(3000) }));
      const ref = await store.put(key('results'), body, 'application/json');
      expect(ref).toMatchObject({ bytes: body.byteLength, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(await store.get(ref)).toEqual(body);
      expect(await store.read(ref.key)).toEqual(body);
      expect(await store.head(ref.key)).toEqual({ bytes: body.byteLength, contentType: 'application/json' });
    });

    it('refuses a reference whose object is gone or different, as PayloadMissingError', async () => {
      const { store } = make();
      const ref = await store.put(key('inputs'), bytes('first'), 'application/json');
      await store.put(ref.key, bytes('other'), 'application/json');
      await expect(store.get(ref)).rejects.toBeInstanceOf(PayloadMissingError);
      const gone = { ...ref, key: key('inputs') };
      await expect(store.get(gone)).rejects.toBeInstanceOf(PayloadMissingError);
      await expect(store.read(gone.key)).rejects.toBeInstanceOf(PayloadMissingError);
      expect(await store.head(gone.key)).toBeUndefined();
    });

    it('copies an object, keeping its bytes and type; copying a missing one is PayloadMissingError', async () => {
      const { store } = make();
      const from = key('uploads');
      await store.put(from, bytes('%PDF-1.4 copy me'), 'application/pdf');
      const to = key('inputs');
      await store.copy(from, to);
      expect(await store.read(to)).toEqual(bytes('%PDF-1.4 copy me'));
      expect((await store.head(to))?.contentType).toBe('application/pdf');
      await expect(store.copy(key('uploads'), key('inputs'))).rejects.toBeInstanceOf(PayloadMissingError);
    });

    it('presigns a PUT a client without credentials uploads to, of the given type and size', async () => {
      const { store, upload } = make();
      const target = key('uploads');
      const body = bytes('%PDF-1.4 uploaded by a client');
      const ticket = await store.presignPut(target, { contentType: 'application/pdf', bytes: body.byteLength, expiresInSeconds: 60 });
      expect(ticket).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'application/pdf', 'Content-Length': String(body.byteLength) } });
      expect(Date.parse(ticket.expiresAt) - Date.now()).toBeGreaterThan(50_000);
      await upload(ticket.url, ticket.headers, body);
      expect(await store.head(target)).toEqual({ bytes: body.byteLength, contentType: 'application/pdf' });
      expect(await store.read(target)).toEqual(body);
    });
  });
}
