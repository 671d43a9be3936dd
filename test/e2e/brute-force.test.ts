import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';

import type { AppConfig } from '../../src/config/app-config.js';
import { Browser, expectPage, expectRedirect, type Page } from '../support/browser.js';
import { basicAuthorization, registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';
const WRONG = 'The email or password is not right';

/**
 * Brute-force protection over HTTP, with client addresses as a load balancer reports them
 * (TRUST_PROXY=true, X-Forwarded-For), so one test process can be many addresses.
 */
async function startDeployment(configure: (config: AppConfig) => AppConfig = (config) => config): Promise<{ server: TestServer; config: oidc.Configuration }> {
  const server = await startTestServer({
    env: { TRUST_PROXY: 'true' },
    // The real budget for interaction posts, not the test default.
    configure: (config) => configure({ ...config, rateLimit: { ...config.rateLimit, interactionPostsPerMinute: 600 } }),
  });
  const client = await registerClient(server.container, {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [REDIRECT_URI],
    scope: 'openid email profile',
    first_party: true,
  });
  const config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
  return { server, config };
}

function browserAt(address: string): Browser {
  return new Browser(REDIRECT_URI).setHeader('x-forwarded-for', address);
}

async function loginPageAt(config: oidc.Configuration, address: string): Promise<{ browser: Browser; page: Page }> {
  const browser = browserAt(address);
  return { browser, page: await openLogin(browser, await buildAuthorizationRequest(config)) };
}

function alertOf(page: Page): string {
  return page.document.querySelector('[role="alert"]')?.text ?? '';
}

describe('brute-force protection with the default limits', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    ({ server, config } = await startDeployment());
  });

  afterAll(async () => {
    await server.stop();
  });

  async function createUser(): Promise<{ id: string; email: string; secret: string }> {
    const email = `bf-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    return { id: account.id, email, secret: totp?.secret ?? '' };
  }

  it('does not let someone who knows the email lock the owner out from another address', async () => {
    const victim = await createUser();
    const attacker = await loginPageAt(config, '198.51.100.66');
    let page = attacker.page;
    for (let attempt = 0; attempt < 15; attempt += 1) page = await submitPassword(attacker.browser, page, victim.email, `guess ${attempt}`);
    expect(page.status).toBe(429);
    expect(alertOf(page)).toMatch(/^Too many attempts from this device; try again in \d+ minutes?\.$/);

    const owner = await loginPageAt(config, '203.0.113.10');
    const second = await submitPassword(owner.browser, owner.page, victim.email, PASSWORD);
    expect(expectRedirect(await submitCode(owner.browser, second, await totpCode(victim.secret)))).toMatch(/[?&]code=/);
    // The locked pair is visible to an administrator, and unlock lifts it.
    const admin = await adminToken();
    const api = async (method: string, path: string): Promise<Record<string, unknown>> => {
      const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${admin}` } });
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    expect((await api('GET', `/users/${victim.id}`)).throttle).toMatchObject({ throttled: true, locked_addresses: [{ address: '198.51.100.66' }] });
    expect((await api('POST', `/users/${victim.id}/unlock`)).throttle).toMatchObject({ throttled: false, locked_addresses: [] });
    const again = await loginPageAt(config, '198.51.100.66');
    expect((await submitPassword(again.browser, again.page, victim.email, PASSWORD)).document.querySelector('input[name="code"]')).not.toBeNull();
  });

  async function adminToken(): Promise<string> {
    const created = await server.container.clients.create({ name: 'Ops robot', admin: true });
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(String(created.metadata.client_id), created.clientSecret ?? ''), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
    });
    return String(((await response.json()) as { access_token: string }).access_token);
  }

  it('runs the password check no more often than the limit allows when 30 guesses arrive at once', async () => {
    const victim = await createUser();
    const address = '198.51.100.77';
    const pages = await Promise.all(Array.from({ length: 30 }, () => loginPageAt(config, address)));
    const answers = await Promise.all(pages.map(({ browser, page }, attempt) => submitPassword(browser, page, victim.email, `concurrent guess ${attempt}`)));
    const checked = answers.filter((page) => alertOf(page).startsWith(WRONG));
    const refused = answers.filter((page) => alertOf(page).startsWith('Too many attempts from this device'));
    expect(checked).toHaveLength(10);
    expect(refused).toHaveLength(20);
    expect(refused.every((page) => page.status === 429)).toBe(true);

    // One argon2 check per password_failed event: exactly ten ran.
    await server.container.audit.flush();
    const events = await server.container.auditStore.query({ accountId: victim.id, limit: 100 });
    expect(events.filter((event) => event.type === 'login.password_failed')).toHaveLength(10);
    expect(events.filter((event) => event.type === 'login.locked')).toHaveLength(1);
  });

  it('keeps a user on the second-factor step after bad codes, each refusal with its own message', async () => {
    const user = await createUser();
    const { browser, page } = await loginPageAt(config, '203.0.113.20');
    let current = await submitPassword(browser, page, user.email, PASSWORD);
    const wrong = (await totpCode(user.secret)) === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 10; attempt += 1) {
      current = expectPage(await submitCode(browser, current, wrong));
      expect(current.document.querySelector('input[name="code"]')).not.toBeNull();
      expect(alertOf(current)).toContain('That code is not valid');
    }
    current = expectPage(await submitCode(browser, current, await totpCode(user.secret)));
    expect(current.status).toBe(429);
    expect(current.document.querySelector('input[name="code"]')).not.toBeNull();
    expect(alertOf(current)).toMatch(/^Too many attempts from this device/);
  });

  it('lets many people behind one address sign in', async () => {
    const users = await Promise.all(Array.from({ length: 40 }, () => createUser()));
    for (const user of users) {
      const { browser, page } = await loginPageAt(config, '192.0.2.200');
      const second = await submitPassword(browser, page, user.email, PASSWORD);
      expect(expectRedirect(await submitCode(browser, second, await totpCode(user.secret)))).toMatch(/[?&]code=/);
    }
  });
});

describe('brute-force protection across addresses (lowered limits)', () => {
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    ({ server, config } = await startDeployment((base) => ({
      ...base,
      bruteForce: { ...base.bruteForce, accountFailures: 5, addressFailures: 6 },
    })));
  });

  afterAll(async () => {
    await server.stop();
  });

  it('slows an email that fails from many addresses with a growing delay, and audits it', async () => {
    const email = `spread-${randomUUID()}@example.com`;
    await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const { browser, page } = await loginPageAt(config, `192.0.2.${attempt + 1}`);
      expect(alertOf(await submitPassword(browser, page, email, `guess ${attempt}`))).toContain(WRONG);
    }
    // Past the ceiling: every address, the owner's included, waits (a delay, not a lock).
    const { browser, page } = await loginPageAt(config, '203.0.113.99');
    const slowed = await submitPassword(browser, page, email, PASSWORD);
    expect(slowed.status).toBe(429);
    expect(alertOf(slowed)).toMatch(/^Too many failed attempts for this email address from many places; try again in \d+ seconds?\.$/);
    expect((await server.container.accounts.throttleStatus(email)).slowedUntil).toBeInstanceOf(Date);

    await server.container.audit.flush();
    const events = await server.container.auditStore.query({ type: 'account.throttled', limit: 10 });
    expect(events[0]).toMatchObject({ details: { delay_seconds: 1, after: 'password' } });

    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(expectPage(await submitPassword(browser, slowed, email, PASSWORD)).document.querySelector('input[name="code"]')).not.toBeNull();
  });

  it('answers 429 to an address that fails across many emails, and not to others', async () => {
    const address = '198.51.100.250';
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const { browser, page } = await loginPageAt(config, address);
      expect(alertOf(await submitPassword(browser, page, `nobody-${attempt}-${randomUUID()}@example.com`, 'guess'))).toContain(WRONG);
    }
    const { browser, page } = await loginPageAt(config, address);
    const refused = await submitPassword(browser, page, `someone-${randomUUID()}@example.com`, 'guess');
    expect(refused.status).toBe(429);
    expect(alertOf(refused)).toMatch(/^Too many failed sign-ins from your network; try again in \d+ minutes?\.$/);

    const elsewhere = await loginPageAt(config, '198.51.100.251');
    expect(alertOf(await submitPassword(elsewhere.browser, elsewhere.page, `someone-${randomUUID()}@example.com`, 'guess'))).toContain(WRONG);
  });
});
