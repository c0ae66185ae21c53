/** Reads a Secrets Manager secret once per container, on first use. */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../domain/errors.ts';

export function secretsManagerSecret(
  secretId: string,
  client: SecretsManagerClient = new SecretsManagerClient({}),
): () => Promise<string> {
  return async () => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new ConfigurationError(`Secret ${secretId} has no string value`);
    return SecretString;
  };
}
