import * as oidc from 'openid-client';

import { runCli } from '../../src/cli/main.js';
import { Browser, expectPage, isPage } from '../support/browser.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { dataKeyEnv } from '../support/test-env.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'an audited passphrase';

describe('audit trail of sign-ins, failures, lockouts and admin changes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('records each event with its fields, and never a password, code, secret or token', async () => {
    const config = server.container.config;
    const env = {
      MONGODB_URI: config.mongodbUri ?? '',
      REDIS_URL: config.redisUrl ?? '',
      DATA_ENCRYPTION_KEY: dataKeyEnv(config),
    };
    let stdout = '';
    const code = await runCli(
      ['clients', 'create', '--name', 'Audited App', '--redirect-uri', REDIRECT_URI, '--scope', 'openid email profile offline_access', '--json'],
      { env, stdout: (text) => (stdout += text), stderr: () => undefined, readStdin: async () => '' },
    );
    expect(code).toBe(0);
    const client = JSON.parse(stdout) as { client_id: string; client_secret: string };
    // The running server may have cached "no such client"; the CLI's invalidation clears it.
    const rp = await oidc.discovery(new URL(server.url), client.client_id, { client_secret: client.client_secret }, oidc.ClientSecretBasic(client.client_secret), insecure);

    const { account, totp } = await server.container.accounts.createAccount({ email: 'audited@example.com', password: PASSWORD, withTotp: true });
    const secret = totp?.secret ?? '';
    const usedCodes: string[] = [];

    // A full sign-in with consent, and its tokens.
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(rp, { scope: 'openid email offline_access', prompt: 'consent' });
    const second = await submitPassword(browser, await openLogin(browser, request), account.email, PASSWORD);
    const codeNow = await totpCode(secret);
    usedCodes.push(codeNow);
    const consent = expectPage(await submitCode(browser, second, codeNow));
    const callback = await approveConsent(browser, consent);
    const authorizationCode = new URL(callback).searchParams.get('code') ?? '';
    const tokens = await redeem(rp, callback, request);

    // A failed sign-in, then a lockout.
    const failing = new Browser(REDIRECT_URI);
    let page = await openLogin(failing, await buildAuthorizationRequest(rp));
    for (let attempt = 0; attempt < 10; attempt += 1) {
      page = await submitPassword(failing, page, account.email, `${PASSWORD} wrong ${attempt}`);
    }
    expect(isPage(page)).toBe(true);

    await server.container.audit.flush();
    const stored = await server.container.auditStore.query({ limit: 200 });
    const byType = (type: string) => stored.filter((event) => event.type === type);

    expect(byType('client.created')).toEqual([expect.objectContaining({ clientId: client.client_id, outcome: 'success', userAgent: 'latchkey-cli' })]);
    expect(byType('login.succeeded')).toEqual([expect.objectContaining({
      accountId: account.id, clientId: client.client_id, outcome: 'success', ip: expect.any(String), requestId: expect.any(String), details: { method: 'totp' },
    })]);
    expect(byType('consent.granted')[0]).toMatchObject({ accountId: account.id, clientId: client.client_id });
    // Token issuance is a log line and a counter by default (config audit.storage), not a record.
    expect(byType('token.issued')).toEqual([]);
    expect(server.logLines().some((line) => line.includes('"type":"token.issued"') && line.includes('"grant_type":"authorization_code"'))).toBe(true);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^latchkey_audit_events_total\{type="token.issued"\} [1-9]/m);
    expect(byType('login.password_failed')).toHaveLength(10);
    expect(byType('login.password_failed')[0]).toMatchObject({ accountId: account.id, outcome: 'failure', details: { reason: 'invalid' } });
    expect(byType('login.locked')).toEqual([expect.objectContaining({ accountId: account.id, ip: expect.any(String), details: { scope: 'pair', after: 'password' } })]);
    for (const event of stored) {
      expect(event.time).toBeInstanceOf(Date);
      expect(['success', 'failure']).toContain(event.outcome);
    }

    const secrets = [PASSWORD, client.client_secret, secret, ...usedCodes, authorizationCode, tokens.access_token, tokens.refresh_token ?? '', tokens.id_token ?? ''].filter((value) => value.length >= 6);
    const storedText = JSON.stringify(stored);
    const logText = server.logLines().join('\n');
    for (const value of secrets) {
      expect(storedText).not.toContain(value);
      expect(logText).not.toContain(value);
    }
    expect(logText).toContain('"type":"login.locked"');
  });
});
