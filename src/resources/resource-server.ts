export type AccessTokenFormat = 'jwt' | 'opaque';

/** A registered API (RFC 8707 resource): tokens requested for it are audienced to it. */
export interface ResourceServer {
  readonly identifier: string;
  readonly scopes: readonly string[];
  readonly format: AccessTokenFormat;
  readonly ttlSeconds: number;
  /** Clients (the resource server's own credentials) allowed to introspect tokens for it. */
  readonly introspectors: readonly string[];
  readonly createdAt: Date;
}

/** Durable storage of resource servers, keyed by identifier. */
export interface ResourceStore {
  create(resource: ResourceServer): Promise<void>;
  find(identifier: string): Promise<ResourceServer | undefined>;
  list(options: { limit: number; after?: string }): Promise<{ resources: ResourceServer[]; nextCursor?: string }>;
  update(identifier: string, patch: Partial<Omit<ResourceServer, 'identifier' | 'createdAt'>>): Promise<ResourceServer | undefined>;
  delete(identifier: string): Promise<boolean>;
}
