import { randomUUID } from 'node:crypto';

import { Browser, expectPage } from '../support/browser.js';
import { REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
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
});
