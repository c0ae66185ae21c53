/** Bedrock Runtime SDK errors by name, as the client throws them, for tables of error cases. */
import * as sdk from '@aws-sdk/client-bedrock-runtime';

/** The SDK's class of a Bedrock Runtime error, by name (an unknown name throws). */
export function sdkErrorClass(name: string): typeof sdk.BedrockRuntimeServiceException {
  const exported: unknown = (sdk as Record<string, unknown>)[name];
  if (typeof exported !== 'function' || !(exported.prototype instanceof sdk.BedrockRuntimeServiceException)) {
    throw new Error(`@aws-sdk/client-bedrock-runtime has no error class ${name}`);
  }
  return exported as typeof sdk.BedrockRuntimeServiceException;
}

/** An error of the SDK's class `name` with `message`, as the client throws it for an HTTP `status`. */
export function sdkError(
  name: string,
  status: number,
  message: string,
  fields: Readonly<Record<string, unknown>> = {},
): sdk.BedrockRuntimeServiceException {
  const ErrorClass = sdkErrorClass(name) as unknown as new (options: Record<string, unknown>) => sdk.BedrockRuntimeServiceException;
  return new ErrorClass({ message, $metadata: { httpStatusCode: status }, ...fields });
}
