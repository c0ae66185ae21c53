/** The PayloadStore contract (test/contract/payload-store.contract.ts) on the domain tests' in-memory store. */
import { describePayloadStoreContract } from '../../contract/payload-store.contract.ts';
import { MemoryPayloadStore } from '../../support/fakes.ts';

describePayloadStoreContract('MemoryPayloadStore', () => {
  const store = new MemoryPayloadStore();
  return { store, upload: async (url, headers, body) => store.upload(url, body, headers['Content-Type']!) };
});
