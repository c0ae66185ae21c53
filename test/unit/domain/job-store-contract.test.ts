/** The JobStore contract (test/contract/job-store.contract.ts) on the domain tests' in-memory store. */
import { CONTRACT_LIFECYCLE, describeJobStoreContract } from '../../contract/job-store.contract.ts';
import { MemoryJobStore } from '../../support/memory-job-store.ts';

describeJobStoreContract('MemoryJobStore', (workspaces) => new MemoryJobStore(CONTRACT_LIFECYCLE, undefined, workspaces));
