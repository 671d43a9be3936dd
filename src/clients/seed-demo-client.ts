import { randomBytes } from 'node:crypto';
import type { AdapterFactory } from 'oidc-provider';

export interface DemoClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

export const DEMO_CLIENT_ID = 'latchkey-demo';

/** Registers (or re-registers with a fresh secret) the confidential client `npm run dev` prints. */
export async function seedDemoClient(adapter: AdapterFactory, issuer: string): Promise<DemoClient> {
  const clientSecret = randomBytes(32).toString('base64url');
  const redirectUri = `${issuer}/dev/callback`;
  await adapter('Client').upsert(DEMO_CLIENT_ID, {
    client_id: DEMO_CLIENT_ID,
    client_secret: clientSecret,
    client_name: 'Latchkey demo app',
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [`${issuer}/`],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    scope: 'openid email profile offline_access',
    token_endpoint_auth_method: 'client_secret_basic',
  });
  return { clientId: DEMO_CLIENT_ID, clientSecret, redirectUri };
}
