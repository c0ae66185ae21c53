/**
 * The list function's cursor codec: cursors are signed with CURSOR_SECRET (local runs, at least
 * 32 characters) or the Secrets Manager secret in CURSOR_SECRET_ARN, read on first use.
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
  const { secretsManagerSecret } = await import('../adapters/secrets-manager-secret.ts');
  return new HmacCursorCodec(secretsManagerSecret(arn));
}
