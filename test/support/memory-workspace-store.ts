/** WorkspaceStore in memory, for unit tests; it passes the same contract as DynamoWorkspaceStore. */
import {
  ConcurrentMembershipError,
  WorkspaceOwnerRequiredError,
  type MemberChange,
  type Membership,
  type Workspace,
  type WorkspaceChanges,
  type WorkspaceStore,
} from '../../lambdas/domain/workspace.ts';

export class MemoryWorkspaceStore implements WorkspaceStore {
  private readonly workspaces = new Map<string, Workspace>();
  private readonly members = new Map<string, Map<string, Membership>>();

  async create(workspace: Workspace, owner: Membership): Promise<void> {
    if (this.workspaces.has(workspace.id)) throw new Error(`workspace ${workspace.id} exists`);
    this.workspaces.set(workspace.id, { ...workspace });
    this.members.set(workspace.id, new Map());
    await this.putMembership(owner, { previous: undefined });
  }

  async get(id: string): Promise<Workspace | undefined> {
    const found = this.workspaces.get(id);
    return found ? { ...found } : undefined;
  }

  async getMany(ids: readonly string[]): Promise<Workspace[]> {
    return ids.flatMap((id) => (this.workspaces.has(id) ? [{ ...this.workspaces.get(id)! }] : []));
  }

  async update(id: string, changes: WorkspaceChanges, at: string): Promise<Workspace | undefined> {
    const found = this.workspaces.get(id);
    if (!found || (changes.jobShards !== undefined && changes.jobShards < found.jobShards)) return undefined;
    const updated = { ...found, ...changes, updatedAt: at };
    this.workspaces.set(id, updated);
    return { ...updated };
  }

  async jobShards(id: string): Promise<number> {
    return this.workspaces.get(id)?.jobShards ?? 1;
  }

  async delete(id: string): Promise<void> {
    this.members.delete(id);
    this.workspaces.delete(id);
  }

  async getMembership(workspaceId: string, principalId: string): Promise<Membership | undefined> {
    const found = this.members.get(workspaceId)?.get(principalId);
    return found ? { ...found } : undefined;
  }

  async listMembers(workspaceId: string): Promise<Membership[]> {
    return [...(this.members.get(workspaceId)?.values() ?? [])].sort((a, b) => (a.principalId < b.principalId ? -1 : 1)).map((m) => ({ ...m }));
  }

  async listMemberships(principalId: string): Promise<Membership[]> {
    return [...this.members.values()].flatMap((byPrincipal) => (byPrincipal.has(principalId) ? [{ ...byPrincipal.get(principalId)! }] : []));
  }

  async putMembership(membership: Membership, { previous }: MemberChange): Promise<void> {
    const members = this.members.get(membership.workspaceId);
    if (!members) return; // DynamoDB would write it; no workspace reads it.
    this.checkAsRead(members.get(membership.principalId), previous, membership.principalId);
    if (previous?.role === 'owner' && membership.role !== 'owner') this.checkAnotherOwner(members);
    members.set(membership.principalId, { ...membership });
  }

  async removeMembership(previous: Membership): Promise<void> {
    const members = this.members.get(previous.workspaceId);
    this.checkAsRead(members?.get(previous.principalId), previous, previous.principalId);
    if (previous.role === 'owner') this.checkAnotherOwner(members!);
    members!.delete(previous.principalId);
  }

  private checkAsRead(current: Membership | undefined, previous: Membership | undefined, principalId: string): void {
    if ((current === undefined) !== (previous === undefined) || (current && current.role !== previous!.role)) throw new ConcurrentMembershipError(principalId);
  }

  private checkAnotherOwner(members: Map<string, Membership>): void {
    if ([...members.values()].filter((m) => m.role === 'owner').length < 2) throw new WorkspaceOwnerRequiredError();
  }
}
