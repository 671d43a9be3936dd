import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import type { ClientDirectory } from '../clients/client-directory.js';
import { alreadyConsumed, grantRevoked, noLongerExists } from './already-consumed.js';
import { copyPayload } from './copy-payload.js';
import { endMembers, type AccountSessions } from './account-sessions.js';
import { indexMember } from './index-member.js';
import { ACCOUNT_BOUND_MODELS, GRANT_BOUND_MODELS } from './model-names.js';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** A map whose entries expire like Redis keys; expired entries vanish on read and on sweep. */
export class ExpiringMap<T> {
  readonly #entries = new Map<string, Entry<T>>();

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, ttlSeconds?: number): void {
    const expiresAt = ttlSeconds ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY;
    this.#entries.set(key, { value, expiresAt });
  }

  expiresAt(key: string): number | undefined {
    return this.get(key) === undefined ? undefined : this.#entries.get(key)?.expiresAt;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) this.#entries.delete(key);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  *keys(): IterableIterator<string> {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) yield key;
    }
  }
}

/** Everything the in-memory adapters of one provider share, as Redis would hold it. */
export interface MemoryStorage {
  readonly artifacts: ExpiringMap<AdapterPayload>;
  readonly indexes: ExpiringMap<string>;
  /** Per grant: its artifacts as `Model:id`, each with when it expires (epoch ms). */
  readonly grants: ExpiringMap<Map<string, number>>;
  /** Per account: its sessions and grants as `Model:id`, each with when it expires. */
  readonly accounts: ExpiringMap<Map<string, number>>;
  /** Grants revoked: an artifact stored for one afterwards is refused, as in Redis. */
  readonly revokedGrants: ExpiringMap<true>;
}

export function createMemoryStorage(): MemoryStorage {
  return { artifacts: new ExpiringMap(), indexes: new ExpiringMap(), grants: new ExpiringMap(), accounts: new ExpiringMap(), revokedGrants: new ExpiringMap() };
}

// Adds members to an index that lives as long as its longest-lived member, dropping the members
// that have expired (as the Redis index does).
function addToIndex(index: ExpiringMap<Map<string, number>>, key: string, members: readonly string[], expiresIn?: number): void {
  const now = Date.now();
  const entries = index.get(key) ?? new Map<string, number>();
  for (const [member, expiresAt] of entries) if (expiresAt < now) entries.delete(member);
  const wanted = expiresIn ? now + expiresIn * 1000 : Number.POSITIVE_INFINITY;
  for (const member of members) entries.set(member, Math.max(entries.get(member) ?? 0, wanted));
  const until = Math.max(index.expiresAt(key) ?? 0, wanted);
  index.set(key, entries, Number.isFinite(until) ? Math.ceil((until - now) / 1000) : undefined);
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

class MemoryAdapter implements Adapter {
  readonly #model: string;
  readonly #storage: MemoryStorage;

  constructor(model: string, storage: MemoryStorage) {
    this.#model = model;
    this.#storage = storage;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    if (GRANT_BOUND_MODELS.has(this.#model) && payload.grantId && this.#storage.revokedGrants.get(payload.grantId)) throw grantRevoked(this.#model);
    // Stored as a copy, like a serialised Redis value: later mutation by the caller must not leak in.
    this.#storage.artifacts.set(key, copyPayload(payload), expiresIn);
    if (this.#model === 'Session' && payload.uid) this.#storage.indexes.set(`uid:${payload.uid}`, id, expiresIn);
    const members = [key];
    if (payload.userCode) {
      this.#storage.indexes.set(`userCode:${payload.userCode}`, id, expiresIn);
      members.push(`userCode:${payload.userCode}`);
    }
    if (GRANT_BOUND_MODELS.has(this.#model) && payload.grantId) addToIndex(this.#storage.grants, payload.grantId, members, expiresIn);
    if (ACCOUNT_BOUND_MODELS.has(this.#model) && payload.accountId) addToIndex(this.#storage.accounts, payload.accountId, [indexMember(this.#model, id)], expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = this.#storage.artifacts.get(this.#key(id));
    return payload ? copyPayload(payload) : undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#storage.indexes.get(`uid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = this.#storage.indexes.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const payload = this.#storage.artifacts.get(this.#key(id));
    if (!payload) throw noLongerExists(this.#model);
    if (payload.consumed) {
      if (payload.grantId) await this.revokeByGrantId(payload.grantId);
      throw alreadyConsumed(this.#model);
    }
    payload.consumed = epochSeconds();
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    const payload = this.#storage.artifacts.get(key);
    this.#storage.artifacts.delete(key);
    if (!payload) return;
    if (this.#model === 'Session' && payload.uid) this.#storage.indexes.delete(`uid:${payload.uid}`);
    if (payload.userCode) this.#storage.indexes.delete(`userCode:${payload.userCode}`);
    if (payload.grantId) this.#storage.grants.get(payload.grantId)?.delete(key);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const ttl = this.#storage.grants.expiresAt(grantId);
    this.#storage.revokedGrants.set(grantId, true, ttl !== undefined && Number.isFinite(ttl) ? Math.ceil((ttl - Date.now()) / 1000) + 60 : 86_460);
    const members = this.#storage.grants.get(grantId);
    if (!members) return;
    for (const member of members.keys()) {
      this.#storage.artifacts.delete(member);
      this.#storage.indexes.delete(member);
    }
    this.#storage.grants.delete(grantId);
  }
}

/** In-memory twin of the Redis and MongoDB adapters, for `npm run dev` and tests. */
export function createMemoryAdapterFactory(storage: MemoryStorage): AdapterFactory {
  return (model: string) => new MemoryAdapter(model, storage);
}

/** Lists the clients held in memory, for admin tools in development. */
export function createMemoryClientDirectory(storage: MemoryStorage, strip: (payload: AdapterPayload) => AdapterPayload): ClientDirectory {
  return {
    async list({ limit, after }) {
      const ids: string[] = [];
      for (const key of storage.artifacts.keys()) {
        if (key.startsWith('Client:')) ids.push(key.slice('Client:'.length));
      }
      const sorted = ids.sort().filter((id) => !after || id > after);
      const page = sorted.slice(0, limit);
      const last = page.at(-1);
      const clients = page.map((id) => storage.artifacts.get(`Client:${id}`)).filter((payload): payload is AdapterPayload => payload !== undefined);
      return { clients: clients.map((payload) => strip(copyPayload(payload))), ...(sorted.length > limit && last ? { nextCursor: last } : {}) };
    },
  };
}

/** The memory twin of createRedisAccountSessions. */
export function createMemoryAccountSessions(storage: MemoryStorage, adapter: AdapterFactory): AccountSessions {
  return {
    async endAll(accountId) {
      const members = [...(storage.accounts.get(accountId)?.keys() ?? [])];
      storage.accounts.delete(accountId);
      return endMembers(adapter, members);
    },
    async list(accountId) {
      return [...(storage.accounts.get(accountId)?.keys() ?? [])];
    },
    async end(accountId, members) {
      const ended = await endMembers(adapter, members);
      const index = storage.accounts.get(accountId);
      for (const member of members) index?.delete(member);
      return ended;
    },
  };
}
