import type { CanaryStore, DataKeyCanary } from './canary-store.js';

/** The canary store of one process, for the contract tests and development. */
export function createMemoryCanaryStore(): CanaryStore {
  const canaries = new Map<string, DataKeyCanary>();
  return {
    async list() {
      return [...canaries.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },
    async insert(canary) {
      if (canaries.has(canary.keyId)) return false;
      canaries.set(canary.keyId, canary);
      return true;
    },
    async delete(keyId) {
      canaries.delete(keyId);
    },
  };
}
