import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

/**
 * Tells every instance that a cached record changed. The Redis implementation publishes on a
 * channel all instances subscribe to; a single process needs nothing beyond its own cache.
 */
export interface CacheInvalidation {
  publish(model: string, id: string): Promise<void>;
  onInvalidate(handler: (model: string, id: string) => void): void;
}

interface CachedEntry {
  /** The payload as JSON, parsed afresh per read so that no caller can change the cached copy. */
  readonly serialized: string | undefined;
  readonly expiresAt: number;
}

export interface CachedAdapterOptions {
  readonly models: ReadonlySet<string>;
  readonly ttlSeconds: number;
  readonly maxEntries: number;
  readonly invalidation?: CacheInvalidation;
}

class CachedAdapter implements Adapter {
  readonly #model: string;
  readonly #inner: Adapter;
  readonly #cache: Map<string, CachedEntry>;
  readonly #options: CachedAdapterOptions;

  constructor(model: string, inner: Adapter, cache: Map<string, CachedEntry>, options: CachedAdapterOptions) {
    this.#model = model;
    this.#inner = inner;
    this.#cache = cache;
    this.#options = options;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = `${this.#model}:${id}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.serialized === undefined ? undefined : (JSON.parse(cached.serialized) as AdapterPayload);
    const payload = (await this.#inner.find(id)) ?? undefined;
    const serialized = payload ? JSON.stringify(payload) : undefined;
    // Misses are cached too, so a flood of unknown client ids does not become a flood of queries.
    if (this.#cache.size >= this.#options.maxEntries) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, { serialized, expiresAt: Date.now() + this.#options.ttlSeconds * 1000 });
    // The inner store's object is this caller's own; the cache keeps only the string.
    return payload;
  }

  async #changed(id: string): Promise<void> {
    this.#cache.delete(`${this.#model}:${id}`);
    await this.#options.invalidation?.publish(this.#model, id);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.#inner.upsert(id, payload, expiresIn);
    await this.#changed(id);
  }

  async destroy(id: string): Promise<void> {
    await this.#inner.destroy(id);
    await this.#changed(id);
  }

  async consume(id: string): Promise<void> {
    await this.#inner.consume(id);
    await this.#changed(id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUid(uid)) ?? undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUserCode(userCode)) ?? undefined;
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#inner.revokeByGrantId(grantId);
  }
}

/**
 * Read-through cache for records read on every request but rarely written (clients: every
 * token request looks its client up). A write through any instance evicts the record on all
 * instances at once; the TTL bounds staleness from writes that bypass Latchkey entirely.
 */
export function createCachedAdapterFactory(inner: AdapterFactory, options: CachedAdapterOptions): AdapterFactory {
  const cache = new Map<string, CachedEntry>();
  options.invalidation?.onInvalidate((model, id) => cache.delete(`${model}:${id}`));
  return (model: string) => (options.models.has(model) ? new CachedAdapter(model, inner(model), cache, options) : inner(model));
}
