/**
 * Builds the jobs stack the way `cdk synth` does (cdk.json feature flags, context-driven config)
 * but without bundling, plus small readers for the synthesized template.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type CfnElement, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { readConfig } from '../../../lib/config.ts';
import { JobsStack } from '../../../lib/jobs-stack.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../../lib/local/tokens.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as {
  readonly context: Record<string, unknown>;
};

/** Feature flags and defaults from cdk.json, as the CLI passes them. */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = cdkJson.context;

export interface SynthesizedStack {
  readonly stack: JobsStack;
  readonly template: Template;
}

/**
 * Builds the stack with extra context (the `-c key=value` of the CLI); bundling is skipped.
 * CDK's built-in CloudFormation validation costs seconds per process, so only the test that is
 * about it turns it on (`cdk synth` always runs it).
 */
export function buildStack(context: Record<string, unknown> = {}, options: BuildOptions = {}): JobsStack {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: options.cfnValidation ?? false,
  });
  const config = readConfig((key) => app.node.tryGetContext(key));
  // Like bin/app.ts, but with a key of the test run instead of the developer's `.dev-data` key.
  const localJwks = config.localstack ? (options.localKey ?? testSigningKey()).jwks : undefined;
  return new JobsStack(app, 'JobsStackUnderTest', {
    config,
    ...(options.env ? { env: options.env } : {}),
    ...(localJwks ? { localJwks } : {}),
  });
}

export interface BuildOptions {
  /** @default false */
  readonly cfnValidation?: boolean;
  /** @default - environment-agnostic, like `cdk synth` without credentials */
  readonly env?: Environment;
  /** The local token key of the LocalStack variant. @default testSigningKey() */
  readonly localKey?: SigningKey;
}

let testKey: SigningKey | undefined;
/** A local token signing key created once per test file in a temporary folder (removed at exit). */
export function testSigningKey(): SigningKey {
  if (!testKey) {
    const dir = mkdtempSync(path.join(tmpdir(), 'infra-local-key-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    testKey = loadOrCreateSigningKey(dir);
  }
  return testKey;
}

/** Builds and synthesizes the stack with extra context. */
export function synthStack(context: Record<string, unknown> = {}, options: BuildOptions = {}): SynthesizedStack {
  const stack = buildStack(context, options);
  return { stack, template: Template.fromStack(stack) };
}

let defaultStack: SynthesizedStack | undefined;
/** The stack with default configuration, synthesized once per test file. */
export function synthDefaultStack(): SynthesizedStack {
  defaultStack ??= synthStack();
  return defaultStack;
}

/** The logical id of a construct's CloudFormation resource (or of the resource itself). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return element.stack.getLogicalId(element);
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the identity policies attached to a role. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleLogicalId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statement: Statement): string[] => [statement.Action].flat();

/** The sorted, distinct actions a role may call. */
export function roleActions(template: Template, roleLogicalId: string): string[] {
  return [...new Set(roleStatements(template, roleLogicalId).flatMap(actionsOf))].sort();
}

/** Renders a template value with intrinsics as text: `{Ref: X}` → `${X}`, GetAtt → `${X.Attr}`. */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Ref' in record) return `\${${String(record.Ref)}}`;
    if ('Fn::GetAtt' in record) return `\${${(record['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

/** The statement's resources, rendered as text. */
export const resourcesOf = (statement: Statement): string[] => [statement.Resource].flat().map(render);
