/**
 * The list functions' cursor codec on AWS (CURSOR_SECRET_ARN): the Secrets Manager secret is read
 * with the first cursor signed or checked, once, not when the function starts.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { cursorCodecFrom } from '../../../lambdas/api/cursor-secret.ts';
import { HmacCursorCodec } from '../../../lambdas/adapters/hmac-cursor-codec.ts';
import { ENV } from '../../../lambdas/shared/resources.ts';

const secrets = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor';
const SECRET = 's'.repeat(40);
const payload = { ownerId: 'user-a', status: null, type: null, priorities: null, sort: 'createdAt' as const, order: 'desc' as const, position: { at: '2026-03-04T12:00:00.000Z', id: 'abc' } };

afterEach(() => secrets.reset());

describe('cursorCodecFrom with CURSOR_SECRET_ARN', () => {
  it('reads the secret on the first cursor, not at start-up, and only once', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: SECRET });

    const codec = await cursorCodecFrom({ [ENV.cursorSecretArn]: ARN });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);

    const cursor = await codec.encode(payload);
    expect(await codec.decode(cursor)).toEqual(payload);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    // Signed with the secret's value: a codec given that value directly accepts the cursor.
    expect(await new HmacCursorCodec(SECRET).decode(cursor)).toEqual(payload);
  });
});
