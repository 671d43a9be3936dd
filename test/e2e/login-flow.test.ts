import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect } from '../support/browser.js';
import { registerClient, type RegisteredClient } from '../support/register-client.js';
import {
  approveConsent,
  buildAuthorizationRequest,
  openLogin,
  redeem,
  REDIRECT_URI,
  signIn,
  submitCode,
  submitPassword,
  totpCode,
} from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const LOGIN_ERROR = 'The email or password is not right';

describe('signing in with password and TOTP through the HTML pages', () => {
  let server: TestServer;
  let client: RegisteredClient;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    client = await registerClient(server.container, {
      client_name: 'Photo Printer',
      policy_uri: 'https://printer.example.com/privacy',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid email profile offline_access',
    });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  });

  afterAll(async () => {
    await server.stop();
  });

  async function createUser(email: string, withTotp: boolean): Promise<{ id: string; email: string; password: string; totpSecret: string }> {
    const { account, totp } = await server.container.accounts.createAccount({ email, name: 'Ada Lovelace', password: PASSWORD, withTotp });
    return { id: account.id, email, password: PASSWORD, totpSecret: totp?.secret ?? '' };
  }

  it('enrols TOTP on first login, shows recovery codes once, asks consent, and issues ID tokens with pwd and otp', async () => {
    const user = await createUser('first@example.com', false);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const login = await openLogin(browser, request);
    expect(login.document.querySelector('input[name="email"]')?.getAttribute('autocomplete')).toBe('username');
    expect(login.document.querySelector('input[name="password"]')?.getAttribute('autocomplete')).toBe('current-password');
    expect(login.document.querySelector('input[name="csrf"]')?.getAttribute('value')).toEqual(expect.any(String));

    const enrol = await submitPassword(browser, login, user.email, user.password);
    const secret = enrol.document.querySelector('[data-totp-secret]')?.getAttribute('data-totp-secret') ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrol.html).toContain('<svg');
    expect(enrol.document.querySelector('input[name="code"]')?.getAttribute('autocomplete')).toBe('one-time-code');

    const codesPage = expectPage(await submitCode(browser, enrol, await totpCode(secret)));
    const codes = codesPage.document.querySelectorAll('[data-recovery-code]').map((element) => element.getAttribute('data-recovery-code'));
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    const consent = expectPage(await browser.submit(codesPage, { containing: 'button' }));
    expect(consent.html).toContain('Photo Printer');
    expect(consent.document.querySelector('[data-policy-uri]')?.getAttribute('href')).toBe('https://printer.example.com/privacy');
    expect(consent.document.querySelectorAll('[data-scope]').map((item) => item.getAttribute('data-scope'))).toEqual(['openid', 'email', 'profile']);
    expect(consent.document.querySelector('button[name="decision"][value="deny"]')).not.toBeNull();
    const callback = await approveConsent(browser, consent);

    const tokens = await redeem(config, callback, request);
    const claims = tokens.claims();
    // The scope claims (email, profile) come from userinfo (ID_TOKEN_CLAIMS=conform, the default).
    expect(claims).toMatchObject({ sub: user.id });
    expect(claims?.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    expect(claims?.auth_time).toEqual(expect.any(Number));
    expect(claims?.sub).not.toContain('@');

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, user.id);
    expect(userinfo).toMatchObject({ sub: user.id, email: user.email, name: 'Ada Lovelace' });
    expect(userinfo.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    expect(userinfo.auth_time).toBe(claims?.auth_time);

    // The stored account now holds an encrypted secret and hashed codes, never the plain values.
    const stored = await server.container.accounts.findById(user.id);
    expect(stored?.totpSecretEncrypted).not.toContain(secret);
    expect(JSON.stringify(stored?.recoveryCodes)).not.toContain(String(codes[0]).replace('-', ''));
  });

  it('signs an enrolled user in again with a TOTP code, skipping the consent already given', async () => {
    const user = await createUser('again@example.com', true);
    const first = new Browser(REDIRECT_URI);
    const firstRequest = await buildAuthorizationRequest(config);
    const consent = await signIn(first, firstRequest, user, 0);
    if (typeof consent === "string") throw new Error('expected the consent page on first sign-in');
    await redeem(config, await approveConsent(first, consent), firstRequest);

    // A new browser is a new session: the remembered consent still applies.
    const second = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const callback = await signIn(second, request, user, 1);
    if (typeof callback !== 'string') throw new Error(`expected to return to the client, got:\n${callback.html}`);
    const tokens = await redeem(config, callback, request);
    expect(tokens.claims()).toMatchObject({ sub: user.id, amr: expect.arrayContaining(['pwd', 'otp', 'mfa']) });
  });

  it('accepts a recovery code once, and says so in amr', async () => {
    const user = await createUser('recovery@example.com', false);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const enrol = await submitPassword(browser, await openLogin(browser, request), user.email, user.password);
    const secret = enrol.document.querySelector('[data-totp-secret]')?.getAttribute('data-totp-secret') ?? '';
    const codesPage = expectPage(await submitCode(browser, enrol, await totpCode(secret)));
    const code = codesPage.document.querySelector('[data-recovery-code]')?.getAttribute('data-recovery-code') ?? '';
    await approveConsent(browser, expectPage(await browser.submit(codesPage, { containing: 'button' })));

    const later = new Browser(REDIRECT_URI);
    const laterRequest = await buildAuthorizationRequest(config);
    const second = await submitPassword(later, await openLogin(later, laterRequest), user.email, user.password);
    const callback = expectRedirect(await submitCode(later, second, code.toLowerCase()));
    const tokens = await redeem(config, callback, laterRequest);
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'recovery_code']));

    const again = new Browser(REDIRECT_URI);
    const againSecond = await submitPassword(again, await openLogin(again, await buildAuthorizationRequest(config)), user.email, user.password);
    const refused = expectPage(await submitCode(again, againSecond, code));
    expect(refused.status).toBe(401);
    expect(refused.html).toContain('That code is not valid');
  });

  it('gives a wrong password and an unknown email the same answer', async () => {
    const user = await createUser('wrongpw@example.com', true);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const wrong = await submitPassword(browser, await openLogin(browser, request), user.email, 'not the password at all');
    const unknown = await submitPassword(browser, await openLogin(browser, request), 'nobody@example.com', 'not the password at all');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const message = (html: string): string | undefined => html.match(/role="alert">([^<]*)</)?.[1];
    expect(message(wrong.html)).toContain(LOGIN_ERROR);
    expect(message(wrong.html)).toBe(message(unknown.html));
  });

  it('rejects a wrong TOTP code and a replayed one', async () => {
    const user = await createUser('codes@example.com', true);
    const first = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const second = await submitPassword(first, await openLogin(first, request), user.email, user.password);
    const wrong = expectPage(await submitCode(first, second, '000000' === (await totpCode(user.totpSecret)) ? '111111' : '000000'));
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('That code is not valid');
    const code = await totpCode(user.totpSecret);
    const consent = expectPage(await submitCode(first, wrong, code));
    expect(consent.document.querySelector('button[value="approve"]')).not.toBeNull();

    const replay = new Browser(REDIRECT_URI);
    const replaySecond = await submitPassword(replay, await openLogin(replay, await buildAuthorizationRequest(config)), user.email, user.password);
    const replayed = expectPage(await submitCode(replay, replaySecond, code));
    expect(replayed.status).toBe(401);
    expect(replayed.html).toContain('That code is not valid');
  });

  it('locks this email from this address after ten failures; the right password then waits too, with its own message', async () => {
    const user = await createUser('lockout@example.com', true);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    let page = await openLogin(browser, request);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      page = await submitPassword(browser, page, user.email, `wrong password ${attempt}`);
      expect(page.status).toBe(401);
    }
    const locked = await submitPassword(browser, page, user.email, user.password);
    expect(locked.status).toBe(429);
    expect(locked.html).toMatch(/Too many attempts from this device; try again in \d+ minutes?\./);
    expect(locked.document.querySelector('input[name="code"]')).toBeNull();

    await server.container.accounts.unlock(user.email);
    const unlocked = await submitPassword(browser, locked, user.email, user.password);
    expect(unlocked.document.querySelector('input[name="code"]')).not.toBeNull();
  });

  it('never gives a code without both factors, whatever the request order', async () => {
    const user = await createUser('skip@example.com', true);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const login = await openLogin(browser, request);
    const csrf = login.document.querySelector('input[name="csrf"]')?.getAttribute('value') ?? '';
    const uid = new URL(login.url).pathname.split('/')[2] ?? '';
    const base = `${server.url}/interaction/${uid}`;

    // A code, enrolment, codes acknowledgement or consent before the password: back to the login page.
    for (const step of ['second-factor', 'enrol', 'recovery-codes', 'consent']) {
      const result = expectPage(await browser.post(`${base}/${step}`, { csrf, code: await totpCode(user.totpSecret), decision: 'approve' }));
      expect(result.document.querySelector('input[name="password"]')).not.toBeNull();
    }
    // Resuming the authorization without a finished interaction does not log in either.
    const resumed = expectPage(await browser.open(`${server.url}/auth/${uid}`));
    expect(resumed.document.querySelector('input[name="password"]')).not.toBeNull();

    // The password alone leads to the second factor, not to the client.
    const second = await submitPassword(browser, resumed, user.email, user.password);
    expect(second.document.querySelector('input[name="code"]')).not.toBeNull();
    const secondUid = new URL(second.url).pathname.split('/')[2] ?? '';
    const stillNoCode = expectPage(await browser.open(`${server.url}/auth/${secondUid}`));
    expect(stillNoCode.document.querySelector('input[name="password"]')).not.toBeNull();
  });

  it('refuses a form without the CSRF token of its interaction', async () => {
    const browser = new Browser(REDIRECT_URI);
    const login = await openLogin(browser, await buildAuthorizationRequest(config));
    const result = expectPage(await browser.post(login.url.replace(/\/?$/, '/login'), { email: 'x@example.com', password: 'whatever', csrf: 'forged' }));
    expect(result.status).toBe(403);
    expect(result.html).toContain('data-error="invalid_csrf_token"');
  });

  it('returns access_denied to the client when the user denies consent', async () => {
    const user = await createUser('deny@example.com', true);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config);
    const consent = await signIn(browser, request, user, 0);
    if (typeof consent === "string") throw new Error('expected the consent page');
    const callback = expectRedirect(await browser.submit(consent, { containing: 'button[value="deny"]', button: { name: 'decision', value: 'deny' } }));
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    await expect(redeem(config, callback, request)).rejects.toMatchObject({ error: 'access_denied' });
  });

  it('rotates refresh tokens: the old one fails after use', async () => {
    const user = await createUser('refresh@example.com', true);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const consent = await signIn(browser, request, user, 0);
    if (typeof consent === "string") throw new Error('expected the consent page');
    const tokens = await redeem(config, await approveConsent(browser, consent), request);
    const first = tokens.refresh_token;
    expect(first).toEqual(expect.any(String));

    const rotated = await oidc.refreshTokenGrant(config, first ?? '');
    expect(rotated.refresh_token).toEqual(expect.any(String));
    expect(rotated.refresh_token).not.toBe(first);
    await expect(oidc.refreshTokenGrant(config, first ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    // Reusing a rotated token revokes the grant: the new refresh token is dead too.
    await expect(oidc.refreshTokenGrant(config, rotated.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes the access tokens of a grant when its refresh token is revoked', async () => {
    const user = await createUser('revoke@example.com', true);
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const consent = await signIn(browser, request, user, 0);
    if (typeof consent === 'string') throw new Error('expected the consent page');
    const tokens = await redeem(config, await approveConsent(browser, consent), request);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
    await oidc.tokenRevocation(config, tokens.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('does not sign in a disabled account', async () => {
    const user = await createUser('disabled@example.com', true);
    await server.container.accounts.setStatus(user.id, 'disabled');
    const browser = new Browser(REDIRECT_URI);
    const page = await submitPassword(browser, await openLogin(browser, await buildAuthorizationRequest(config)), user.email, user.password);
    expect(page.status).toBe(401);
    expect(page.html).toContain(LOGIN_ERROR);
  });

  it('keeps passwords, codes and secrets out of the log', () => {
    const log = server.logLines().join('\n');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(client.clientSecret);
    expect(log).toContain('"type":"login.succeeded"');
  });
});
