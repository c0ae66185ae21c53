/**
 * What each function's bundle carries (built as the stack builds it, lib/bundling.ts), from the
 * route table: only a route that touches the payload bucket bundles the S3 client, only one that
 * may send to the queue the SQS client, only one that signs cursors the Secrets Manager client;
 * read routes carry no zod, and load the S3 client only when they read a stored result and the
 * Secrets Manager client only when they first sign or check a cursor, never at cold start; the AWS variant carries no token verifier; and each function wires exactly one
 * handler module. A read route's cold start loads at most 1.3× the code of the floor (one GetItem
 * through lib-dynamodb, bench/floors/read-route.ts) bundled the same way in the same run, and none
 * of the write side of the stores nor the S3 client's share of the SDK core.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES, routeDefines, type RouteDefinition } from '../../lambdas/api/routes.ts';
import { COMPILED_JOB_TYPES_JSON } from '../../lambdas/job-types/compile.ts';
import { jobTypeCatalog } from '../../lambdas/job-types/definitions.ts';
import { BACKGROUND_ENTRIES } from '../../lambdas/shared/resources.ts';
import { bundleEntry, type Bundle } from '../support/bundle.ts';

const routes: readonly RouteDefinition[] = ROUTES;
const ROUTE_JOB_TYPES = jobTypeCatalog.names();
/** The job types' worker.ts chunks: the worker imports them at start-up (processors.ts awaits them). */
const JOB_TYPE_WORKER = /^lambdas\/job-types\/[^/]+\/worker\.ts$/;
const readRoutes = routes.filter((route) => route.method === 'GET');

const bundles = new Map<string, Promise<Bundle>>();
/** What a read route is measured against: one GetItem through lib-dynamodb, bundled the same way. */
const floorBundle = bundleEntry('bench/floors/read-route.ts');
/** The AWS variant's route bundle (the stack's constants: no local tokens, the route's scope), built once per file. */
const routeBundle = (route: RouteDefinition): Promise<Bundle> => {
  if (!bundles.has(route.entry)) bundles.set(route.entry, bundleEntry(route.entry, routeDefines(route.name, false)));
  return bundles.get(route.entry)!;
};

describe('route bundles', () => {
  it.each(routes)('$name bundles the S3 client only if it has payload access, SQS only if it sends, Secrets Manager only if it signs cursors', async (route) => {
    const { packages } = await routeBundle(route);
    expect(packages.has('@aws-sdk/client-s3')).toBe(route.access.payloads !== undefined);
    expect(packages.has('@aws-sdk/client-sqs')).toBe(route.access.queueSend === true);
    expect(packages.has('@aws-sdk/client-secrets-manager')).toBe(route.access.cursorSecret === true);
    expect(packages.has('@aws-sdk/client-dynamodb')).toBe(route.access.table.length > 0 || (route.access.workspaces ?? []).length > 0);
    // The OpenAPI generator (lib/openapi) is build-time only.
    expect(packages.has('zod-openapi')).toBe(false);
  });

  it.each(routes)('$name bundles one handler module (its own), so the function wires once, and no token verifier', async (route) => {
    const { files, packages } = await routeBundle(route);
    expect(files.filter((file) => file.startsWith('lambdas/api/handlers/'))).toEqual([route.entry]);
    expect(packages.has('aws-jwt-verify')).toBe(false);
  });

  it.each(readRoutes)('read route $name carries no zod, and loads the S3 and Secrets Manager clients (if any) only on first use', async (route) => {
    const { packages, initPackages } = await routeBundle(route);
    expect(packages.has('zod')).toBe(false);
    expect(initPackages.has('@aws-sdk/client-s3')).toBe(false);
    expect(initPackages.has('@aws-sdk/client-secrets-manager')).toBe(false);
    // The table client, where the route has one, is loaded at cold start (it serves every request).
    expect(initPackages.has('@aws-sdk/client-dynamodb')).toBe(packages.has('@aws-sdk/client-dynamodb'));
  });

  it.each(readRoutes)('read route $name loads at most 1.3× the floor\'s code at cold start (init KB, as bench/bundles.ts)', async (route) => {
    const [{ initBytes }, floor] = await Promise.all([routeBundle(route), floorBundle]);
    expect(initBytes / floor.initBytes).toBeLessThanOrEqual(1.3);
  });

  it.each(readRoutes)('read route $name loads no store write code, no route table and none of the S3 client\'s SDK core at cold start', async (route) => {
    const { initInputs } = await routeBundle(route);
    const loaded = [...initInputs];
    // The route's scope is a build-time constant: the route table is not loaded.
    expect(loaded).not.toContain('lambdas/api/routes.ts');
    for (const writeSide of ['lambdas/adapters/dynamo-job-store.ts', 'lambdas/adapters/dynamo-workspace-store.ts']) {
      // get-workspace, list-members and list-workspaces are ManageWorkspaces' routes: the workspace store whole.
      if (writeSide.includes('workspace-store') && route.access.table.length === 0 && route.access.workspaces !== undefined) continue;
      expect(loaded, writeSide).not.toContain(writeSide);
    }
    // Files of the SDK core only the S3 client uses (its REST-XML protocol, MD5 checksums), which code splitting used to load at cold start.
    const s3Only = ['protocols/xml/AwsRestXmlProtocol.js', 'protocols/xml/XmlShapeSerializer.js', 'checksum/md5/Md5Js.js'];
    expect(loaded.filter((input) => s3Only.some((file) => input.endsWith(file)))).toEqual([]);
  });

  it('get-job-status is the table client and the shared HTTP code only: no S3, SQS, Secrets Manager or zod', async () => {
    const route = routes.find((candidate) => candidate.name === 'get-job-status')!;
    // The job's record, and a member's membership of a workspace job's workspace.
    expect(route.access).toEqual({ table: ['dynamodb:GetItem'], workspaces: ['dynamodb:GetItem'] });
    const { packages } = await routeBundle(route);
    for (const name of ['@aws-sdk/client-s3', '@aws-sdk/client-sqs', '@aws-sdk/client-secrets-manager', 'zod']) expect(packages.has(name), name).toBe(false);
  });
});

describe('background bundles', () => {
  /** The worker as the stack builds it, once for the file; what it loads at cold start includes the worker.ts chunks it imports at start-up. */
  const workerBundle = bundleEntry(BACKGROUND_ENTRIES.worker, {}, { alsoAtInit: JOB_TYPE_WORKER });

  it('the worker loads DynamoDB, SQS and Bedrock at cold start, the S3 client only when a job reads or writes a stored payload', async () => {
    const { packages, initPackages } = await workerBundle;
    for (const name of ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs', '@aws-sdk/client-bedrock-runtime']) expect(initPackages.has(name), name).toBe(true);
    expect(packages.has('@aws-sdk/client-s3')).toBe(true);
    expect(initPackages.has('@aws-sdk/client-s3')).toBe(false);
    for (const name of ['@aws-sdk/client-secrets-manager', 'aws-jwt-verify']) expect(packages.has(name), name).toBe(false);
  });

  it('the worker carries no zod: its job types come compiled to JSON Schemas, the same the unbundled worker compiles', async () => {
    const { packages, code } = await workerBundle;
    expect(packages.has('zod')).toBe(false);
    // The compiled types are in the bundle as JSON text, exactly what compile.ts makes of them.
    expect(code.includes(COMPILED_JOB_TYPES_JSON), 'the compiled job types, as JSON text').toBe(true);
    expect(JSON.parse(COMPILED_JOB_TYPES_JSON).map((type: { name: string }) => type.name)).toStrictEqual(ROUTE_JOB_TYPES);
  });

  it('the worker loads at most 1.3× the code of its floor at cold start (the DynamoDB, SQS and Bedrock clients alone, bundled the same way)', async () => {
    const [worker, floor] = await Promise.all([workerBundle, bundleEntry('bench/floors/worker.ts')]);
    expect(Number((worker.initBytes / floor.initBytes).toFixed(3))).toBeLessThanOrEqual(1.3);
  });

  it.each(['dlqConsumer', 'reconciler'] as const)('the %s carries no zod, Bedrock, Secrets Manager or token verifier', async (name) => {
    const { packages } = await bundleEntry(BACKGROUND_ENTRIES[name]);
    for (const pkg of ['zod', '@aws-sdk/client-bedrock-runtime', '@aws-sdk/client-secrets-manager', 'aws-jwt-verify']) expect(packages.has(pkg), pkg).toBe(false);
  });
});
