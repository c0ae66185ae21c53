/**
 * What each route function's bundle carries, from the route table: only a route that touches the
 * payload bucket bundles the S3 client, only one that may send to the queue the SQS client. The
 * poller's smallest route (/status) carries neither, nor zod.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition } from '../../lambdas/api/routes.ts';
import { LOCAL_TOKENS_DEFINE } from '../../lambdas/shared/resources.ts';
import { bundleEntry } from '../support/bundle.ts';

const routes: readonly RouteDefinition[] = ROUTES;

async function packagesOf(entry: string): Promise<Set<string>> {
  const { metafile } = await bundleEntry(entry, { [LOCAL_TOKENS_DEFINE]: 'false' });
  const names = Object.keys(metafile.inputs).flatMap((input) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    return match ? [match[1]!] : [];
  });
  return new Set(names);
}

describe('route bundles', () => {
  it.each(routes)('$name bundles the S3 client only if it has payload access, the SQS client only if it sends', async (route) => {
    const packages = await packagesOf(route.entry);
    expect(packages.has('@aws-sdk/client-s3')).toBe(route.access.payloads !== undefined);
    expect(packages.has('@aws-sdk/client-sqs')).toBe(route.access.queueSend === true);
    expect(packages.has('@aws-sdk/client-dynamodb')).toBe(route.access.table.length > 0 || (route.access.workspaces ?? []).length > 0);
    // The OpenAPI generator (lib/openapi) is build-time only.
    expect(packages.has('zod-openapi')).toBe(false);
  });

  it('get-job-status is the table client and the shared HTTP code only: no S3, SQS, Secrets Manager or zod', async () => {
    const route = routes.find((candidate) => candidate.name === 'get-job-status')!;
    // The job's record, and a member's membership of a workspace job's workspace.
    expect(route.access).toEqual({ table: ['dynamodb:GetItem'], workspaces: ['dynamodb:GetItem'] });
    const packages = await packagesOf(route.entry);
    for (const name of ['@aws-sdk/client-s3', '@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager', 'zod']) expect(packages.has(name), name).toBe(false);
  });
});
