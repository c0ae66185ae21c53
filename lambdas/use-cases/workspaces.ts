/**
 * The workspace routes' use cases: workspaces and their members (ManageWorkspaces), and the
 * access check every workspace route makes first (WorkspaceAccess: one strongly consistent read
 * of the caller's membership). No AWS imports here.
 */
import { ValidationError } from '../domain/errors.ts';
import type { Job } from '../domain/job.ts';
import { systemClock, type Clock, type IdGenerator, type JobStore } from '../domain/ports.ts';
import {
  checkJobShards,
  checkWorkspaceName,
  JOB_SHARDS,
  MemberNotFoundError,
  roleAllows,
  WORKSPACE_ROLES,
  WorkspaceAccessDeniedError,
  WorkspaceNotEmptyError,
  workspaceIdOfOwnerKey,
  workspaceOwnerKey,
  WorkspaceRoleForbiddenError,
  type Membership,
  type Workspace,
  type WorkspaceAction,
  type WorkspaceChanges,
  type WorkspaceRole,
  type WorkspaceStore,
} from '../domain/workspace.ts';
import { isUuid } from '../shared/messages.ts';
import { requestBody } from './request-body.ts';

/** A principal id as a path parameter: a Cognito `sub`, an app client id, a local dev token's `sub`. */
const PRINCIPAL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

export class WorkspaceAccess {
  constructor(private readonly workspaces: Pick<WorkspaceStore, 'getMembership'>) {}

  /**
   * The caller's membership when their role allows `action`: WorkspaceAccessDeniedError when they
   * are not a member (or there is no such workspace), WorkspaceRoleForbiddenError for their role.
   */
  async require(workspaceId: string, principalId: string, action: WorkspaceAction): Promise<Membership> {
    const membership = isUuid(workspaceId) ? await this.workspaces.getMembership(workspaceId.toLowerCase(), principalId) : undefined;
    if (!membership) throw new WorkspaceAccessDeniedError(workspaceId.slice(0, 64));
    if (!roleAllows(membership.role, action)) throw new WorkspaceRoleForbiddenError(membership.role, action);
    return membership;
  }

  /** Whether the principal may read the job: their personal job, or one of a workspace they belong to. */
  async canRead(job: Job, principalId: string): Promise<boolean> {
    if (job.workspaceId === null) return job.ownerId === principalId;
    // A workspace's owner key (a workspace route's caller) is nobody's principal id: no read.
    if (workspaceIdOfOwnerKey(principalId) !== undefined) return false;
    return (await this.workspaces.getMembership(job.workspaceId, principalId)) !== undefined;
  }
}

/**
 * May the member cancel or retry this job of the workspace: any job (admins, owners), or the ones
 * they created (members)? WorkspaceRoleForbiddenError otherwise.
 */
export function checkJobAction(membership: Membership, job: Job): void {
  if (roleAllows(membership.role, 'actOnAnyJob')) return;
  if (!roleAllows(membership.role, 'actOnOwnJob')) throw new WorkspaceRoleForbiddenError(membership.role, 'actOnOwnJob');
  if (job.createdBy !== membership.principalId) throw new WorkspaceRoleForbiddenError(membership.role, 'actOnAnyJob');
}

/** A workspace as its member sees it in a list: with their role. */
export interface WorkspaceWithRole extends Workspace {
  readonly role: WorkspaceRole;
}

export interface ManageWorkspacesDependencies {
  readonly workspaces: WorkspaceStore;
  /** The delete checks that the workspace holds no job. */
  readonly jobs?: Pick<JobStore, 'list'>;
  readonly clock?: Clock;
  readonly newId?: IdGenerator;
}

export class ManageWorkspaces {
  private readonly access: WorkspaceAccess;
  private readonly clock: Clock;
  private readonly newId: IdGenerator;

  constructor(private readonly deps: ManageWorkspacesDependencies) {
    this.access = new WorkspaceAccess(deps.workspaces);
    this.clock = deps.clock ?? systemClock;
    this.newId = deps.newId ?? (() => crypto.randomUUID());
  }

  /** A new workspace; the caller is its owner. */
  async create(principalId: string, request: unknown): Promise<WorkspaceWithRole> {
    const name = parseName(request);
    const at = this.clock().toISOString();
    const workspace: Workspace = { id: this.newId(), name, createdAt: at, createdBy: principalId, updatedAt: at, jobShards: JOB_SHARDS.default };
    await this.deps.workspaces.create(workspace, { workspaceId: workspace.id, principalId, role: 'owner', addedAt: at, addedBy: principalId });
    return { ...workspace, role: 'owner' };
  }

  /** The caller's workspaces with their role, by name. */
  async list(principalId: string): Promise<WorkspaceWithRole[]> {
    const memberships = await this.deps.workspaces.listMemberships(principalId);
    const roles = new Map(memberships.map((m) => [m.workspaceId, m.role]));
    const found = await this.deps.workspaces.getMany(memberships.map((m) => m.workspaceId));
    return found
      .map((workspace) => ({ ...workspace, role: roles.get(workspace.id)! }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async get(principalId: string, workspaceId: string): Promise<WorkspaceWithRole> {
    const membership = await this.access.require(workspaceId, principalId, 'read');
    return { ...(await this.existing(membership.workspaceId)), role: membership.role };
  }

  /**
   * PATCH: `{ name?, jobShards? }`, at least one. Renaming is for owners; raising jobShards for
   * admins and owners (never lowering it: 422, so every job stays listed).
   */
  async update(principalId: string, workspaceId: string, request: unknown): Promise<WorkspaceWithRole> {
    const peek = typeof request === 'object' && request !== null ? (request as Record<string, unknown>) : {};
    const scaleOnly = peek.jobShards !== undefined && peek.name === undefined;
    const membership = await this.access.require(workspaceId, principalId, scaleOnly ? 'scaleJobs' : 'manageWorkspace');
    const body = requestBody(request, ['name', 'jobShards'], 'workspace', 'must be a JSON object { "name"?: "...", "jobShards"?: 1..32 }');
    const { name, jobShards } = body.fields;
    if (name === undefined && jobShards === undefined) body.errors.push({ path: '(body)', message: 'give name, jobShards or both' });
    const problem = name === undefined ? undefined : checkWorkspaceName(name);
    if (problem) body.errors.push({ path: 'name', message: problem });
    const changes: WorkspaceChanges = {
      ...(typeof name === 'string' ? { name: name.trim() } : {}),
      ...(typeof jobShards === 'number' ? { jobShards } : {}),
    };
    // A write refused because jobShards was raised meanwhile is checked again against the new value.
    for (let round = 0; ; round++) {
      const current = await this.existing(membership.workspaceId);
      const shardsProblem = jobShards === undefined ? undefined : checkJobShards(jobShards, current.jobShards);
      if (shardsProblem) body.errors.push({ path: 'jobShards', message: shardsProblem });
      body.check();
      const updated = await this.deps.workspaces.update(membership.workspaceId, changes, this.clock().toISOString());
      if (updated) return { ...updated, role: membership.role };
      if (round >= 2) throw new WorkspaceAccessDeniedError(workspaceId);
    }
  }

  /** Deletes an empty workspace and its memberships; WorkspaceNotEmptyError while it holds any job. */
  async delete(principalId: string, workspaceId: string): Promise<void> {
    const membership = await this.access.require(workspaceId, principalId, 'manageWorkspace');
    if (!this.deps.jobs) throw new Error('ManageWorkspaces.delete needs the job store');
    const page = await this.deps.jobs.list(workspaceOwnerKey(membership.workspaceId), { limit: 1 });
    if (page.jobs.length > 0) throw new WorkspaceNotEmptyError(membership.workspaceId);
    await this.deps.workspaces.delete(membership.workspaceId);
  }

  async members(principalId: string, workspaceId: string): Promise<Membership[]> {
    const membership = await this.access.require(workspaceId, principalId, 'read');
    return this.deps.workspaces.listMembers(membership.workspaceId);
  }

  /** Adds the principal with the role, or changes their role. */
  async putMember(principalId: string, workspaceId: string, targetId: string, request: unknown): Promise<{ member: Membership; created: boolean }> {
    const caller = await this.access.require(workspaceId, principalId, 'manageMembers');
    const target = checkPrincipalId(targetId);
    const body = requestBody(request, ['role'], 'member', 'must be a JSON object { "role": "owner" | "admin" | "member" | "viewer" }');
    const { role } = body.fields;
    if (!(WORKSPACE_ROLES as readonly unknown[]).includes(role)) body.errors.push({ path: 'role', message: `must be one of ${WORKSPACE_ROLES.join(', ')}` });
    body.check();
    const previous = await this.deps.workspaces.getMembership(caller.workspaceId, target);
    if (caller.role !== 'owner' && (role === 'owner' || previous?.role === 'owner')) throw new WorkspaceRoleForbiddenError(caller.role, 'manageOwners');
    if (previous && previous.role === role) return { member: previous, created: false };
    const at = this.clock().toISOString();
    const member: Membership = { workspaceId: caller.workspaceId, principalId: target, role: role as WorkspaceRole, addedAt: previous?.addedAt ?? at, addedBy: previous?.addedBy ?? principalId };
    await this.deps.workspaces.putMembership(member, { previous });
    return { member, created: previous === undefined };
  }

  /** Removes a member (anyone may leave; admins remove non-owners; owners anyone but the last owner). */
  async removeMember(principalId: string, workspaceId: string, targetId: string): Promise<void> {
    const target = checkPrincipalId(targetId);
    const caller = await this.access.require(workspaceId, principalId, 'read');
    if (target !== principalId && !roleAllows(caller.role, 'manageMembers')) throw new WorkspaceRoleForbiddenError(caller.role, 'manageMembers');
    const previous: Membership | undefined = target === principalId ? caller : await this.deps.workspaces.getMembership(caller.workspaceId, target);
    if (!previous) throw new MemberNotFoundError(target);
    if (previous.role === 'owner' && caller.role !== 'owner') throw new WorkspaceRoleForbiddenError(caller.role, 'manageOwners');
    await this.deps.workspaces.removeMembership(previous);
  }

  private async existing(workspaceId: string): Promise<Workspace> {
    const workspace = await this.deps.workspaces.get(workspaceId);
    if (!workspace) throw new WorkspaceAccessDeniedError(workspaceId);
    return workspace;
  }
}

function parseName(request: unknown): string {
  const body = requestBody(request, ['name'], 'workspace', 'must be a JSON object { "name": "..." }');
  const problem = checkWorkspaceName(body.fields.name);
  if (problem) body.errors.push({ path: 'name', message: problem });
  body.check();
  return (body.fields.name as string).trim();
}

function checkPrincipalId(value: string): string {
  if (!PRINCIPAL_ID.test(value)) {
    throw new ValidationError('The principal id is not valid', [
      { path: 'principalId', message: 'must be a principal id as GET /api/me returns it (letters, digits and . _ : @ -, up to 128)' },
    ]);
  }
  return value;
}


