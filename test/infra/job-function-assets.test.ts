/**
 * With bundling on (as `cdk synth` and `cdk deploy` run it, not skipped as the other infra tests
 * do), each JobFunction gets its own code: CDK caches bundled assets by source path and bundling
 * options, and every function bundles from the project root, so the entry and the compile-time
 * constants must be part of that key. Without them every function deploys the first one's bundle.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { JobFunction } from '../../lib/constructs/job-function.ts';
import { CDK_JSON_CONTEXT } from './support/synth.ts';

const outdir = mkdtempSync(path.join(tmpdir(), 'job-function-assets-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function codeKeys(): Map<string, string> {
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT } });
  const stack = new Stack(app, 'AssetsUnderTest');
  const functions = {
    me: new JobFunction(stack, 'Me', { entry: 'lambdas/api/handlers/workspaces/get-me.ts', description: 'get-me' }),
    authorizer: new JobFunction(stack, 'Authorizer', { entry: 'lambdas/local-authorizer/handler.ts', description: 'local authorizer' }),
    meWithConstant: new JobFunction(stack, 'MeWithConstant', {
      entry: 'lambdas/api/handlers/workspaces/get-me.ts',
      description: 'get-me, another constant',
      define: { JOBS_ROUTE_SCOPE: JSON.stringify('jobs/write') },
    }),
  };
  const template = Template.fromStack(stack);
  const keys = new Map<string, string>();
  for (const [name, fn] of Object.entries(functions)) {
    const id = stack.getLogicalId(fn.function.node.defaultChild as never);
    const code = template.toJSON().Resources[id].Properties.Code as { S3Key: string };
    keys.set(name, code.S3Key);
  }
  return keys;
}

describe('JobFunction code assets', () => {
  it('bundles each entry, and each set of constants, into its own asset', () => {
    const keys = codeKeys();
    expect(new Set(keys.values()).size).toBe(3);
    // Each asset is a real bundle: index.mjs, Lambda's `index.handler`.
    for (const key of keys.values()) {
      const asset = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
      expect(existsSync(path.join(asset, 'index.mjs')), asset).toBe(true);
    }
    expect(readdirSync(outdir).filter((name) => name.startsWith('asset.'))).toHaveLength(3);
  });
});
