import { randomUUID } from 'node:crypto';

import * as oidc from 'openid-client';

import { Browser, expectPage } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { requireEnv } from '../support/test-env.js';
import { startTestCluster, type TestCluster } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';
const insecure = { execute: [oidc.allowInsecureRequests] };

/**
 * Two instances behind a balancer on a Redis Cluster of three masters (and FerretDB): sessions,
 * interactions, codes, tokens, grant indexes, throttles, rate limits, locks and the audit spool
 * all live in the cluster, each key in the slot of its hash tag.
 */
describe('on a Redis Cluster', () => {
  let cluster: TestCluster;
  let config: oidc.Configuration;

  beforeAll(async () => {
    cluster = await startTestCluster({ instances: 2, env: { REDIS_URL: requireEnv('REDIS_CLUSTER_URL'), REDIS_CLUSTER: 'true' } });
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    const client = await registerClient(first, {
      client_name: 'Photo Printer', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email offline_access',
    });
    config = await oidc.discovery(new URL(cluster.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('signs in through the pages (wrong password, TOTP, consent), refreshes with rotation, and a replayed refresh token revokes the grant', async () => {
    const [first] = cluster.containers;
    const email = `cluster-${randomUUID()}@example.com`;
    const { totp } = await first!.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const login = await openLogin(browser, request);
    const wrong = await submitPassword(browser, login, email, 'not the password at all');
    expect(wrong.status).toBe(401);
    const code = await submitPassword(browser, wrong, email, PASSWORD);
    const consent = expectPage(await submitCode(browser, code, await totpCode(totp?.secret ?? '')));
    const callback = await approveConsent(browser, consent);
    const tokens = await redeem(config, callback, request);
    expect(tokens.claims()?.sub).toEqual(expect.any(String));

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()?.sub ?? '');
    expect(userinfo.email).toBe(email);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The rotated-away refresh token used again: the whole grant ends, its new tokens with it.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, tokens.claims()?.sub ?? '')).rejects.toMatchObject({ status: 401 });
  });

  it('ends every session and token of an account that is disabled', async () => {
    const [first] = cluster.containers;
    const email = `cluster-disabled-${randomUUID()}@example.com`;
    const { account, totp } = await first!.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const code = await submitPassword(browser, await openLogin(browser, request), email, PASSWORD);
    const tokens = await redeem(config, await approveConsent(browser, expectPage(await submitCode(browser, code, await totpCode(totp?.secret ?? '')))), request);
    await first!.accounts.setStatus(account.id, 'disabled');
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
