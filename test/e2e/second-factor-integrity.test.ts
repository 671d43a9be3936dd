import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect, type Page } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

/** Second factors under concurrency: every read-then-write on them must be one atomic step. */
describe('second factors stay intact under concurrent use', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    server = await startTestServer();
    const client = await registerClient(server.container, {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      scope: 'openid email profile',
      first_party: true,
    });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  });

  afterAll(async () => {
    await server.stop();
  });

  /** A browser past the password, on the second-factor (or enrolment) page. */
  async function pastPassword(email: string): Promise<{ browser: Browser; page: Page }> {
    const browser = new Browser(REDIRECT_URI);
    const page = await submitPassword(browser, await openLogin(browser, await buildAuthorizationRequest(config)), email, PASSWORD);
    return { browser, page };
  }

  it('records two different recovery codes used at the same moment, and neither works again', async () => {
    const { account } = await server.container.accounts.createAccount({ email: 'two-codes@example.com', password: PASSWORD });
    const enrolment = server.container.accounts.startEnrolment(account);
    const enrolled = await server.container.accounts.confirmEnrolment(account.id, enrolment.secret, await totpCode(enrolment.secret), { login: account.email, address: '127.0.0.1' });
    if (!enrolled.ok) throw new Error('enrolment failed');
    const [first = '', second = ''] = enrolled.recoveryCodes;

    const sessions = await Promise.all([pastPassword(account.email), pastPassword(account.email)]);
    const results = await Promise.all([
      submitCode(sessions[0]!.browser, sessions[0]!.page, first),
      submitCode(sessions[1]!.browser, sessions[1]!.page, second),
    ]);
    for (const result of results) expect(expectRedirect(result)).toMatch(/[?&]code=/);

    const stored = await server.container.accounts.findById(account.id);
    expect(stored?.recoveryCodes.filter((code) => code.usedAt !== null)).toHaveLength(2);
    for (const code of [first, second]) {
      const again = await pastPassword(account.email);
      const refused = expectPage(await submitCode(again.browser, again.page, code));
      expect(refused.html).toContain('That code is not valid');
    }
  });

  it('lets only one of many concurrent uses of the same recovery code through', async () => {
    const { account } = await server.container.accounts.createAccount({ email: 'same-code@example.com', password: PASSWORD });
    const enrolment = server.container.accounts.startEnrolment(account);
    const enrolled = await server.container.accounts.confirmEnrolment(account.id, enrolment.secret, await totpCode(enrolment.secret), { login: account.email, address: '127.0.0.1' });
    if (!enrolled.ok) throw new Error('enrolment failed');
    const code = enrolled.recoveryCodes[4] ?? '';

    const sessions = await Promise.all(Array.from({ length: 5 }, () => pastPassword(account.email)));
    const results = await Promise.all(sessions.map(({ browser, page }) => submitCode(browser, page, code)));
    expect(results.filter((result) => 'redirectedTo' in result)).toHaveLength(1);
  });

  it('refuses an enrolment started before the account got an authenticator, and keeps the authenticator it has', async () => {
    const { account } = await server.container.accounts.createAccount({ email: 'stale-enrolment@example.com', password: PASSWORD });
    // An attacker with the password opens an enrolment and waits.
    const stale = await pastPassword(account.email);
    const staleSecret = stale.page.document.querySelector('[data-totp-secret]')?.getAttribute('data-totp-secret') ?? '';
    expect(staleSecret).toMatch(/^[A-Z2-7]+$/);

    // Meanwhile the owner enrols their own phone.
    const owner = await pastPassword(account.email);
    const ownerSecret = owner.page.document.querySelector('[data-totp-secret]')?.getAttribute('data-totp-secret') ?? '';
    const codesPage = expectPage(await submitCode(owner.browser, owner.page, await totpCode(ownerSecret)));
    expect(codesPage.document.querySelectorAll('[data-recovery-code]')).toHaveLength(10);
    const before = await server.container.accounts.findById(account.id);

    const late = expectPage(await submitCode(stale.browser, stale.page, await totpCode(staleSecret, 1)));
    expect(late.status).toBe(409);
    expect(late.html).toContain('already has an authenticator');
    const after = await server.container.accounts.findById(account.id);
    expect(after?.totpSecretEncrypted).toBe(before?.totpSecretEncrypted);
    expect(after?.recoveryCodes).toEqual(before?.recoveryCodes);

    // The owner's phone still signs in; the stale secret does not.
    const check = await pastPassword(account.email);
    expect(expectPage(await submitCode(check.browser, check.page, await totpCode(staleSecret, -1))).html).toContain('That code is not valid');
    expect(expectRedirect(await submitCode(check.browser, check.page, await totpCode(ownerSecret, 1)))).toMatch(/[?&]code=/);
  });
});
