import { randomBytes, randomUUID } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';

import type { Container } from '../../src/container.js';

export interface RegisteredClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Writes a confidential client straight into the client store, as an admin tool would. */
export async function registerClient(container: Container, metadata: AdapterPayload = {}): Promise<RegisteredClient> {
  const clientId = `test-${randomUUID()}`;
  const clientSecret = randomBytes(32).toString('base64url');
  await container.adapter('Client').upsert(clientId, {
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    ...metadata,
  });
  return { clientId, clientSecret };
}

/** The Authorization header value for client_secret_basic. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}
