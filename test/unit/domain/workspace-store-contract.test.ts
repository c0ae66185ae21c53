/** The WorkspaceStore contract (test/contract/workspace-store.contract.ts) on the in-memory store. */
import { describeWorkspaceStoreContract } from '../../contract/workspace-store.contract.ts';
import { MemoryWorkspaceStore } from '../../support/memory-workspace-store.ts';

describeWorkspaceStoreContract('MemoryWorkspaceStore', () => new MemoryWorkspaceStore());
