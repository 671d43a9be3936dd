import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as oidc from 'openid-client';

import { Browser, expectPage } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { makeTempDir } from '../support/test-env.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';

describe('what the sign-in pages tell the person', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    const client = await registerClient(server.container, { client_name: 'Photo Printer', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), { execute: [oidc.allowInsecureRequests] });
  });

  afterAll(async () => {
    await server.stop();
  });

  async function createUser(): Promise<{ email: string; secret: string }> {
    const email = `pages-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    return { email, secret: totp?.secret ?? '' };
  }

  it('shows the asking application\'s https logo on the login page, allowed by the page\'s CSP from that origin only', async () => {
    const withLogo = await registerClient(server.container, {
      client_name: 'Logo App', logo_uri: 'https://cdn.example.com/brand/logo.png', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email',
    });
    const logoConfig = await oidc.discovery(new URL(server.url), withLogo.clientId, { client_secret: withLogo.clientSecret }, oidc.ClientSecretBasic(withLogo.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const browser = new Browser(REDIRECT_URI);
    const login = await openLogin(browser, await buildAuthorizationRequest(logoConfig, { scope: 'openid email' }));
    expect(login.document.querySelector('img.logo')?.getAttribute('src')).toBe('https://cdn.example.com/brand/logo.png');
    const again = await fetch(login.url, { headers: { cookie: browser.cookiesFor(login.url), accept: 'text/html' } });
    expect(again.headers.get('content-security-policy')).toContain('img-src data: https://cdn.example.com;');
  });

  it('names the application asking, says which account is signing in, and lets a wrong account start over', async () => {
    const first = await createUser();
    const second = await createUser();
    const browser = new Browser(REDIRECT_URI);
    const login = await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' }));
    expect(login.document.querySelector('[data-client-name]')?.text).toContain('Photo Printer');

    const codePage = await submitPassword(browser, login, first.email, PASSWORD);
    expect(codePage.document.querySelector('[data-signing-in-as]')?.text).toBe(first.email);
    // The TOTP field opens a number pad; the recovery-code field a keyboard with letters.
    expect(codePage.document.querySelector('input#code')?.getAttribute('inputmode')).toBe('numeric');
    expect(codePage.document.querySelector('input#recovery-code')?.getAttribute('inputmode')).toBe('text');

    const again = expectPage(await browser.submit(codePage, { containing: 'button.link', fields: {} }));
    expect(again.document.querySelector('input[name="password"]')).not.toBeNull();
    const secondCode = await submitPassword(browser, again, second.email, PASSWORD);
    expect(secondCode.document.querySelector('[data-signing-in-as]')?.text).toBe(second.email);

    // After a wrong code the person stays on the code step, still told who they are.
    const wrong = expectPage(await submitCode(browser, secondCode, '000000'));
    expect(wrong.status).toBe(401);
    expect(wrong.document.querySelector('[data-signing-in-as]')?.text).toBe(second.email);

    const consent = expectPage(await submitCode(browser, wrong, await totpCode(second.secret)));
    expect(consent.document.querySelector('[data-signed-in-as]')?.text).toBe(second.email);
    expect(consent.document.querySelector('.client-name')?.text).toBe('Photo Printer');
  });
});

describe('branding', () => {
  it('shows the operator\'s name, logo and accent colour on every page', async () => {
    const dir = await makeTempDir();
    const logo = join(dir.path, 'logo.svg');
    await writeFile(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#0b6e4f"/></svg>');
    const server = await startTestServer({ env: { BRAND_NAME: 'Acme ID', BRAND_COLOR: '#0b6e4f', BRAND_LOGO_FILE: logo } });
    try {
      const home = expectPage(await new Browser(REDIRECT_URI).open(`${server.url}/`));
      expect(home.document.querySelector('title')?.text).toBe('Welcome · Acme ID');
      expect(home.document.querySelector('header.brand span')?.text).toBe('Acme ID');
      expect(home.document.querySelector('header.brand img')?.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(home.html).toContain(':root { --accent: #0b6e4f; }');
      expect(home.document.querySelector('h1')?.text).toBe('Acme ID');
    } finally {
      await server.stop();
      await dir.remove();
    }
  });
});

