import { describe, expect, it } from 'vitest';
import { HmacCursorCodec } from '../../../lambdas/adapters/hmac-cursor-codec.ts';
import { InvalidCursorError } from '../../../lambdas/domain/errors.ts';

const payload = { ownerId: 'user-a', status: null, type: null, priorities: ['high', 'urgent'], sort: 'updatedAt' as const, order: 'asc' as const, position: { at: '2026-03-04T12:00:00.000Z', id: 'abc' } };

describe('HmacCursorCodec', () => {
  it('round-trips a payload', async () => {
    const codec = new HmacCursorCodec('k'.repeat(40));
    expect(await codec.decode(await codec.encode(payload))).toEqual(payload);
  });

  it('refuses a cursor whose payload was edited, even with a well-formed body', async () => {
    const codec = new HmacCursorCodec('k'.repeat(40));
    const [, signature] = (await codec.encode(payload)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, ownerId: 'user-b' })).toString('base64url');
    await expect(codec.decode(`${forged}.${signature}`)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('refuses a cursor signed with another key', async () => {
    const cursor = await new HmacCursorCodec('a'.repeat(40)).encode(payload);
    await expect(new HmacCursorCodec('b'.repeat(40)).decode(cursor)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it.each(['', 'abc', 'a.b.c', '!!!.???', 'x'.repeat(5000)])('refuses garbage %#', async (cursor) => {
    await expect(new HmacCursorCodec('k'.repeat(40)).decode(cursor)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('loads a secret from its source once, and again after a failure', async () => {
    let loads = 0;
    const codec = new HmacCursorCodec(async () => {
      loads++;
      if (loads === 1) throw new Error('secrets manager down');
      return 'k'.repeat(40);
    });
    await expect(codec.encode(payload)).rejects.toThrow('secrets manager down');
    await codec.encode(payload);
    await codec.encode(payload);
    expect(loads).toBe(2);
  });
});
