import type { ResourceServer, ResourceStore } from './resource-server.js';

export function createMemoryResourceStore(): ResourceStore {
  const resources = new Map<string, ResourceServer>();
  return {
    async create(resource) {
      resources.set(resource.identifier, structuredClone(resource));
    },
    async find(identifier) {
      const resource = resources.get(identifier);
      return resource ? structuredClone(resource) : undefined;
    },
    async list({ limit, after }) {
      const sorted = [...resources.keys()].sort().filter((identifier) => !after || identifier > after);
      const page = sorted.slice(0, limit);
      const last = page.at(-1);
      return {
        resources: page.map((identifier) => structuredClone(resources.get(identifier) as ResourceServer)),
        ...(sorted.length > limit && last ? { nextCursor: last } : {}),
      };
    },
    async update(identifier, patch) {
      const current = resources.get(identifier);
      if (!current) return undefined;
      const updated = { ...current, ...patch };
      resources.set(identifier, updated);
      return structuredClone(updated);
    },
    async delete(identifier) {
      return resources.delete(identifier);
    },
  };
}
