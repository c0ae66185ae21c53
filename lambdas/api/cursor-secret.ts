/**
 * The list function's cursor codec: cursors are signed with CURSOR_SECRET (local runs, at least
 * 32 characters) or the Secrets Manager secret in CURSOR_SECRET_ARN, read on first use. The
 * Secrets Manager client is loaded with that first read (a chunk of its own in the bundle), so a
 * cold start does not load it.
 */
import { HmacCursorCodec } from '../adapters/hmac-cursor-codec.ts';
import { ConfigurationError } from '../domain/errors.ts';
import { requireEnv, type Env } from '../shared/config.ts';
import { ENV } from '../shared/resources.ts';

export async function cursorCodecFrom(env: Env): Promise<HmacCursorCodec> {
  const value = env[ENV.cursorSecret]?.trim();
  if (value) {
    if (value.length < 32) throw new ConfigurationError(`${ENV.cursorSecret} must be at least 32 characters`);
    return new HmacCursorCodec(value);
  }
  const arn = requireEnv(env, ENV.cursorSecretArn);
  return new HmacCursorCodec(async () => {
    const { secretsManagerSecret } = await import('../adapters/secrets-manager-secret.ts');
    return secretsManagerSecret(arn)();
  });
}
