import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import * as oidc from 'openid-client';

import { Browser, expectPage, type Page } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';
const en = JSON.parse(readFileSync('views/locales/en.json', 'utf8')) as Record<string, string>;
const de = JSON.parse(readFileSync('views/locales/de.json', 'utf8')) as Record<string, string>;

/** English sentences (no arguments) that would show a page was not translated. */
const ENGLISH_SENTENCES = Object.keys(en).filter((key) => !en[key]?.includes('{') && (en[key]?.length ?? 0) >= 12 && en[key] !== de[key]).map((key) => en[key] ?? '');

function expectGerman(page: Page): void {
  expect(page.document.querySelector('html')?.getAttribute('lang')).toBe('de');
  const text = page.document.querySelector('main')?.text ?? '';
  expect(ENGLISH_SENTENCES.filter((sentence) => text.includes(sentence))).toEqual([]);
}

function heading(page: Page): string {
  return page.document.querySelector('h1')?.text.trim() ?? '';
}

describe('pages in the language the person reads', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    const client = await registerClient(server.container, { client_name: 'Fotodrucker', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), { execute: [oidc.allowInsecureRequests] });
  });

  afterAll(async () => {
    await server.stop();
  });

  async function createUser(): Promise<{ email: string; secret: string }> {
    const email = `sprache-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    return { email, secret: totp?.secret ?? '' };
  }

  it('advertises the languages it has in discovery', async () => {
    expect(config.serverMetadata().ui_locales_supported).toEqual(['en', 'de']);
  });

  it('signs a person in in German when the application asks with ui_locales, through to a code that redeems', async () => {
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI);
    const request = await buildAuthorizationRequest(config, { scope: 'openid email', ui_locales: 'fr-CA de' });
    const login = await openLogin(browser, request);
    expectGerman(login);
    expect(heading(login)).toBe(de['login.title']);
    expect(login.document.querySelector('[data-client-name]')?.text).toContain('Fotodrucker');

    const wrong = await submitPassword(browser, login, user.email, 'not the password at all');
    expect(wrong.status).toBe(401);
    expectGerman(wrong);
    expect(wrong.document.querySelector('.error')?.text).toBe(de['login.wrongCredentials']);

    const code = await submitPassword(browser, wrong, user.email, PASSWORD);
    expectGerman(code);
    expect(heading(code)).toBe(de['secondFactor.title']);
    const badCode = expectPage(await submitCode(browser, code, '000000'));
    expectGerman(badCode);
    expect(badCode.document.querySelector('.error')?.text).toBe(de['secondFactor.wrongCode']);

    const consent = expectPage(await submitCode(browser, badCode, await totpCode(user.secret)));
    expectGerman(consent);
    expect(consent.document.querySelector('[data-scope="email"]')?.text).toBe(de['scope.email']);
    expect(consent.document.querySelector('button[value="approve"]')?.text).toBe(de['consent.allow']);

    const callback = await approveConsent(browser, consent);
    const tokens = await redeem(config, callback, request);
    expect(tokens.claims()?.sub).toBeDefined();
  });

  it('follows Accept-Language when the application does not say, and the application\'s choice over the browser\'s', async () => {
    const german = new Browser(REDIRECT_URI).setHeader('accept-language', 'de-DE,de;q=0.9,en;q=0.5');
    const login = await openLogin(german, await buildAuthorizationRequest(config, { scope: 'openid email' }));
    expectGerman(login);

    const asked = await openLogin(new Browser(REDIRECT_URI).setHeader('accept-language', 'de-DE'), await buildAuthorizationRequest(config, { scope: 'openid email', ui_locales: 'en' }));
    expect(asked.document.querySelector('html')?.getAttribute('lang')).toBe('en');
    expect(heading(asked)).toBe(en['login.title']);

    const other = await openLogin(new Browser(REDIRECT_URI).setHeader('accept-language', 'ja,fr;q=0.8'), await buildAuthorizationRequest(config, { scope: 'openid email' }));
    expect(other.document.querySelector('html')?.getAttribute('lang')).toBe('en');
  });

  it('says which language it answered in, and that the answer depends on Accept-Language', async () => {
    const response = await fetch(`${server.url}/password-reset`, { headers: { accept: 'text/html', 'accept-language': 'de' } });
    expect(response.headers.get('content-language')).toBe('de');
    expect(response.headers.get('vary')?.toLowerCase()).toContain('accept-language');
    const english = await fetch(`${server.url}/password-reset`, { headers: { accept: 'text/html' } });
    expect(english.headers.get('content-language')).toBe('en');
  });

  it('writes the landing page, the reset pages, error pages and the provider\'s refusals in German', async () => {
    const browser = new Browser(REDIRECT_URI).setHeader('accept-language', 'de');
    const home = expectPage(await browser.open(`${server.url}/`));
    expectGerman(home);
    expect(home.document.querySelector('a[href="/account"]')?.text).toBe(de['home.signIn']);

    const reset = expectPage(await browser.open(`${server.url}/password-reset`));
    expectGerman(reset);
    expect(heading(reset)).toBe(de['passwordReset.request.title']);

    const missing = expectPage(await browser.open(`${server.url}/no-such-page`));
    expect(missing.status).toBe(404);
    expectGerman(missing);
    expect(missing.document.querySelector('[data-error="not_found"]')?.text).toBe(de['errorPage.notFound']);

    const unknownClient = expectPage(await browser.open(`${server.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`));
    expect(unknownClient.status).toBe(400);
    expectGerman(unknownClient);
    expect(heading(unknownClient)).toBe(de['errorPage.invalidClient.heading']);
  });

  it('writes the account area in German, labels and dates included', async () => {
    const email = `konto-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true, profile: { given_name: 'Grete' } });
    const browser = new Browser(REDIRECT_URI).setHeader('accept-language', 'de');
    const login = expectPage(await browser.open(`${server.url}/account`));
    expectGerman(login);
    const second = await submitPassword(browser, login, email, PASSWORD);
    expectGerman(second);
    const account = expectPage(await submitCode(browser, second, await totpCode(totp?.secret ?? '')));
    expect(account.url).toBe(`${server.url}/account`);
    expectGerman(account);
    expect(heading(account)).toBe(de['account.title']);
    expect(account.document.querySelector('[data-claim="given_name"]')?.previousElementSibling?.text).toBe(de['claim.givenName']);
    const session = account.document.querySelector('[data-session]')?.text ?? '';
    expect(session).toContain((de['account.signedInHere'] ?? '').split('{')[0]?.trim());
    expect(session).toContain('UTC');
  });
});
