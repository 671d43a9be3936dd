import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';
import { generate } from 'otplib';

import { registerClient } from '../support/register-client.js';
import { REDIRECT_URI } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';
const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS_DIR ?? join(process.cwd(), 'test-artifacts', 'screenshots');
const AXE_SOURCE = readFileSync(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly nodes: ReadonlyArray<{ readonly target: readonly unknown[] }>;
}
interface AxeResult {
  readonly violations: AxeViolation[];
  readonly passes: unknown[];
}

// Evaluated in the page (this project's TypeScript has no DOM types, so it goes as source text).
const RUN_AXE = "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })";

/**
 * Every page a person meets, in real Chromium at a desktop and a phone size: a screenshot of each
 * (kept in SCREENSHOTS_DIR, which CI keeps) and axe-core's WCAG 2.1 A and AA rules, which must
 * find nothing. Chromium is Debian's package; the test command installs it when missing.
 */
describe('every page state, in Chromium at desktop and phone sizes, with no WCAG 2.1 AA violation', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];
  let shots = 0;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_BIN (npm test does both)`);
    mkdirSync(SHOTS, { recursive: true });
    server = await startTestServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    // The pages forbid scripts (CSP); axe is injected from outside the page's own policy.
    const context = await browser.newContext({ bypassCSP: true });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function capture(name: string): Promise<void> {
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.screenshot({ path: join(SHOTS, `${name}-${size.name}.png`), fullPage: true });
      shots += 1;
      await page.addScriptTag({ content: AXE_SOURCE });
      const result = (await page.evaluate(RUN_AXE)) as AxeResult;
      // axe really looked: a page with nothing checked would pass vacuously.
      if (result.passes.length === 0) violations.push(`${name} (${size.name}): axe checked nothing`);
      for (const violation of result.violations) {
        violations.push(`${name} (${size.name}): ${violation.id} [${violation.impact ?? ''}] at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
      }
    }
  }

  async function submit(selector: string): Promise<void> {
    await Promise.all([page.waitForLoadState('load'), page.click(selector)]);
    await page.waitForLoadState('load');
  }

  it('shows every page state and axe finds no violation', async () => {
    const client = await registerClient(server.container, {
      client_name: 'Photo Printer', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email profile',
      policy_uri: 'https://printer.example.com/privacy', tos_uri: 'https://printer.example.com/terms',
    });
    const authorize = `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', scope: 'openid email profile', redirect_uri: REDIRECT_URI, state: 's', nonce: 'n' })}`;
    const newcomer = `shots-${randomUUID()}@example.com`;
    await server.container.accounts.createAccount({ email: newcomer, name: 'Ada Lovelace', password: PASSWORD });

    await page.goto(`${server.url}/`);
    await capture('landing');

    await page.goto(authorize);
    await capture('login');
    await page.fill('input[name=email]', newcomer);
    await page.fill('input[name=password]', 'not the password at all');
    await submit('form button[type=submit]:not(.secondary)');
    await capture('login-error');

    await page.fill('input[name=email]', newcomer);
    await page.fill('input[name=password]', PASSWORD);
    await submit('form button[type=submit]:not(.secondary)');
    await capture('enrolment');
    const secret = (await page.getAttribute('[data-totp-secret]', 'data-totp-secret')) ?? '';
    await page.fill('input[name=code]', await generate({ secret }));
    await submit('form button[type=submit]:not(.secondary)');
    await capture('recovery-codes');
    await submit('form button[type=submit]');
    await capture('consent');

    // The second factor, with an error, on a new sign-in of the same person.
    const context = await browser.newContext({ bypassCSP: true });
    const first = page;
    page = await context.newPage();
    await page.goto(authorize);
    await page.fill('input[name=email]', newcomer);
    await page.fill('input[name=password]', PASSWORD);
    await submit('form button[type=submit]:not(.secondary)');
    await capture('second-factor');
    await page.fill('input#code', '000000');
    await submit('form button[type=submit]:not(.secondary)');
    await capture('second-factor-error');
    await page.close();
    page = first;

    await page.goto(`${server.url}/auth?client_id=nobody&response_type=code&scope=openid`);
    await capture('error');

    // Device sign-in (the person is signed in already): the code, a wrong code, the device to
    // confirm, consent, and done.
    const tv = await server.container.clients.create({ name: 'Living-room TV', publicClient: true, grantTypes: ['device_code'], scope: 'openid' });
    const { device_authorization_endpoint: deviceEndpoint } = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { device_authorization_endpoint: string };
    const started = await fetch(deviceEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: String(tv.metadata.client_id), scope: 'openid' }) });
    const { user_code: userCode } = (await started.json()) as { user_code: string };
    await page.goto(`${server.url}/device`);
    await capture('device-code');
    await page.fill('input[name=user_code]', 'BCDF-GHJK');
    await submit('button[type=submit]');
    await capture('device-code-error');
    await page.fill('input[name=user_code]', userCode);
    await submit('button[type=submit]');
    await capture('device-confirm');
    await submit('button[type=submit]:not(.secondary)');
    await submit('button[value=approve]');
    await capture('device-done');

    await page.goto(`${server.url}/password-reset`);
    await capture('password-reset');
    await page.fill('input[name=email]', newcomer);
    await submit('form button[type=submit]');
    await capture('password-reset-sent');

    await page.goto(`${server.url}/account`);
    await capture('account');
    await page.goto(`${server.url}/account/password`);
    await capture('account-password');
    await page.goto(`${server.url}/account/authenticator`);
    await capture('account-authenticator');

    await page.goto(`${server.url}/session/end`);
    await capture('logout');
    await submit('button[name=logout][value=yes]');
    await capture('signed-out');

    expect(shots).toBe(2 * 20);
    expect(violations).toEqual([]);
  });

  it('shows the pages in German for a German browser (longer words, same layout) and axe finds no violation', async () => {
    const client = await registerClient(server.container, { client_name: 'Fotodrucker', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const authorize = `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', scope: 'openid email', redirect_uri: REDIRECT_URI, state: 's', nonce: 'n' })}`;
    const english = page;
    const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
    page = await context.newPage();
    const before = shots;
    violations.length = 0;
    try {
      await page.goto(`${server.url}/`);
      expect(await page.getAttribute('html', 'lang')).toBe('de');
      await capture('de-landing');
      await page.goto(authorize);
      await page.fill('input[name=email]', `niemand-${randomUUID()}@example.com`);
      await page.fill('input[name=password]', 'not the password at all');
      await submit('form button[type=submit]:not(.secondary)');
      await capture('de-login-error');
      await page.goto(`${server.url}/auth?client_id=nobody&response_type=code&scope=openid`);
      await capture('de-error');
      await page.goto(`${server.url}/password-reset`);
      await capture('de-password-reset');
    } finally {
      await context.close();
      page = english;
    }
    expect(shots - before).toBe(2 * 4);
    expect(violations).toEqual([]);
  });
});
