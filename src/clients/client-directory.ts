import type { AdapterPayload } from 'oidc-provider';

export interface ClientPage {
  readonly clients: readonly AdapterPayload[];
  readonly nextCursor?: string;
}

/** Lists registered clients (the provider's adapter can only look one up by id). Secrets are never included. */
export interface ClientDirectory {
  list(options: { limit: number; after?: string }): Promise<ClientPage>;
}
