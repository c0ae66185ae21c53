/**
 * The WorkspaceStore contract: one suite for the in-memory store of the unit tests and the
 * DynamoDB adapter (on dynalite or the endpoint in AWS_ENDPOINT_URL), so the two cannot drift.
 * Every test uses its own workspaces and principals (a DynamoDB table is shared between tests).
 */
import { describe, expect, it } from 'vitest';
import { ConcurrentMembershipError, WorkspaceOwnerRequiredError, type Membership, type WorkspaceRole, type WorkspaceStore } from '../../lambdas/domain/workspace.ts';

export function describeWorkspaceStoreContract(name: string, makeStore: () => WorkspaceStore): void {
  describe(`WorkspaceStore contract: ${name}`, () => {
    const at = '2026-03-04T12:00:00.000Z';
    const principal = () => `user-${crypto.randomUUID()}`;
    const member = (workspaceId: string, principalId: string, role: WorkspaceRole): Membership => ({ workspaceId, principalId, role, addedAt: at, addedBy: 'someone' });

    async function newWorkspace(store: WorkspaceStore, name = 'Team') {
      const owner = principal();
      const workspace = { id: crypto.randomUUID(), name, createdAt: at, createdBy: owner, updatedAt: at, jobShards: 1 };
      await store.create(workspace, member(workspace.id, owner, 'owner'));
      return { workspace, owner };
    }

    it('creates a workspace with its owner, readable at once', async () => {
      const store = makeStore();
      const { workspace, owner } = await newWorkspace(store);
      expect(await store.get(workspace.id)).toEqual(workspace);
      expect(await store.getMembership(workspace.id, owner)).toEqual(member(workspace.id, owner, 'owner'));
      expect(await store.listMembers(workspace.id)).toEqual([member(workspace.id, owner, 'owner')]);
      expect(await store.getMembership(workspace.id, principal())).toBeUndefined();
      expect(await store.get(crypto.randomUUID())).toBeUndefined();
    });

    it("lists a principal's memberships and reads several workspaces in the order asked", async () => {
      const store = makeStore();
      const one = await newWorkspace(store, 'One');
      const two = await newWorkspace(store, 'Two');
      const someone = principal();
      await store.putMembership(member(one.workspace.id, someone, 'viewer'), { previous: undefined });
      await store.putMembership(member(two.workspace.id, someone, 'admin'), { previous: undefined });
      const memberships = await store.listMemberships(someone);
      expect(memberships.map((m) => [m.workspaceId, m.role]).sort()).toEqual([[one.workspace.id, 'viewer'], [two.workspace.id, 'admin']].sort());
      expect((await store.getMany([two.workspace.id, crypto.randomUUID(), one.workspace.id])).map((w) => w.name)).toEqual(['Two', 'One']);
    });

    it('changes a role only as it was read, and removes a member at once', async () => {
      const store = makeStore();
      const { workspace } = await newWorkspace(store);
      const someone = principal();
      const added = member(workspace.id, someone, 'member');
      await store.putMembership(added, { previous: undefined });
      await expect(store.putMembership(member(workspace.id, someone, 'viewer'), { previous: undefined })).rejects.toBeInstanceOf(ConcurrentMembershipError);
      await store.putMembership(member(workspace.id, someone, 'admin'), { previous: added });
      await expect(store.putMembership(member(workspace.id, someone, 'viewer'), { previous: added })).rejects.toBeInstanceOf(ConcurrentMembershipError);
      await expect(store.removeMembership(added)).rejects.toBeInstanceOf(ConcurrentMembershipError);
      await store.removeMembership(member(workspace.id, someone, 'admin'));
      expect(await store.getMembership(workspace.id, someone)).toBeUndefined();
    });

    it('keeps at least one owner', async () => {
      const store = makeStore();
      const { workspace, owner } = await newWorkspace(store);
      const first = member(workspace.id, owner, 'owner');
      await expect(store.removeMembership(first)).rejects.toBeInstanceOf(WorkspaceOwnerRequiredError);
      await expect(store.putMembership(member(workspace.id, owner, 'admin'), { previous: first })).rejects.toBeInstanceOf(WorkspaceOwnerRequiredError);
      expect(await store.getMembership(workspace.id, owner)).toEqual(first);
      const second = member(workspace.id, principal(), 'owner');
      await store.putMembership(second, { previous: undefined });
      await store.putMembership(member(workspace.id, owner, 'viewer'), { previous: first });
      await expect(store.removeMembership(second)).rejects.toBeInstanceOf(WorkspaceOwnerRequiredError);
      // A refused change leaves the count as it was: promoting again and leaving works.
      await store.putMembership(member(workspace.id, owner, 'owner'), { previous: member(workspace.id, owner, 'viewer') });
      await store.removeMembership(second);
      expect((await store.listMembers(workspace.id)).map((m) => [m.principalId, m.role])).toEqual([[owner, 'owner']]);
    });

    it('renames and deletes a workspace with its memberships', async () => {
      const store = makeStore();
      const { workspace, owner } = await newWorkspace(store);
      const someone = principal();
      await store.putMembership(member(workspace.id, someone, 'viewer'), { previous: undefined });
      expect(await store.update(workspace.id, { name: 'Renamed' }, '2026-03-05T00:00:00.000Z')).toEqual({ ...workspace, name: 'Renamed', updatedAt: '2026-03-05T00:00:00.000Z' });
      expect(await store.update(crypto.randomUUID(), { name: 'x' }, at)).toBeUndefined();
      await store.delete(workspace.id);
      expect(await store.get(workspace.id)).toBeUndefined();
      expect(await store.getMembership(workspace.id, owner)).toBeUndefined();
      expect(await store.listMemberships(someone)).toEqual([]);
    });

    it("raises a workspace's jobShards, never lowers it, and reads it back (1 for a missing workspace)", async () => {
      const store = makeStore();
      const { workspace } = await newWorkspace(store);
      expect(await store.jobShards(workspace.id)).toBe(1);
      expect(await store.update(workspace.id, { jobShards: 8 }, at)).toEqual({ ...workspace, jobShards: 8 });
      expect(await store.jobShards(workspace.id)).toBe(8);
      expect(await store.update(workspace.id, { jobShards: 4 }, at)).toBeUndefined();
      expect(await store.update(workspace.id, { jobShards: 8, name: 'Same shards' }, at)).toMatchObject({ jobShards: 8, name: 'Same shards' });
      expect(await store.get(workspace.id)).toMatchObject({ jobShards: 8, name: 'Same shards' });
      expect(await store.jobShards(crypto.randomUUID())).toBe(1);
    });
  });
}
