import { randomUUID } from 'node:crypto';

import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect, type Page } from '../support/browser.js';
import { basicAuthorization, registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, redeem, REDIRECT_URI, signIn, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';

describe('the landing page and the account area', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('says at / what this is, with a link to one\'s account', async () => {
    const home = expectPage(await new Browser(REDIRECT_URI).open(`${server.url}/`));
    expect(home.status).toBe(200);
    expect(home.document.querySelector('a[href="/account"]')).not.toBeNull();
  });

  it('asks for the password and the second factor before showing the account, shows the profile, and signs out to the landing page', async () => {
    const email = `account-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({
      email, name: 'Grace Hopper', password: PASSWORD, withTotp: true, profile: { given_name: 'Grace', address: { locality: 'Arlington', country: 'US' } },
    });
    const browser = new Browser(REDIRECT_URI);
    const login = expectPage(await browser.open(`${server.url}/account`));
    expect(login.document.querySelector('input[name="password"]')).not.toBeNull();
    const second = await submitPassword(browser, login, email, PASSWORD);
    const account = expectPage(await submitCode(browser, second, await totpCode(totp?.secret ?? '')));
    expect(account.url).toBe(`${server.url}/account`);
    expect(account.document.querySelector('[data-account-email]')?.text).toBe(email);
    expect(account.document.querySelector('[data-claim="given_name"]')?.text).toBe('Grace');
    expect(account.document.querySelector('[data-claim="address"]')?.text).toBe('Arlington, US');

    // Signed in: the account opens straight away.
    expect(expectPage(await browser.open(`${server.url}/account`)).url).toBe(`${server.url}/account`);

    const signOut = account.document.querySelectorAll('a').find((anchor) => anchor.text.includes('Sign out'));
    const confirm = expectPage(await browser.open(new URL(signOut?.getAttribute('href') ?? '', server.url).toString()));
    const landed = expectPage(await browser.submit(confirm, { containing: 'input[name="xsrf"]', button: { name: 'logout', value: 'yes' } }));
    expect(landed.url).toBe(`${server.url}/`);
    expect(landed.document.querySelector('a[href="/account"]')).not.toBeNull();

    const again = expectPage(await browser.open(`${server.url}/account`));
    expect(again.document.querySelector('input[name="password"]')).not.toBeNull();
  });

  it('goes back to the landing page when the sign-in is cancelled', async () => {
    const browser = new Browser(REDIRECT_URI);
    const login = expectPage(await browser.open(`${server.url}/account`));
    const cancelled = expectPage(await browser.submit(login, { containing: 'button.secondary', fields: {} }));
    expect(cancelled.url).toBe(`${server.url}/`);
  });

  async function openAccount(browser: Browser, email: string, secret: string, step: number): Promise<Page> {
    const login = expectPage(await browser.open(`${server.url}/account`));
    if (!login.document.querySelector('input[name="password"]')) return login;
    const second = await submitPassword(browser, login, email, PASSWORD);
    return expectPage(await submitCode(browser, second, await totpCode(secret, step)));
  }

  it('lists the applications that can use the account and removes one with its tokens; ends the sessions of other browsers', async () => {
    const email = `apps-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const secret = totp?.secret ?? '';
    const app = await registerClient(server.container, { client_name: 'Photo Printer', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email offline_access', first_party: true });
    const config = await oidc.discovery(new URL(server.url), app.clientId, { client_secret: app.clientSecret }, oidc.ClientSecretBasic(app.clientSecret), { execute: [oidc.allowInsecureRequests] });

    // Device A signs in to the application, then opens the account (same session: no new sign-in).
    const deviceA = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
    const callback = await signIn(deviceA, request, { email, password: PASSWORD, totpSecret: secret }, 0);
    const tokens = await redeem(config, typeof callback === 'string' ? callback : expectRedirect(await deviceA.submit(callback, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } })), request);
    const account = expectPage(await deviceA.open(`${server.url}/account`));
    expect(account.document.querySelector(`[data-app="${app.clientId}"]`)?.text).toContain('Photo Printer');
    expect(account.document.querySelectorAll('[data-session]')).toHaveLength(1);

    // Device B signs in to the account area too.
    const deviceB = new Browser(REDIRECT_URI);
    expect((await openAccount(deviceB, email, secret, 1)).document.querySelector('[data-account-email]')?.text).toBe(email);

    const active = async (token: string): Promise<boolean> => {
      const response = await fetch(`${server.url}/token/introspection`, {
        method: 'POST', headers: { authorization: basicAuthorization(app.clientId, app.clientSecret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }),
      });
      return ((await response.json()) as { active: boolean }).active;
    };
    expect(await active(tokens.refresh_token ?? '')).toBe(true);
    const refreshed = expectPage(await deviceA.open(`${server.url}/account`));
    const afterRevoke = expectPage(await deviceA.submit(refreshed, { containing: `input[name="client_id"][value="${app.clientId}"]`, fields: {} }));
    expect(afterRevoke.document.querySelector(`[data-app="${app.clientId}"]`)).toBeNull();
    expect(await active(tokens.refresh_token ?? '')).toBe(false);
    expect(await active(tokens.access_token)).toBe(false);

    // Two browsers are listed; A signs B out, and B is asked to sign in again.
    const listed = expectPage(await deviceA.open(`${server.url}/account`));
    const sessions = listed.document.querySelectorAll('[data-session]');
    expect(sessions).toHaveLength(2);
    const other = sessions.find((item) => !item.text.includes('this browser'));
    const otherUid = other?.getAttribute('data-session') ?? '';
    const afterEnd = expectPage(await deviceA.submit(listed, { containing: `input[name="session"][value="${otherUid}"]`, fields: {} }));
    expect(afterEnd.document.querySelectorAll('[data-session]')).toHaveLength(1);
    expect(expectPage(await deviceB.open(`${server.url}/account`)).document.querySelector('input[name="password"]')).not.toBeNull();

    // A form without its token changes nothing.
    const forged = await fetch(`${server.url}/account/sessions/end`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: deviceA.cookiesFor(server.url) }, body: 'session=x' });
    expect(forged.status).toBe(403);
  });

  it('changes the password only with both factors again, signs out everywhere, and makes new recovery codes that work', async () => {
    const email = `security-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const secret = totp?.secret ?? '';
    const browser = new Browser(REDIRECT_URI);
    const account = await openAccount(browser, email, secret, 0);

    // New recovery codes, confirmed with a TOTP code.
    const codesForm = expectPage(await browser.open(new URL(account.document.querySelector('a[href="/account/recovery-codes"]')?.getAttribute('href') ?? '', server.url).toString()));
    const codesPage = expectPage(await browser.submit(codesForm, { containing: 'input[name="code"]', fields: { code: await totpCode(secret, 1) } }));
    const codes = codesPage.document.querySelectorAll('[data-recovery-code]').map((element) => element.getAttribute('data-recovery-code') ?? '');
    expect(codes).toHaveLength(10);
    expect(decodeURIComponent(codesPage.document.querySelector('a[download]')?.getAttribute('href') ?? '')).toContain(codes[0]);

    const form = expectPage(await browser.open(`${server.url}/account/password`));
    const refused = expectPage(await browser.submit(form, { containing: 'input[name="current_password"]', fields: { current_password: PASSWORD, code: '000000', password: 'a new and long passphrase', password_repeat: 'a new and long passphrase' } }));
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('is not right');
    // A recovery code from the new set confirms it, as a second factor should.
    const done = expectPage(await browser.submit(refused, { containing: 'input[name="current_password"]', fields: { current_password: PASSWORD, code: codes[0] ?? '', password: 'a new and long passphrase', password_repeat: 'a new and long passphrase' } }));
    expect(done.html).toContain('Password changed');
    // Every session ended, this one included; the new password signs in.
    const again = expectPage(await browser.open(`${server.url}/account`));
    expect(again.document.querySelector('input[name="password"]')).not.toBeNull();
    const second = await submitPassword(browser, again, email, 'a new and long passphrase');
    expect(second.document.querySelector('input[name="code"]')).not.toBeNull();
    // The used recovery code does not work twice.
    const reused = expectPage(await submitCode(browser, second, codes[0] ?? ''));
    expect(reused.document.querySelector('input[name="code"]')).not.toBeNull();
    const inside = expectPage(await submitCode(browser, reused, codes[1] ?? ''));
    expect(inside.document.querySelector('[data-account-email]')?.text).toBe(email);
  });

  it('replaces the authenticator only after a code from the old app and one from the new, which then works alone', async () => {
    const email = `replace-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const oldSecret = totp?.secret ?? '';
    const [loginCode = '', laterCode = ''] = (await server.container.accounts.regenerateRecoveryCodes(account.id)) ?? [];
    const browser = new Browser(REDIRECT_URI);
    // Signed in with a recovery code, so both TOTP steps below are still unused.
    const login = expectPage(await browser.open(`${server.url}/account`));
    expectPage(await submitCode(browser, await submitPassword(browser, login, email, PASSWORD), loginCode));

    const start = expectPage(await browser.open(`${server.url}/account/authenticator`));
    const wrongOld = expectPage(await browser.submit(start, { containing: 'input[name="code"]', fields: { code: '123456' } }));
    expect(wrongOld.status).toBe(400);
    const setup = expectPage(await browser.submit(wrongOld, { containing: 'input[name="code"]', fields: { code: await totpCode(oldSecret, 0) } }));
    const newSecret = setup.document.querySelector('[data-totp-secret]')?.getAttribute('data-totp-secret') ?? '';
    expect(newSecret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(newSecret).not.toBe(oldSecret);
    expect(setup.document.querySelector('[data-otpauth-uri]')?.getAttribute('href')).toMatch(/^otpauth:\/\/totp\//);
    // Nothing is stored before the new app proves itself.
    expect((await server.container.accounts.findById(account.id))?.totpSecretEncrypted).toBe(account.totpSecretEncrypted);
    const confirmed = expectPage(await browser.submit(setup, { containing: 'input[name="pending"]', fields: { code: await totpCode(newSecret, 1) } }));
    expect(confirmed.html).toContain('Authenticator replaced');
    const stored = (await server.container.accounts.findById(account.id))?.totpSecretEncrypted;
    expect(stored).not.toBe(account.totpSecretEncrypted);
    expect(server.container.interactions.cipher.decrypt(stored ?? '', `totp-secret:${account.id}`)).toBe(newSecret);

    // The old app no longer signs in.
    const fresh = new Browser(REDIRECT_URI);
    const second = await submitPassword(fresh, expectPage(await fresh.open(`${server.url}/account`)), email, PASSWORD);
    const withOld = expectPage(await submitCode(fresh, second, await totpCode(oldSecret, -1)));
    expect(withOld.document.querySelector('input[name="code"]')).not.toBeNull();
    const inside = expectPage(await submitCode(fresh, withOld, laterCode));
    expect(inside.document.querySelector('[data-account-email]')?.text).toBe(email);
  });

  it('shows one set of new recovery codes when two are asked for at once: the set shown is the set that works', async () => {
    const email = `regenerate-${randomUUID()}@example.com`;
    const { account } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const [signInCode = '', first = '', second = '', unused = ''] = (await server.container.accounts.regenerateRecoveryCodes(account.id)) ?? [];
    const browser = new Browser(REDIRECT_URI);
    const login = expectPage(await browser.open(`${server.url}/account`));
    expectPage(await submitCode(browser, await submitPassword(browser, login, email, PASSWORD), signInCode));

    // Two tabs, each confirming with a recovery code of its own (both valid), submitted together.
    const form = expectPage(await browser.open(`${server.url}/account/recovery-codes`));
    const pages = await Promise.all([first, second].map(async (code) => expectPage(await browser.submit(form, { containing: 'input[name="code"]', fields: { code } }))));
    // The other tab is refused: 409 if it got past its code before the first stored (the
    // compare-and-set), 400 if its code was already part of the replaced set.
    const statuses = pages.map((page) => page.status).sort();
    expect(statuses[0]).toBe(200);
    expect([400, 409]).toContain(statuses[1]);
    const shown = pages.find((page) => page.status === 200)?.document.querySelectorAll('[data-recovery-code]').map((element) => element.getAttribute('data-recovery-code') ?? '') ?? [];
    expect(shown).toHaveLength(10);
    expect(pages.find((page) => page.status !== 200)?.document.querySelector('.error')).not.toBeNull();

    // The shown set is the stored one: its codes sign in, and the codes of the old set do not.
    const fresh = new Browser(REDIRECT_URI);
    const step = await submitPassword(fresh, expectPage(await fresh.open(`${server.url}/account`)), email, PASSWORD);
    const old = expectPage(await submitCode(fresh, step, unused));
    expect(old.document.querySelector('input[name="code"]')).not.toBeNull();
    const inside = expectPage(await submitCode(fresh, old, shown[0] ?? ''));
    expect(inside.document.querySelector('[data-account-email]')?.text).toBe(email);
  });

  it('lets one of two confirmations of a new authenticator win, and stores the secret that was confirmed', async () => {
    const email = `replace-race-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    const [signInCode = ''] = (await server.container.accounts.regenerateRecoveryCodes(account.id)) ?? [];
    const browser = new Browser(REDIRECT_URI);
    const login = expectPage(await browser.open(`${server.url}/account`));
    expectPage(await submitCode(browser, await submitPassword(browser, login, email, PASSWORD), signInCode));
    const start = expectPage(await browser.open(`${server.url}/account/authenticator`));
    const setup = expectPage(await browser.submit(start, { containing: 'input[name="code"]', fields: { code: await totpCode(totp?.secret ?? '', 0) } }));
    const newSecret = setup.document.querySelector('[data-totp-secret]')?.getAttribute('data-totp-secret') ?? '';

    // The same pending setup confirmed four times at once, with codes of two different steps.
    const codes = [await totpCode(newSecret, 0), await totpCode(newSecret, 1), await totpCode(newSecret, 0), await totpCode(newSecret, 1)];
    const results = await Promise.all(codes.map(async (code) => expectPage(await browser.submit(setup, { containing: 'input[name="pending"]', fields: { code } }))));
    expect(results.filter((page) => page.status === 200)).toHaveLength(1);
    expect(results.filter((page) => page.status === 400)).toHaveLength(3);
    const stored = (await server.container.accounts.findById(account.id))?.totpSecretEncrypted ?? '';
    expect(server.container.interactions.cipher.decrypt(stored, `totp-secret:${account.id}`)).toBe(newSecret);
  });

  describe('a form posted to the account area from elsewhere', () => {
    const ROUTES: ReadonlyArray<[string, Record<string, string>]> = [
      ['/account/verify-email', {}],
      ['/account/password', { current_password: PASSWORD, code: '000000', password: 'another long passphrase', password_repeat: 'another long passphrase' }],
      ['/account/authenticator', { code: '000000' }],
      ['/account/authenticator/confirm', { pending: 'x', code: '000000' }],
      ['/account/recovery-codes', { code: '000000' }],
      ['/account/apps/revoke', { client_id: 'x' }],
      ['/account/sessions/end', { session: 'x' }],
    ];

    it.each(ROUTES)('%s: refused without the form token (403) though signed in, and sent to sign in without a session; nothing changes', async (path, fields) => {
      const email = `forged-${randomUUID()}@example.com`;
      const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
      const browser = new Browser(REDIRECT_URI);
      await openAccount(browser, email, totp?.secret ?? '', 0);
      const before = await server.container.accounts.findById(account.id);
      const post = (cookie: string, body: Record<string, string>) => fetch(`${server.url}${path}`, {
        method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie }, body: new URLSearchParams(body),
      });

      // Signed in, but the post carries no token (another site's form would not have one).
      expect((await post(browser.cookiesFor(server.url), fields)).status).toBe(403);
      // A valid token of a browser that is not signed in (taken from a page that hands one out).
      const stranger = new Browser(REDIRECT_URI);
      const tokenPage = expectPage(await stranger.open(`${server.url}/password-reset`));
      const csrf = tokenPage.document.querySelector('input[name="csrf"]')?.getAttribute('value') ?? '';
      const anonymous = await post(stranger.cookiesFor(server.url), { ...fields, csrf });
      expect(anonymous.status).toBe(302);
      expect(anonymous.headers.get('location')).toBe('/account/sign-in');

      expect(await server.container.accounts.findById(account.id)).toEqual(before);
      expect(expectPage(await browser.open(`${server.url}/account`)).document.querySelector('[data-account-email]')?.text).toBe(email);
    });
  });
});
