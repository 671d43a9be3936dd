/**
 * Values every instance must agree on, made once and kept (MongoDB in production). The first
 * instance to need one creates it; the others read what it wrote.
 */
export interface SettingStore {
  /** The stored value, or `candidate` after storing it when there was none. */
  getOrCreate(name: string, candidate: string): Promise<string>;
  get(name: string): Promise<string | undefined>;
  /** Replaces the value only if it is still `expected` (compare-and-set). True if replaced. */
  replace(name: string, expected: string, next: string): Promise<boolean>;
}

export function createMemorySettingStore(): SettingStore {
  const values = new Map<string, string>();
  return {
    async getOrCreate(name, candidate) {
      const existing = values.get(name);
      if (existing !== undefined) return existing;
      values.set(name, candidate);
      return candidate;
    },
    async get(name) {
      return values.get(name);
    },
    async replace(name, expected, next) {
      if (values.get(name) !== expected) return false;
      values.set(name, next);
      return true;
    },
  };
}
