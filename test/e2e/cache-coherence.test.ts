import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import { runCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load-config.js';
import { Browser, expectPage } from '../support/browser.js';
import { basicAuthorization, registerClient } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { dataKeyEnv } from '../support/test-env.js';
import { startTestCluster, type TestCluster } from '../support/test-server.js';

/**
 * Two instances on one Redis and one MongoDB-protocol server, each caching clients and resource
 * servers. A change made through instance A must be in force on instance B with the very next
 * request: no waiting for a cache to expire.
 */
describe('caches across instances', () => {
  let cluster: TestCluster;
  let urlB: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ instances: 2 });
    urlB = cluster.instanceUrls[1] ?? '';
  });

  afterAll(async () => {
    await cluster.stop();
  });

  function instanceA() {
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    return first;
  }

  async function tokenOnB(clientId: string, secret: string, params: Record<string, string> = {}): Promise<{ status: number; error?: string }> {
    const response = await fetch(`${urlB}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
    const body = (await response.json()) as { error?: string };
    return { status: response.status, ...(body.error ? { error: body.error } : {}) };
  }

  it('refuses on B, at once, a secret rotated on A, then the client deleted on A', async () => {
    for (let round = 0; round < 5; round += 1) {
      const created = await instanceA().clients.create({ name: `Batch job ${round}`, scope: 'openid' });
      const clientId = String(created.metadata.client_id);
      const oldSecret = created.clientSecret ?? '';
      // B reads the client and caches it.
      expect(await tokenOnB(clientId, oldSecret)).toEqual({ status: 200 });
      expect(await tokenOnB(clientId, oldSecret)).toEqual({ status: 200 });

      const rotated = await instanceA().clients.rotateSecret(clientId);
      expect(await tokenOnB(clientId, oldSecret)).toEqual({ status: 401, error: 'invalid_client' });
      expect(await tokenOnB(clientId, rotated.clientSecret ?? '')).toEqual({ status: 200 });

      await instanceA().clients.delete(clientId);
      expect(await tokenOnB(clientId, rotated.clientSecret ?? '')).toEqual({ status: 401, error: 'invalid_client' });
    }
  });

  it('refuses on B, at once, tokens for a resource server deleted on A', async () => {
    const api = `https://api-${randomUUID()}.example.com`;
    await instanceA().resources.create({ identifier: api, scope: 'read', format: 'jwt' });
    const created = await instanceA().clients.create({ name: 'Reporting job', scope: 'openid', resources: [api] });
    const clientId = String(created.metadata.client_id);
    const secret = created.clientSecret ?? '';
    expect(await tokenOnB(clientId, secret, { resource: api, scope: 'read' })).toEqual({ status: 200 });
    expect(await tokenOnB(clientId, secret, { resource: api, scope: 'read' })).toEqual({ status: 200 });

    await instanceA().resources.delete(api);
    expect(await tokenOnB(clientId, secret, { resource: api, scope: 'read' })).toEqual({ status: 400, error: 'invalid_target' });
  });
});

/**
 * Refreshes, code redemptions and userinfo read an account through a cache in each instance
 * (account-claims-cache.ts). A change made on instance A, through the admin API or the CLI, must
 * show on instance B with the very next request.
 */
describe('account changes reach the tokens of every instance at once', () => {
  let cluster: TestCluster;
  let config: oidc.Configuration;
  const PASSWORD = 'correct horse battery staple';

  beforeAll(async () => {
    // The CLI announces changes on the channel of the default key prefix, so the servers use it.
    cluster = await startTestCluster({ instances: 2, configure: (shared) => ({ ...shared, redisKeyPrefix: loadConfig({}).redisKeyPrefix }) });
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    const client = await registerClient(first, {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid profile email offline_access',
    });
    config = await oidc.discovery(new URL(cluster.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), { execute: [oidc.allowInsecureRequests] });
  });

  afterAll(async () => {
    await cluster.stop();
  });

  function instance(index: number) {
    const container = cluster.containers[index];
    if (!container) throw new Error(`the cluster has no instance ${index}`);
    return container;
  }

  /** What instance B's userinfo endpoint says, asked directly. */
  async function userinfoOnB(accessToken: string): Promise<{ status: number; name?: string; email?: string }> {
    const response = await fetch(`${cluster.instanceUrls[1] ?? ''}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (!response.ok) return { status: response.status };
    const body = (await response.json()) as { name?: string; email?: string };
    return { status: response.status, ...(body.name ? { name: body.name } : {}), ...(body.email ? { email: body.email } : {}) };
  }

  async function cli(args: string[]): Promise<void> {
    const { config: server } = instance(0);
    const env = { MONGODB_URI: server.mongodbUri ?? '', REDIS_URL: server.redisUrl ?? '', DATA_ENCRYPTION_KEY: dataKeyEnv(server) };
    let stderr = '';
    const code = await runCli(args, { env, stdout: () => undefined, stderr: (text) => (stderr += text), readStdin: async () => '' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }

  it('shows on B a name changed on A, then one changed with the CLI, and ends at once for an account disabled on A', async () => {
    const email = `claims-${randomUUID()}@example.com`;
    const { account, totp } = await instance(0).accounts.createAccount({ email, name: 'Ada', password: PASSWORD, withTotp: true });
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid profile email offline_access', prompt: 'consent' });
    const second = await submitPassword(browser, await openLogin(browser, request), email, PASSWORD);
    const consent = expectPage(await submitCode(browser, second, await totpCode(totp?.secret ?? '')));
    const tokens = await redeem(config, await approveConsent(browser, consent), request);

    // B reads the account and keeps it.
    expect(await userinfoOnB(tokens.access_token)).toEqual({ status: 200, name: 'Ada', email });
    expect(await userinfoOnB(tokens.access_token)).toEqual({ status: 200, name: 'Ada', email });

    await instance(0).accounts.updateProfile(account.id, { name: 'Ada Lovelace' });
    expect(await userinfoOnB(tokens.access_token)).toEqual({ status: 200, name: 'Ada Lovelace', email });

    await cli(['users', 'update', email, '--name', 'Countess of Lovelace']);
    expect(await userinfoOnB(tokens.access_token)).toEqual({ status: 200, name: 'Countess of Lovelace', email });

    // A refresh redeemed on B reads the account too; a disabled one gets nothing.
    await instance(0).accounts.setStatus(account.id, 'disabled');
    expect((await userinfoOnB(tokens.access_token)).status).toBe(401);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
