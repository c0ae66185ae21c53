import { describe, expect, it } from 'vitest';
import { ROUTES, type RouteDefinition, type RouteName } from '../../lambdas/api/routes.ts';
import { JOB_PRIORITIES } from '../../lambdas/domain/job.ts';
import { ENV, JOBS_TABLE, PAYLOADS, PRIORITY_BANDS, WORKSPACES_TABLE } from '../../lambdas/shared/resources.ts';
import { QUOTA_ROUTES } from '../../lib/constructs/jobs-api.ts';
import { actionsOf, logicalId, resourcesOf, roleActions, roleStatements, synthDefaultStack, synthStack, type Statement } from './support/synth.ts';
import { POWERTOOLS_SERVICE_NAME } from '../../lib/constructs/job-function.ts';

/** What every function's role holds besides its route's access: its own logs and X-Ray. */
const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const SECRET_READ_ACTIONS = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];

/** The route table, widened so that optional access flags can be read on every entry. */
const routes: readonly RouteDefinition[] = ROUTES;

describe('route functions', () => {
  const { stack, template } = synthDefaultStack();
  const functionOf = (name: string) => {
    const fn = stack.api.routeFunctions.get(name as RouteName);
    if (!fn) throw new Error(`no function for route ${name}`);
    return fn;
  };

  it('creates one function per route', () => {
    expect([...stack.api.routeFunctions.keys()].sort()).toEqual(ROUTES.map((route) => route.name).sort());
    const ids = new Set([...stack.api.routeFunctions.values()].map((fn) => logicalId(fn.function)));
    expect(ids.size).toBe(ROUTES.length);
    const functions = template.findResources('AWS::Lambda::Function');
    for (const id of ids) expect(functions[id], id).toBeDefined();
  });

  it.each(routes)('grants $name exactly the actions of its route-table entry', (route) => {
    const expected = [
      ...new Set([
        ...route.access.table,
        ...(route.access.workspaces ?? []),
        ...Object.values(route.access.payloads ?? {}).flat(),
        ...(route.access.queueSend ? ['sqs:SendMessage'] : []),
        ...(route.access.cursorSecret ? SECRET_READ_ACTIONS : []),
        ...BASELINE_ACTIONS,
      ]),
    ].sort();
    expect(roleActions(template, logicalId(functionOf(route.name).role))).toEqual(expected);
  });

  it.each(routes)('scopes the payload actions of $name to its prefixes of the payload bucket, nothing on the bucket', (route) => {
    const bucketArn = `\${${logicalId(stack.payloads.bucket)}.Arn}`;
    const statements = roleStatements(template, logicalId(functionOf(route.name).role)).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('s3:')),
    );
    const granted = statements.flatMap((statement) =>
      resourcesOf(statement).flatMap((resource) => actionsOf(statement).map((action) => `${action} ${resource}`)),
    );
    const expected = Object.entries(route.access.payloads ?? {}).flatMap(([prefix, actions]) =>
      (actions ?? []).map((action) => `${action} ${bucketArn}/${PAYLOADS.prefixes[prefix as keyof typeof PAYLOADS.prefixes]}*`),
    );
    expect(granted.sort()).toEqual(expected.sort());
  });

  it('lets each route query exactly the indexes it reads: list-jobs the two owner ones, create the quota and reuse ones, retry the quota one', () => {
    const queried = Object.fromEntries(routes.filter((route) => route.access.indexes).map((route) => [route.name, route.access.indexes]));
    expect(queried).toEqual({
      'list-jobs': [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.ownerUpdatedIndex.name],
      'create-job': [JOBS_TABLE.activeIndex.name, JOBS_TABLE.reuseIndex.name],
      'retry-job': [JOBS_TABLE.activeIndex.name],
      // Workspaces (issue 11): the same as the personal routes; deleting a workspace reads one page of byOwner.
      'workspace-list-jobs': [JOBS_TABLE.ownerIndex.name, JOBS_TABLE.ownerUpdatedIndex.name],
      'workspace-create-job': [JOBS_TABLE.activeIndex.name, JOBS_TABLE.reuseIndex.name],
      'workspace-retry-job': [JOBS_TABLE.activeIndex.name],
      'delete-workspace': [JOBS_TABLE.ownerIndex.name],
    });
  });

  it.each(routes)('scopes the table actions of $name to the jobs and workspaces tables (and the indexes it names for Query)', (route) => {
    const tableArn = `\${${logicalId(stack.jobsTable.table)}.Arn}`;
    const workspacesArn = `\${${logicalId(stack.workspacesTable.table)}.Arn}`;
    const granted = roleStatements(template, logicalId(functionOf(route.name).role))
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')))
      .flatMap((statement) => resourcesOf(statement).flatMap((resource) => actionsOf(statement).map((action) => `${action} ${resource}`)));
    const onJobs = route.access.table.flatMap((action) =>
      action === 'dynamodb:Query'
        ? [tableArn, ...(route.access.indexes ?? []).map((index) => `${tableArn}/index/${index}`)].map((arn) => `${action} ${arn}`)
        : [`${action} ${tableArn}`],
    );
    // Query on the workspaces table: a workspace's members (the table), or a caller's workspaces (byPrincipal only).
    const onWorkspaces = (route.access.workspaces ?? []).map((action) =>
      action === 'dynamodb:Query' && route.access.workspacesByPrincipal
        ? `${action} ${workspacesArn}/index/${WORKSPACES_TABLE.principalIndex.name}`
        : `${action} ${workspacesArn}`,
    );
    expect([...new Set(granted)].sort()).toEqual([...onJobs, ...onWorkspaces].sort());
  });

  it('lets the job routes read the workspaces table with GetItem only (the caller\'s membership, a workspace\'s jobShards)', () => {
    // The personal reads answer a member for a workspace job too: GET /api/jobs/{id}, its status and its result.
    const memberReads = ['get-job', 'get-job-status', 'get-job-result'];
    const jobRoutes = routes.filter((route) => route.name.startsWith('workspace-') || memberReads.includes(route.name));
    expect(jobRoutes).toHaveLength(10);
    for (const route of jobRoutes) expect(route.access.workspaces).toEqual(['dynamodb:GetItem']);
    const personal = routes.filter((route) => route.access.table.length > 0 && !jobRoutes.includes(route) && route.name !== 'delete-workspace');
    for (const route of personal) expect(route.access.workspaces, route.name).toBeUndefined();
  });

  it('passes the quotas (context maxActiveJobsPerCaller, default 100, and maxActiveJobsPerCallerByType over the types\' own) to the create and retry functions only (personal and workspace)', () => {
    const variables = (name: string) =>
      template.findResources('AWS::Lambda::Function')[logicalId(functionOf(name).function)]?.Properties.Environment.Variables ?? {};
    expect([...QUOTA_ROUTES].sort()).toEqual(['create-job', 'retry-job', 'workspace-create-job', 'workspace-retry-job']);
    for (const name of QUOTA_ROUTES) {
      expect(variables(name)[ENV.maxActiveJobsPerCaller]).toBe('100');
      expect(JSON.parse(variables(name)[ENV.maxActiveJobsPerCallerByType])).toEqual({ PARSE_DOCUMENT: 10 });
    }
    const custom = synthStack({ maxActiveJobsPerCaller: 7, maxActiveJobsPerCallerByType: '{"PARSE_DOCUMENT":3,"RISK_ANALYSIS":4}' });
    for (const name of QUOTA_ROUTES) {
      const fn = custom.stack.api.routeFunctions.get(name)!;
      const resource = custom.template.findResources('AWS::Lambda::Function')[logicalId(fn.function)];
      expect(resource?.Properties.Environment.Variables[ENV.maxActiveJobsPerCaller]).toBe('7');
      expect(JSON.parse(resource?.Properties.Environment.Variables[ENV.maxActiveJobsPerCallerByType])).toEqual({ PARSE_DOCUMENT: 3, RISK_ANALYSIS: 4 });
    }
  });

  it('lets only the roles of routes with cursorSecret read any secret, and only the cursor-signing one', () => {
    const secretRef = { Ref: logicalId(stack.api.cursorSecret) };
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as Statement[]).some((statement) => {
          const readsSecret = actionsOf(statement).some((action) => action.startsWith('secretsmanager:'));
          if (readsSecret) expect(statement.Resource).toEqual(secretRef);
          return readsSecret;
        }),
      )
      .flatMap((policy) => (policy.Properties.Roles as { Ref: string }[]).map((role) => role.Ref));
    const expected = routes.filter((route) => route.access.cursorSecret).map((route) => logicalId(functionOf(route.name).role));
    expect(readers.sort()).toEqual(expected.sort());
  });

  it.each(routes.filter((route) => route.access.queueSend))('lets $name send to the four band queues and nothing else', (route) => {
    const statements = roleStatements(template, logicalId(functionOf(route.name).role)).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('sqs:')),
    );
    expect(statements.flatMap(actionsOf).every((action) => action === 'sqs:SendMessage')).toBe(true);
    expect(statements.flatMap(resourcesOf).sort()).toEqual(
      JOB_PRIORITIES.map((band) => `\${${logicalId(stack.queues.bandQueues[band])}.Arn}`).sort(),
    );
  });

  it.each(routes)('gives $name the environment of its access and nothing it may not use', (route) => {
    const fn = functionOf(route.name);
    const resource = template.findResources('AWS::Lambda::Function')[logicalId(fn.function)];
    const variables = Object.keys(resource?.Properties.Environment.Variables ?? {}).sort();
    const expected = [
      'NODE_OPTIONS',
      POWERTOOLS_SERVICE_NAME,
      ENV.allowedOrigins,
      ENV.retentionDays,
      ...(QUOTA_ROUTES.has(route.name as RouteName) ? [ENV.maxActiveJobsPerCaller, ENV.maxActiveJobsPerCallerByType] : []),
      ...(route.access.table.length > 0 ? [ENV.tableName] : []),
      ...(route.access.workspaces ? [ENV.workspacesTableName] : []),
      ...(route.access.queueSend ? Object.values(PRIORITY_BANDS.queueUrlEnv) : []),
      ...(route.access.cursorSecret ? [ENV.cursorSecretArn] : []),
      ...(route.access.payloads ? [ENV.payloadBucket] : []),
    ].sort();
    expect(variables).toEqual(expected);
  });
});
