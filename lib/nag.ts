/**
 * cdk-nag 3 acknowledgements go through CDK's native `Validations.of(scope).acknowledge()`; a
 * finding with a detail is acknowledged by its full id, e.g. `AwsSolutions-IAM5[Resource::*]`.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges a cdk-nag finding on `scope` and everything below it, with a written reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 10) throw new Error(`cdk-nag acknowledgement ${id} needs a real reason`);
  Validations.of(scope).acknowledge({ id, reason });
}
