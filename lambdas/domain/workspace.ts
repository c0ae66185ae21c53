/**
 * Workspaces: a named group of principals (people or machine clients) with a role each, whose
 * jobs every member can see. A workspace's jobs are stored like personal ones under an owner key
 * of their own (`ws#<workspaceId>`), so listing, cursors, quotas, idempotency keys, result reuse
 * and chaining are per workspace exactly as they are per caller. A busy workspace spreads its
 * jobs' list entries over `jobShards` index partitions (see JOB_SHARDS). No AWS imports here.
 */
import { DomainError } from './errors.ts';
import { stableHash } from './fingerprints.ts';

export const WORKSPACE_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

export interface Workspace {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  /**
   * Over how many index partitions the list entries of the workspace's jobs are spread (each job's
   * by a hash of its id): 1 (one Query per list page) until an owner or admin raises it; never
   * lowered, so every job stays listed. See JOB_SHARDS.
   */
  readonly jobShards: number;
}

/**
 * Write sharding of a workspace's list entries. One DynamoDB partition key takes about 1,000 write
 * units a second; the busiest owner index (byOwnerUpdated) takes 5 per job (bench/workspaces.ts),
 * so one key caps a workspace at roughly 200 new jobs a second. `jobShards` = N spreads them over N keys (N times
 * that), and a list page then reads N partitions (one Query each, in parallel) and merges them.
 */
export const JOB_SHARDS = { default: 1, max: 32 } as const;

/** The index shard (0 … shards-1) a new job's entries go to: a stable hash of its id. */
export function jobShardOf(jobId: string, shards: number): number {
  return shards <= 1 ? 0 : stableHash(jobId) % shards;
}

/** How many index shards a workspace's jobs are spread over (Workspace.jobShards); 1 for a missing workspace. */
export interface JobShardCounts {
  jobShards(workspaceId: string): Promise<number>;
}

/** Why `value` cannot be the workspace's new jobShards (the current one is `current`); undefined when it can. */
export function checkJobShards(value: unknown, current: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > JOB_SHARDS.max) {
    return `must be an integer from 1 to ${JOB_SHARDS.max}`;
  }
  if (value < current) return `must be at least ${current}, the current value: it is never lowered, so that every job stays listed`;
  return undefined;
}

export interface Membership {
  readonly workspaceId: string;
  readonly principalId: string;
  readonly role: WorkspaceRole;
  readonly addedAt: string;
  readonly addedBy: string;
}

/** What a principal does in a workspace; each role may do a set of these. */
export type WorkspaceAction =
  | 'read' // the workspace, its members and its jobs
  | 'createJob'
  | 'actOnOwnJob' // cancel and retry jobs the caller created
  | 'actOnAnyJob' // cancel and retry every job of the workspace
  | 'manageMembers' // add, change and remove members who are not owners
  | 'manageOwners' // make, change and remove owners
  | 'manageWorkspace' // rename and delete
  | 'scaleJobs'; // raise the workspace's jobShards

const ALLOWED: Record<WorkspaceRole, readonly WorkspaceAction[]> = {
  owner: ['read', 'createJob', 'actOnOwnJob', 'actOnAnyJob', 'manageMembers', 'manageOwners', 'manageWorkspace', 'scaleJobs'],
  admin: ['read', 'createJob', 'actOnOwnJob', 'actOnAnyJob', 'manageMembers', 'scaleJobs'],
  member: ['read', 'createJob', 'actOnOwnJob'],
  viewer: ['read'],
};

export function roleAllows(role: WorkspaceRole, action: WorkspaceAction): boolean {
  return ALLOWED[role].includes(action);
}

const REASONS: Record<WorkspaceAction, string> = {
  read: 'read this workspace',
  createJob: 'create jobs (viewers only read)',
  actOnOwnJob: 'cancel or retry jobs (viewers only read)',
  actOnAnyJob: "cancel or retry another member's job (members act on the jobs they created; admins and owners on all)",
  manageMembers: 'manage members (admins and owners do)',
  manageOwners: 'add, change or remove owners (owners do)',
  manageWorkspace: 'rename or delete the workspace (owners do)',
  scaleJobs: "raise the workspace's jobShards (admins and owners do)",
};

/** The owner key a workspace's jobs are stored under (Job.ownerId); never a principal id (no `#` in those). */
export function workspaceOwnerKey(workspaceId: string): string {
  return `ws#${workspaceId}`;
}

/** The workspace id of a workspace's owner key; undefined for a principal id (a personal job's owner). */
export function workspaceIdOfOwnerKey(ownerKey: string): string | undefined {
  return ownerKey.startsWith('ws#') ? ownerKey.slice(3) : undefined;
}

/** 1 to 100 characters, no control characters. */
export function checkWorkspaceName(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'name is required and must be a string';
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  if (trimmed.length < 1 || trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    return 'name must be 1 to 100 characters, without control characters';
  }
  return undefined;
}

/** The caller is not a member of the workspace (or it does not exist: the two read the same). */
export class WorkspaceAccessDeniedError extends DomainError {
  constructor(readonly workspaceId: string) {
    super(`You are not a member of workspace ${workspaceId}`);
  }
}

/** The caller's role does not allow the action. */
export class WorkspaceRoleForbiddenError extends DomainError {
  constructor(
    readonly role: WorkspaceRole,
    readonly action: WorkspaceAction,
  ) {
    super(`Your role in this workspace is ${role}, which may not ${REASONS[action]}`);
  }
}

/** A change that would leave the workspace without an owner, or an admin touching an owner. */
export class WorkspaceOwnerRequiredError extends DomainError {
  constructor() {
    super('A workspace keeps at least one owner: make another member owner first');
  }
}

/** Deleting a workspace that still holds jobs. */
export class WorkspaceNotEmptyError extends DomainError {
  constructor(readonly workspaceId: string) {
    super(
      `Workspace ${workspaceId} still holds jobs: cancel the unfinished ones and delete it once every job has expired (finished jobs are kept for the retention period), so that no job is lost silently`,
    );
  }
}

/** A member to remove or a workspace to act on that is not there (after access was checked). */
export class MemberNotFoundError extends DomainError {
  constructor(readonly principalId: string) {
    super(`${principalId} is not a member of this workspace`);
  }
}

export interface MemberChange {
  /** The membership as it was when read (undefined: not a member); the write applies only if it still is. */
  readonly previous: Membership | undefined;
}

/** What PATCH /api/workspaces/{wid} may change: the name, and jobShards (only ever raised). */
export interface WorkspaceChanges {
  readonly name?: string;
  readonly jobShards?: number;
}

/**
 * Workspaces and memberships. Membership reads are strongly consistent: a removed member is
 * refused on the next request. No transactions: the owner count on the workspace (`owners`) is
 * changed first when an owner goes away and last when one is added, so it never exceeds the real
 * number of owners, and a change that would take it below 1 is refused.
 */
export interface WorkspaceStore extends JobShardCounts {
  /** Writes the workspace and its first owner. */
  create(workspace: Workspace, owner: Membership): Promise<void>;
  /** Strongly consistent; undefined when missing. */
  get(workspaceId: string): Promise<Workspace | undefined>;
  /** Several workspaces (strongly consistent), missing ones left out. */
  getMany(workspaceIds: readonly string[]): Promise<Workspace[]>;
  /**
   * Applies the changes; undefined when the workspace is missing, or when `jobShards` is below the
   * stored value (it is never lowered: read the workspace again).
   */
  update(workspaceId: string, changes: WorkspaceChanges, at: string): Promise<Workspace | undefined>;
  /** Deletes the memberships, then the workspace. */
  delete(workspaceId: string): Promise<void>;
  /** Strongly consistent read of one membership. */
  getMembership(workspaceId: string, principalId: string): Promise<Membership | undefined>;
  /** Every member of the workspace (strongly consistent), by principal id. */
  listMembers(workspaceId: string): Promise<Membership[]>;
  /** The principal's memberships (from an index: may lag a change by a moment). */
  listMemberships(principalId: string): Promise<Membership[]>;
  /**
   * Adds or changes a membership. WorkspaceOwnerRequiredError when it would demote the last
   * owner; ConcurrentMembershipError when the membership changed since `previous` was read.
   */
  putMembership(membership: Membership, change: MemberChange): Promise<void>;
  /** Removes a membership (as read); WorkspaceOwnerRequiredError for the last owner. */
  removeMembership(previous: Membership): Promise<void>;
}

/** A membership changed between its read and the write: read it again. */
export class ConcurrentMembershipError extends DomainError {
  constructor(readonly principalId: string) {
    super(`The membership of ${principalId} changed during the request; read the members again`);
  }
}
