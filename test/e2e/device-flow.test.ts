import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import { deviceSignIn } from '../../examples/device-cli/device-cli.js';
import { Browser, expectPage, isPage, type Page } from '../support/browser.js';
import { totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
// oidc-provider's base-20 alphabet (no vowels), in two groups of four.
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

async function deviceClient(server: TestServer): Promise<oidc.Configuration> {
  const created = await server.container.clients.create({ name: 'Living-room TV', publicClient: true, grantTypes: ['device_code', 'refresh_token'], scope: 'openid email offline_access' });
  expect(created.metadata).toMatchObject({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], token_endpoint_auth_method: 'none', redirect_uris: [] });
  return oidc.discovery(new URL(server.url), String(created.metadata.client_id), { token_endpoint_auth_method: 'none' }, oidc.None(), insecure);
}

async function enterCode(browser: Browser, page: Page, userCode: string): Promise<Page> {
  return expectPage(await browser.submit(page, { containing: 'input[name="xsrf"]', fields: { user_code: userCode } }));
}

describe('device sign-in (RFC 8628): a TV shows a code, the person signs in on a phone', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    config = await deviceClient(server);
  });

  afterAll(async () => {
    await server.stop();
  });

  it('signs the person in with password, TOTP and consent, and the device polls its tokens', async () => {
    const email = `viewer-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email offline_access' });
    expect(device.user_code).toMatch(USER_CODE);
    expect(device.verification_uri).toBe(`${server.url}/device`);

    // On the phone: the code page, then the device to confirm, then the usual sign-in pages.
    const browser = new Browser();
    const codePage = expectPage(await browser.open(device.verification_uri));
    expect(codePage.document.querySelector('input[name="user_code"]')).not.toBeNull();
    const confirm = await enterCode(browser, codePage, device.user_code.toLowerCase().replace('-', ' '));
    expect(confirm.document.querySelector('[data-user-code]')?.text).toBe(device.user_code);
    expect(confirm.document.querySelector('[data-client-name]')?.text).toBe('Living-room TV');
    const login = expectPage(await browser.submit(confirm, { containing: 'input[name="xsrf"]' }));
    const second = expectPage(await browser.submit(login, { containing: 'input[name="password"]', fields: { email, password: PASSWORD } }));
    const consent = expectPage(await browser.submit(second, { containing: 'input[name="code"]', fields: { code: await totpCode(totp?.secret ?? '') } }));
    const done = expectPage(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }));
    expect(done.document.querySelector('[data-device-done]')?.text).toContain('Living-room TV');

    const tokens = await oidc.pollDeviceAuthorizationGrant(config, device);
    expect(tokens.claims()).toMatchObject({ sub: account.id, amr: expect.arrayContaining(['pwd', 'otp']) });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, account.id)).toMatchObject({ email });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  }, 30_000);

  it('signs in the example command-line tool', async () => {
    const email = `cli-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const cli = await server.container.clients.create({ name: 'Acme CLI', publicClient: true, grantTypes: ['device_code', 'refresh_token'], scope: 'openid email offline_access' });
    let shown: { url: string; code: string; urlWithCode?: string | undefined } | undefined;
    const signedIn = deviceSignIn({ issuer: server.url, clientId: String(cli.metadata.client_id), onCode: (instructions) => (shown = instructions) });
    while (!shown) await new Promise((resolve) => setTimeout(resolve, 20));

    // The person opens the link with the code in it: the code is filled in, and they go on.
    const browser = new Browser();
    const codePage = expectPage(await browser.open(shown.urlWithCode ?? ''));
    const filledIn = codePage.document.querySelector('input[name="user_code"]')?.getAttribute('value') ?? '';
    expect(filledIn).toBe(shown.code);
    const confirm = await enterCode(browser, codePage, filledIn);
    expect(confirm.document.querySelector('[data-user-code]')?.text).toBe(shown.code);
    const login = expectPage(await browser.submit(confirm, { containing: 'input[name="xsrf"]' }));
    const second = expectPage(await browser.submit(login, { containing: 'input[name="password"]', fields: { email, password: PASSWORD } }));
    const consent = expectPage(await browser.submit(second, { containing: 'input[name="code"]', fields: { code: await totpCode(totp?.secret ?? '', 1) } }));
    expectPage(await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }));
    expect((await signedIn).claims()).toMatchObject({ sub: account.id });
  }, 30_000);

  it('says a wrong code is wrong, in the page, and lets the person cancel a device', async () => {
    const browser = new Browser();
    const codePage = expectPage(await browser.open(`${server.url}/device`));
    const wrong = await enterCode(browser, codePage, 'BCDF-GHJK');
    expect(wrong.status).toBe(400);
    expect(wrong.document.querySelector('[role="alert"]')?.text).toMatch(/not valid or has expired/);

    const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const confirm = await enterCode(browser, expectPage(await browser.open(device.verification_uri)), device.user_code);
    const cancelled = await browser.submit(confirm, { containing: 'button[name="abort"]', button: { name: 'abort', value: 'yes' } });
    expect(isPage(cancelled) && cancelled.document.querySelector('[role="alert"]')?.text).toMatch(/cancelled/);
    await expect(oidc.pollDeviceAuthorizationGrant(config, device)).rejects.toMatchObject({ error: 'access_denied' });
  }, 30_000);
});

describe('device sign-in: guessing codes', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ configure: (config) => ({ ...config, rateLimit: { ...config.rateLimit, interactionPostsPerMinute: 3 } }) });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('runs into the per-address limit after a few tries', async () => {
    const browser = new Browser();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const page = expectPage(await browser.open(`${server.url}/device`));
      const answer = await browser.submit(page, { containing: 'input[name="xsrf"]', fields: { user_code: 'BCDF-GHJK' } });
      statuses.push(isPage(answer) ? answer.status : 0);
    }
    expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});
