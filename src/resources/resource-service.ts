import type { AccessTokenFormat, ResourceServer, ResourceStore } from './resource-server.js';
import { InvalidResourceInputError, ResourceExistsError, ResourceNotFoundError } from './resource-errors.js';
import { createCoherentCache, type CacheInvalidation } from '../storage/coherent-cache.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const MIN_TTL = 60;
const MAX_TTL = 86_400;

export interface ResourceInput {
  readonly identifier: string;
  readonly scope?: string;
  readonly format?: AccessTokenFormat;
  readonly ttlSeconds?: number;
  readonly introspectors?: readonly string[];
}

/** Resource indicators are absolute URIs without a fragment (RFC 8707 section 2). */
export function checkResourceIdentifier(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidResourceInputError(`identifier must be an absolute URI: ${raw}`);
  }
  if (url.hash || raw.includes('#')) throw new InvalidResourceInputError('identifier must not contain a fragment');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname))) {
    throw new InvalidResourceInputError('identifier must use https (http only on localhost)');
  }
  return raw;
}

function checkScopes(scope: string | undefined): string[] {
  const scopes = [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];
  for (const value of scopes) {
    if (!SCOPE_TOKEN.test(value)) throw new InvalidResourceInputError(`invalid scope ${JSON.stringify(value)}`);
    if (['openid', 'offline_access', 'admin'].includes(value)) throw new InvalidResourceInputError(`${value} is not a resource scope`);
  }
  return scopes;
}

function checkTtl(ttl: number | undefined): number {
  const value = ttl ?? 600;
  if (!Number.isInteger(value) || value < MIN_TTL || value > MAX_TTL) {
    throw new InvalidResourceInputError(`ttl must be whole seconds from ${MIN_TTL} to ${MAX_TTL}`);
  }
  return value;
}

/** A resource server on the wire. */
export function toResourceJson(resource: ResourceServer): Record<string, unknown> {
  return {
    identifier: resource.identifier,
    scope: resource.scopes.join(' '),
    format: resource.format,
    ttl: resource.ttlSeconds,
    introspectors: resource.introspectors,
    created_at: resource.createdAt.toISOString(),
  };
}

/**
 * Resource server administration, and the lookup the provider makes for every token with a
 * `resource`: cached for a few seconds so token issuance does not wait on MongoDB each time; a
 * change through any instance (or the CLI) evicts it on every instance at once.
 */
export function createResourceService(deps: { store: ResourceStore; cacheSeconds: number; invalidation?: CacheInvalidation }) {
  const cache = createCoherentCache<ResourceServer | undefined>({ kind: 'Resource', ttlSeconds: deps.cacheSeconds, maxEntries: 1000, ...(deps.invalidation ? { invalidation: deps.invalidation } : {}) });
  const forget = (identifier: string): Promise<void> => cache.invalidate(identifier);
  return {
    async create(input: ResourceInput): Promise<ResourceServer> {
      const resource: ResourceServer = {
        identifier: checkResourceIdentifier(input.identifier),
        scopes: checkScopes(input.scope),
        format: input.format ?? 'jwt',
        ttlSeconds: checkTtl(input.ttlSeconds),
        introspectors: [...new Set(input.introspectors ?? [])],
        createdAt: new Date(),
      };
      if (await deps.store.find(resource.identifier)) throw new ResourceExistsError(resource.identifier);
      await deps.store.create(resource);
      await forget(resource.identifier);
      return resource;
    },
    async get(identifier: string): Promise<ResourceServer> {
      const resource = await deps.store.find(identifier);
      if (!resource) throw new ResourceNotFoundError(identifier);
      return resource;
    },
    lookup(identifier: string): Promise<ResourceServer | undefined> {
      return cache.get(identifier, () => deps.store.find(identifier));
    },
    list: (options: { limit: number; after?: string }) => deps.store.list(options),
    async update(identifier: string, patch: Omit<ResourceInput, 'identifier'>): Promise<ResourceServer> {
      const updated = await deps.store.update(identifier, {
        ...(patch.scope !== undefined ? { scopes: checkScopes(patch.scope) } : {}),
        ...(patch.format !== undefined ? { format: patch.format } : {}),
        ...(patch.ttlSeconds !== undefined ? { ttlSeconds: checkTtl(patch.ttlSeconds) } : {}),
        ...(patch.introspectors !== undefined ? { introspectors: [...new Set(patch.introspectors)] } : {}),
      });
      if (!updated) throw new ResourceNotFoundError(identifier);
      await forget(identifier);
      return updated;
    },
    async delete(identifier: string): Promise<void> {
      if (!(await deps.store.delete(identifier))) throw new ResourceNotFoundError(identifier);
      await forget(identifier);
    },
  };
}

export type ResourceService = ReturnType<typeof createResourceService>;
