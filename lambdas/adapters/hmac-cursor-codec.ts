/**
 * Opaque, tamper-proof list cursors: base64url(JSON payload) + "." + base64url(HMAC-SHA256).
 * The payload names the caller and the filters it was issued for, so a cursor can neither be
 * edited nor replayed by another user or with another query.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError } from '../domain/errors.ts';
import type { CursorCodec, CursorPayload } from '../domain/ports.ts';

export type SecretSource = string | (() => Promise<string>);

/** Longest cursor accepted; ours are well under this. */
const MAX_CURSOR_LENGTH = 2048;

export class HmacCursorCodec implements CursorCodec {
  private key: Promise<string> | undefined;

  constructor(private readonly secret: SecretSource) {}

  async encode(payload: CursorPayload): Promise<string> {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${await this.sign(body)}`;
  }

  async decode(cursor: string): Promise<CursorPayload> {
    if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError();
    const [body, signature, extra] = cursor.split('.');
    if (!body || !signature || extra !== undefined) throw new InvalidCursorError();
    const expected = Buffer.from(await this.sign(body), 'base64url');
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError();
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as CursorPayload;
      if (typeof payload?.ownerId !== 'string' || typeof payload.position?.id !== 'string' || typeof payload.position.at !== 'string') {
        throw new InvalidCursorError();
      }
      return payload;
    } catch {
      throw new InvalidCursorError();
    }
  }

  private async sign(body: string): Promise<string> {
    this.key ??= typeof this.secret === 'string' ? Promise.resolve(this.secret) : this.secret();
    let key: string;
    try {
      key = await this.key;
    } catch (error) {
      this.key = undefined; // try again on the next request
      throw error;
    }
    return createHmac('sha256', key).update(body).digest('base64url');
  }
}
