import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { generate } from 'otplib';

import { toUserJson } from '../../src/accounts/account-json.js';
import { Browser as FormBrowser, expectPage } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest as buildRequest, redeem, type AuthorizationRequest } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS_DIR ?? join(process.cwd(), 'test-artifacts', 'screenshots');
const AXE_SOURCE = readFileSync(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const RUN_AXE = "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })";
// The list's add form (each listed passkey has forms of its own).
const ADD_BUTTON = 'form:has(input#code) button[type=submit]';
const insecure = { execute: [oidc.allowInsecureRequests] };

interface AxeResult {
  readonly violations: ReadonlyArray<{ readonly id: string; readonly nodes: ReadonlyArray<{ readonly target: readonly unknown[] }> }>;
  readonly passes: unknown[];
}

interface VirtualKey {
  readonly cdp: CDPSession;
  readonly authenticatorId: string;
}

function fail(reason: string): never {
  throw new Error(reason);
}

/**
 * Passkeys as the second factor, in real Chromium (Debian's) with its WebAuthn virtual
 * authenticator: what the browser does is what a person's browser does, CSP included (the
 * contexts here do not bypass it, so a blocked script would leave every passkey form hidden).
 * The issuer is on `localhost`: WebAuthn binds credentials to a domain name, never an IP address.
 */
describe('passkeys as a second factor (WebAuthn), in Chromium with a virtual authenticator', () => {
  let server: TestServer;
  let browser: Browser;
  let config: oidc.Configuration;
  // The relying party's callback: a real listener (Chromium refuses support/sign-in's port 9 as unsafe).
  let relyingParty: Server;
  let CALLBACK = '';
  const violations: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_BIN (npm test does both)`);
    mkdirSync(SHOTS, { recursive: true });
    relyingParty = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Photo Printer</title>'));
    await new Promise<void>((resolve) => relyingParty.listen(0, '127.0.0.1', resolve));
    CALLBACK = `http://127.0.0.1:${(relyingParty.address() as AddressInfo).port}/callback`;
    server = await startTestServer({ configure: (base) => ({ ...base, issuer: base.issuer.replace('127.0.0.1', 'localhost') }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const client = await registerClient(server.container, {
      client_name: 'Photo Printer', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [CALLBACK], scope: 'openid email', first_party: true,
    });
    config = await oidc.discovery(new URL(server.url), client.clientId, client.clientSecret, undefined, insecure);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((resolve) => relyingParty?.close(resolve));
  });

  afterAll(() => {
    expect(violations).toEqual([]);
  });

  const buildAuthorizationRequest = (client: oidc.Configuration, params: Record<string, string>) => buildRequest(client, { redirect_uri: CALLBACK, ...params });

  /** A fresh browser profile: no cookies, no authenticator. */
  async function newContext(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Well inside the test's own timeout, so a step that never comes names itself.
    page.setDefaultTimeout(10_000);
    return { context, page };
  }

  async function addKey(page: Page, options: { transport: 'internal' | 'usb'; backupEligible?: boolean }): Promise<VirtualKey> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: options.transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
        ...(options.backupEligible ? { defaultBackupEligibility: true, defaultBackupState: true } : {}),
      },
    });
    return { cdp, authenticatorId };
  }

  async function credentialsOn(key: VirtualKey): Promise<number> {
    const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.authenticatorId });
    return credentials.length;
  }

  /** Screenshot at a phone size and axe's WCAG 2.1 AA rules (run through the debugger, outside the page's CSP). */
  async function check(page: Page, name: string): Promise<void> {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
    await page.evaluate(`${AXE_SOURCE}\n;0`);
    const result = (await page.evaluate(RUN_AXE)) as AxeResult;
    if (result.passes.length === 0) violations.push(`${name}: axe checked nothing`);
    for (const violation of result.violations) violations.push(`${name}: ${violation.id} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`);
  }

  async function submit(page: Page, selector: string): Promise<void> {
    await Promise.all([page.waitForLoadState('load'), page.click(selector)]);
    await page.waitForLoadState('load');
  }

  async function passwordStep(page: Page, request: AuthorizationRequest, email: string): Promise<void> {
    await page.goto(request.url);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await submit(page, 'form button[type=submit]:not(.secondary)');
  }

  /** Clicks the passkey button and waits for the browser to land on the relying party's callback. */
  async function usePasskey(page: Page, selector: string): Promise<string> {
    await page.locator(selector).waitFor({ state: 'visible' });
    await Promise.all([page.waitForURL((url) => url.href.startsWith(CALLBACK)), page.click(selector)]);
    return page.url();
  }

  /** The account area's "create" button: the browser makes the passkey and posts it, and the list comes back. */
  async function createPasskey(page: Page): Promise<void> {
    await page.locator('form[data-passkey=register] [data-passkey-start]').waitFor({ state: 'visible' });
    expect(new URL(page.url()).search).toBe('');
    await page.click('[data-passkey-start]');
    await page.waitForURL((url) => url.search === '?done=added');
  }

  async function idTokenClaims(callback: string, request: AuthorizationRequest): Promise<oidc.IDToken> {
    const tokens = await redeem(config, callback, request);
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    return claims;
  }

  async function newUser(): Promise<{ id: string; email: string; secret: string }> {
    const email = `passkey-${randomUUID()}@example.com`;
    const { account, totp } = await server.container.accounts.createAccount({ email, name: 'Ada Lovelace', password: PASSWORD, withTotp: true });
    if (!totp) throw new Error('no TOTP');
    return { id: account.id, email, secret: totp.secret };
  }

  // Each TOTP step is accepted once per account, and a code is good for the steps either side of
  // now: a test that needs several codes takes each from a step it has not used that the server
  // will still accept, whenever a 30 s boundary falls between them.
  const usedSteps = new Map<string, Set<number>>();
  async function unusedCode(secret: string): Promise<string> {
    const used = usedSteps.get(secret) ?? new Set<number>();
    usedSteps.set(secret, used);
    for (;;) {
      const now = Date.now() / 1000;
      const step = Math.floor(now / 30);
      // The step before now only while it stays within the window until the code is checked.
      const candidates = now % 30 < 25 ? [step, step + 1, step - 1] : [step, step + 1];
      const free = candidates.find((candidate) => !used.has(candidate));
      if (free !== undefined) {
        used.add(free);
        return generate({ secret, epoch: free * 30 + 15 });
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** Signs in with the password and a TOTP code in a plain page (no passkey involved). */
  async function signInWithCode(page: Page, email: string, secret: string): Promise<void> {
    const request = await buildAuthorizationRequest(config, { scope: 'openid email' });
    await passwordStep(page, request, email);
    await page.fill('input#code', await unusedCode(secret));
    await Promise.all([page.waitForURL((url) => url.href.startsWith(CALLBACK)), page.click('form button[type=submit]:not(.secondary)')]);
  }

  it('adds a passkey at the first sign-in, beside the recovery codes; the next sign-in takes the password and the passkey, and the ID token says so', async () => {
    const email = `first-${randomUUID()}@example.com`;
    const { account } = await server.container.accounts.createAccount({ email, name: 'Ada Lovelace', password: PASSWORD });
    const { context, page } = await newContext();
    const key = await addKey(page, { transport: 'internal' });

    const first = await buildAuthorizationRequest(config, { scope: 'openid email' });
    await passwordStep(page, first, email);
    const secret = (await page.getAttribute('[data-totp-secret]', 'data-totp-secret')) ?? '';
    await page.fill('input[name=code]', await unusedCode(secret));
    await submit(page, 'form button[type=submit]:not(.secondary)');
    expect(await page.locator('[data-recovery-code]').count()).toBe(10);
    await check(page, 'passkey-first-sign-in');
    await page.fill('input[name=passkey_name]', 'Laptop');
    const firstClaims = await idTokenClaims(await usePasskey(page, 'form[data-passkey=register] [data-passkey-start]'), first);
    // This sign-in's second factor was the code that confirmed the app.
    expect(firstClaims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(await credentialsOn(key)).toBe(1);
    const stored = (await server.container.accounts.findById(account.id))?.passkeys ?? [];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ name: 'Laptop', synced: false, lastUsedAt: null });

    // The same browser and key, signed out: password, then the passkey instead of a code.
    await context.clearCookies();
    const second = await buildAuthorizationRequest(config, { scope: 'openid email', prompt: 'login' });
    await passwordStep(page, second, email);
    expect(await page.locator('input#code').isVisible()).toBe(true);
    await check(page, 'passkey-second-factor');
    const claims = await idTokenClaims(await usePasskey(page, 'form[data-passkey=sign-in] [data-passkey-start]'), second);
    expect(claims.sub).toBe(account.id);
    expect(claims.amr).toEqual(['pwd', 'hwk', 'mfa']);
    expect(claims.acr).toBe('http://schemas.openid.net/pape/policies/2007/06/multi-factor');
    const used = (await server.container.accounts.findById(account.id))?.passkeys[0];
    expect(used?.lastUsedAt).toBeInstanceOf(Date);
    expect(used?.counter).toBeGreaterThan(0);
    await context.close();
  });

  it('says swk for a passkey its platform syncs, and still offers the code, which works without JavaScript', async () => {
    const user = await newUser();
    const { context, page } = await newContext();
    await addKey(page, { transport: 'internal', backupEligible: true });
    await signInWithCode(page, user.email, user.secret);
    await page.goto(`${server.url}/account/passkeys`);
    await page.fill('input#passkey-name', 'Phone');
    await page.fill('input#code', await unusedCode(user.secret));
    await submit(page, ADD_BUTTON);
    await createPasskey(page);
    expect((await server.container.accounts.findById(user.id))?.passkeys[0]).toMatchObject({ name: 'Phone', synced: true });

    await context.clearCookies();
    const request = await buildAuthorizationRequest(config, { scope: 'openid email', prompt: 'login' });
    await passwordStep(page, request, user.email);
    expect((await idTokenClaims(await usePasskey(page, '[data-passkey-start]'), request)).amr).toEqual(['pwd', 'swk', 'mfa']);
    await context.close();

    // A browser without scripts: the passkey form is there but hidden, the code does the job,
    // and the page's CSP names the one script and nothing else.
    const plain = new FormBrowser(CALLBACK);
    const noScript = await buildAuthorizationRequest(config, { scope: 'openid email' });
    const login = expectPage(await plain.open(noScript.url));
    const secondStep = expectPage(await plain.submit(login, { containing: 'input[name="password"]', fields: { email: user.email, password: PASSWORD } }));
    const passkeyForm = secondStep.document.querySelector('form[data-passkey=sign-in]');
    expect(passkeyForm?.hasAttribute('hidden')).toBe(true);
    const script = secondStep.document.querySelector('script')?.getAttribute('src') ?? '';
    expect(script).toMatch(new RegExp(`^${server.url}/assets/passkeys-[A-Za-z0-9_-]{12}\\.js$`));
    const pageResponse = await fetch(secondStep.url, { headers: { cookie: plain.cookiesFor(secondStep.url) } });
    expect(pageResponse.headers.get('content-security-policy')).toContain(`script-src ${script};`);
    const asset = await fetch(script);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toContain('SimpleWebAuthnBrowser');
    const done = await plain.submit(secondStep, { containing: 'input[name="code"]', fields: { code: await unusedCode(user.secret) } });
    expect('redirectedTo' in done ? done.redirectedTo : '').toMatch(new RegExp(`^${CALLBACK}\\?code=`));
  });

  it('takes no passkey answer and adds no passkey before the password step of the sign-in', async () => {
    const user = await newUser();
    const plain = new FormBrowser(CALLBACK);
    const login = expectPage(await plain.open((await buildAuthorizationRequest(config, { scope: 'openid email' })).url));
    const form = login.document.querySelector('form');
    const csrf = form?.querySelector('input[name=csrf]')?.getAttribute('value') ?? '';
    const base = new URL(form?.getAttribute('action') ?? '', server.url).toString().replace(/\/login$/, '');
    for (const step of ['passkey', 'passkey-enrol']) {
      // Sent back to the step the sign-in is really at: the password.
      const answer = expectPage(await plain.post(`${base}/${step}`, { csrf, credential: '{"id":"x"}', passkey_name: 'Planted' }));
      expect(answer.document.querySelector('input[name="password"]')).not.toBeNull();
    }
    expect((await server.container.accounts.findById(user.id))?.passkeys).toEqual([]);
  });

  it('refuses a passkey answer replayed into another sign-in, and of one answer posted twice at once lets one sign-in through', async () => {
    const user = await newUser();
    const { context, page } = await newContext();
    const key = await addKey(page, { transport: 'internal' });
    await signInWithCode(page, user.email, user.secret);
    await page.goto(`${server.url}/account/passkeys`);
    await page.fill('input#code', await unusedCode(user.secret));
    await submit(page, ADD_BUTTON);
    await createPasskey(page);
    expect(await credentialsOn(key)).toBe(1);

    // The browser's answer is taken off the wire and its own request dropped, so the sign-in it
    // belongs to is still open when the answer is posted from here.
    await context.clearCookies();
    const request = await buildAuthorizationRequest(config, { scope: 'openid email', prompt: 'login' });
    await passwordStep(page, request, user.email);
    const capturing = new Promise<string>((resolve) => {
      void page.route('**/interaction/*/passkey', async (route) => {
        resolve(route.request().postData() ?? '');
        await route.abort();
      });
    });
    await page.locator('[data-passkey-start]').waitFor({ state: 'visible' });
    const action = `${server.url}${await page.getAttribute('form[data-passkey=sign-in]', 'action') ?? ''}`;
    await page.click('[data-passkey-start]');
    const captured = await capturing;
    await page.unroute('**/interaction/*/passkey');
    expect(new URLSearchParams(captured).get('credential')).toContain('authenticatorData');
    // The interaction's cookies are scoped to its path.
    const cookie = (await context.cookies(action)).map((entry) => `${entry.name}=${entry.value}`).join('; ');
    const post = (url: string, body: string, cookies: string) => fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies }, body });

    // Another sign-in of the same account (another browser) cannot use it: the challenge belongs to the first.
    const other = new FormBrowser(CALLBACK);
    const otherRequest = await buildAuthorizationRequest(config, { scope: 'openid email' });
    const otherLogin = expectPage(await other.open(otherRequest.url));
    const otherSecond = expectPage(await other.submit(otherLogin, { containing: 'input[name="password"]', fields: { email: user.email, password: PASSWORD } }));
    const otherForm = otherSecond.document.querySelector('form[data-passkey=sign-in]');
    const otherAction = new URL(otherForm?.getAttribute('action') ?? '', server.url).toString();
    const otherCsrf = otherForm?.querySelector('input[name=csrf]')?.getAttribute('value') ?? '';
    const replayed = await post(otherAction, new URLSearchParams({ csrf: otherCsrf, credential: new URLSearchParams(captured).get('credential') ?? '' }).toString(), other.cookiesFor(otherAction));
    expect(replayed.status).toBe(401);
    expect(await replayed.text()).toContain('did not check out');

    // In its own sign-in, two copies at once: one completes it, the other does not.
    const outcomes = await Promise.all([post(action, captured, cookie), post(action, captured, cookie)]);
    const locations = outcomes.map((response) => response.headers.get('location') ?? '');
    const finished = outcomes.filter((response, index) => response.status === 303 && /\/auth\//.test(locations[index] ?? ''));
    expect(finished).toHaveLength(1);
    const loser = outcomes.find((response) => !finished.includes(response));
    // Refused outright, or sent back to an interaction that no longer waits for a second factor.
    expect(loser?.status === 401 || (loser?.status === 303 && /\/interaction\//.test(loser.headers.get('location') ?? ''))).toBe(true);

    await server.container.audit.flush();
    const failures = await server.container.auditStore.query({ limit: 50, accountId: user.id, type: 'login.second_factor_failed' });
    expect(failures.some((event) => (event.details as { method?: string } | undefined)?.method === 'passkey')).toBe(true);
    await context.close();
  });

  it('keeps several named passkeys in the account area: adding takes a code, and each can be renamed and removed', async () => {
    const user = await newUser();
    const { context, page } = await newContext();
    const laptop = await addKey(page, { transport: 'internal' });
    await signInWithCode(page, user.email, user.secret);

    await page.goto(`${server.url}/account`);
    expect(await page.textContent('a[href="/account/passkeys"]')).toContain('none yet');
    await page.goto(`${server.url}/account/passkeys`);
    await check(page, 'account-passkeys-empty');
    await page.fill('input#passkey-name', 'Laptop');
    await page.fill('input#code', '000000');
    await submit(page, ADD_BUTTON);
    expect(await page.textContent('.error')).toContain('not right');
    await page.fill('input#passkey-name', 'Laptop');
    await page.fill('input#code', await unusedCode(user.secret));
    await submit(page, ADD_BUTTON);
    await check(page, 'account-passkey-add');
    let addBody = '';
    await page.route('**/account/passkeys/add', async (route) => {
      addBody = route.request().postData() ?? '';
      await route.continue();
    });
    await createPasskey(page);
    await page.unroute('**/account/passkeys/add');

    // A second key: the first authenticator goes, so the browser makes the passkey on a USB key.
    await laptop.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: laptop.authenticatorId });
    const usb = await addKey(page, { transport: 'usb' });
    await page.fill('input#passkey-name', 'Blue key');
    await page.fill('input#code', await unusedCode(user.secret));
    await submit(page, ADD_BUTTON);
    await createPasskey(page);
    expect(await credentialsOn(usb)).toBe(1);
    expect(await page.locator('[data-passkey-name]').allTextContents()).toEqual(['Laptop', 'Blue key']);
    await check(page, 'account-passkeys');

    // The add request again, from the same session: its challenge is spent.
    const cookie = (await context.cookies(server.url)).map((entry) => `${entry.name}=${entry.value}`).join('; ');
    const again = await fetch(`${server.url}/account/passkeys/add`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: addBody });
    expect(again.status).toBe(400);
    expect((await server.container.accounts.findById(user.id))?.passkeys).toHaveLength(2);

    const blue = page.locator('li', { has: page.locator('[data-passkey-name]', { hasText: 'Blue key' }) });
    await blue.locator('input[name=name]').fill('Red key');
    await submit(page, 'li:has-text("Blue key") button:has-text("Rename")');
    const laptopItem = page.locator('li', { has: page.locator('[data-passkey-name]', { hasText: 'Laptop' }) });
    await Promise.all([page.waitForURL(/done=removed/), laptopItem.locator('button:has-text("Remove")').click()]);
    expect(await page.locator('[data-passkey-name]').allTextContents()).toEqual(['Red key']);

    // The key that is left signs in; the removed one is gone from the account.
    await context.clearCookies();
    const request = await buildAuthorizationRequest(config, { scope: 'openid email', prompt: 'login' });
    await passwordStep(page, request, user.email);
    expect((await idTokenClaims(await usePasskey(page, '[data-passkey-start]'), request)).amr).toEqual(['pwd', 'hwk', 'mfa']);

    await server.container.audit.flush();
    const types = (await server.container.auditStore.query({ limit: 50, accountId: user.id })).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['passkey.added', 'passkey.renamed', 'passkey.removed']));
    // What an administrator sees (users show --json, the admin API): names and dates, never the key.
    const shown = toUserJson((await server.container.accounts.findById(user.id)) ?? fail('account gone')).passkeys;
    expect(shown).toEqual([{ id: expect.any(String), name: 'Red key', synced: false, created_at: expect.any(String), last_used_at: expect.any(String) }]);

    // An administrator's reset of the second factor takes the passkeys with it.
    expect((await server.container.accounts.resetTotp(user.id)).passkeys).toEqual([]);
    await context.close();
  });
});
