import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { simpleParser, type ParsedMail } from 'mailparser';
import * as oidc from 'openid-client';
import { SMTPServer } from 'smtp-server';

import { Browser, expectPage, isPage, type Page } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new passphrase for ada';

/** A real SMTP server on loopback that keeps every message it is given. */
async function startMailCatcher(): Promise<{ url: string; messages: ParsedMail[]; close: () => Promise<void> }> {
  const messages: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        messages.push(mail);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function waitFor<T>(find: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('password reset by email', () => {
  let mail: Awaited<ReturnType<typeof startMailCatcher>>;
  let server: TestServer;
  let config: oidc.Configuration;

  beforeAll(async () => {
    mail = await startMailCatcher();
    server = await startTestServer({ env: { SMTP_URL: mail.url, MAIL_FROM: 'Latchkey <id@example.com>' } });
    const client = await registerClient(server.container, { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email', first_party: true });
    config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), { execute: [oidc.allowInsecureRequests] });
  });

  afterAll(async () => {
    await server.stop();
    await mail.close();
  });

  async function createUser(): Promise<{ email: string; secret: string }> {
    const email = `reset-${randomUUID()}@example.com`;
    const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
    return { email, secret: totp?.secret ?? '' };
  }

  const mailsTo = (email: string, subject: string) => mail.messages.filter((message) => message.to && JSON.stringify(message.to).includes(email) && message.subject === subject);

  /** From the login page: the Forgot link, the form, the address; returns the link in the mail. */
  async function askForLink(browser: Browser, email: string): Promise<string> {
    const login = await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' }));
    const forgot = login.document.querySelectorAll('a').find((anchor) => anchor.text.includes('Forgot'));
    expect(forgot).toBeDefined();
    const form = expectPage(await browser.open(new URL(forgot?.getAttribute('href') ?? '', server.url).toString()));
    expect(form.document.querySelector('input[name="email"][autocomplete="email"]')).not.toBeNull();
    expect(form.document.querySelector('input[type="hidden"][name="csrf"]')).not.toBeNull();
    const sent = expectPage(await browser.submit(form, { containing: 'input[name="email"]', fields: { email } }));
    expect(sent.html).toContain('Check your email');
    const message = await waitFor(() => mailsTo(email, 'Reset your password')[0]);
    const links = [...String(message.text).matchAll(/https?:\/\/\S+/g)].map((match) => match[0]);
    expect(links).toHaveLength(1);
    expect(links[0]?.startsWith(`${server.url}/password-reset/`)).toBe(true);
    expect(message.from?.value[0]).toMatchObject({ name: 'Latchkey', address: 'id@example.com' });
    return links[0] ?? '';
  }

  async function signInWith(email: string, password: string, secret: string, step: number): Promise<Page | { redirectedTo: string }> {
    const browser = new Browser(REDIRECT_URI);
    const second = await submitPassword(browser, await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' })), email, password);
    if (!second.document.querySelector('input[name="code"]')) return second;
    return submitCode(browser, second, await totpCode(secret, step));
  }

  it('mails a single-use link that sets a new password; the second factor is still asked; a notice follows', async () => {
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI);
    const link = await askForLink(browser, user.email);

    const form = expectPage(await browser.open(link));
    expect(form.document.querySelectorAll('input[autocomplete="new-password"]')).toHaveLength(2);
    const tooShort = expectPage(await browser.submit(form, { containing: 'input[name="password"]', fields: { password: 'short', password_repeat: 'short' } }));
    expect(tooShort.status).toBe(400);
    const done = expectPage(await browser.submit(tooShort, { containing: 'input[name="password"]', fields: { password: NEW_PASSWORD, password_repeat: NEW_PASSWORD } }));
    expect(done.html).toContain('Password changed');
    await waitFor(() => mailsTo(user.email, 'Your password was changed')[0]);

    // Following the mailed link proved the mailbox.
    expect((await server.container.accounts.findByEmail(user.email))?.emailVerified).toBe(true);
    const again = expectPage(await browser.open(link));
    expect(again.status).toBe(410);
    expect(again.html).toContain('data-error="invalid_link"');

    const old = await signInWith(user.email, PASSWORD, user.secret, 0);
    expect(isPage(old) && old.document.querySelector('input[name="password"]')).toBeTruthy();
    // The new password alone is not enough: the authenticator code is still asked.
    const signedIn = await signInWith(user.email, NEW_PASSWORD, user.secret, 1);
    expect(isPage(signedIn) ? signedIn.html : new URL(signedIn.redirectedTo).searchParams.has('code')).toBe(true);

    // The link was requested four times (open, two posts, the 410): the access log has each, never its token.
    const token = new URL(link).pathname.split('/').pop() ?? '';
    const resetLines = server.logLines().filter((line) => line.includes('"path":"/password-reset/'));
    expect(resetLines.length).toBeGreaterThanOrEqual(4);
    expect(resetLines.every((line) => line.includes('"path":"/password-reset/:token"'))).toBe(true);
    expect(server.logLines().filter((line) => line.includes(token))).toEqual([]);
  });

  it('writes the pages and the mails in the language the person reads (German), and the link works the same', async () => {
    const de = JSON.parse(readFileSync('views/locales/de.json', 'utf8')) as Record<string, string>;
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI).setHeader('accept-language', 'de-DE,de;q=0.9');
    const form = expectPage(await browser.open(`${server.url}/password-reset`));
    expect(form.document.querySelector('h1')?.text).toBe(de['passwordReset.request.title']);
    const sent = expectPage(await browser.submit(form, { containing: 'input[name="email"]', fields: { email: user.email } }));
    expect(sent.document.querySelector('h1')?.text).toBe(de['passwordReset.sent.title']);
    const message = await waitFor(() => mailsTo(user.email, de['mail.passwordReset.subject'] ?? '')[0]);
    expect(message.text).toContain('30 Minuten');
    const link = [...String(message.text).matchAll(/https?:\/\/\S+/g)].map((match) => match[0])[0] ?? '';
    const page = expectPage(await browser.open(link));
    const tooShort = expectPage(await browser.submit(page, { containing: 'input[name="password"]', fields: { password: 'short', password_repeat: 'short' } }));
    expect(tooShort.document.querySelector('.error')?.text).toMatch(/^Passwörter müssen mindestens \d+ Zeichen lang sein\.$/);
    const done = expectPage(await browser.submit(tooShort, { containing: 'input[name="password"]', fields: { password: NEW_PASSWORD, password_repeat: NEW_PASSWORD } }));
    expect(done.document.querySelector('h1')?.text).toBe(de['passwordReset.done.title']);
    const notice = await waitFor(() => mailsTo(user.email, de['mail.passwordChanged.subject'] ?? '')[0]);
    expect(notice.html).toContain('lang="de"');
  });

  it('answers an unknown address exactly like a known one, and sends nothing', async () => {
    const browser = new Browser(REDIRECT_URI);
    const form = expectPage(await browser.open(`${server.url}/password-reset`));
    const before = mail.messages.length;
    const unknown = expectPage(await browser.submit(form, { containing: 'input[name="email"]', fields: { email: 'nobody-here@example.com' } }));
    const user = await createUser();
    const known = expectPage(await browser.submit(expectPage(await browser.open(`${server.url}/password-reset`)), { containing: 'input[name="email"]', fields: { email: user.email } }));
    expect(unknown.status).toBe(known.status);
    expect(unknown.html.replace('nobody-here@example.com', user.email)).toBe(known.html);
    await waitFor(() => mailsTo(user.email, 'Reset your password')[0]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mail.messages.slice(before).filter((message) => JSON.stringify(message.to).includes('nobody-here'))).toEqual([]);
    expect(mailsTo(user.email, 'Reset your password')).toHaveLength(1);
  });

  it('sends one mail per address a minute, refuses a post without the form token, and lets one of two concurrent uses of a link win', async () => {
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI);
    const link = await askForLink(browser, user.email);
    const repeat = expectPage(await browser.submit(expectPage(await browser.open(`${server.url}/password-reset`)), { containing: 'input[name="email"]', fields: { email: user.email } }));
    expect(repeat.html).toContain('Check your email');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsTo(user.email, 'Reset your password')).toHaveLength(1);

    const forged = await fetch(`${server.url}/password-reset`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: `email=${encodeURIComponent(user.email)}` });
    expect(forged.status).toBe(403);

    const form = expectPage(await browser.open(link));
    const results = await Promise.all([0, 1, 2, 3].map(() => browser.submit(form, { containing: 'input[name="password"]', fields: { password: NEW_PASSWORD, password_repeat: NEW_PASSWORD } })));
    const statuses = results.map((result) => (isPage(result) ? result.status : 0)).sort();
    expect(statuses).toEqual([200, 410, 410, 410]);
  });

  describe('security notices', () => {
    it('tells the owner of a sign-in from a browser not seen before, once per browser', async () => {
      const user = await createUser();
      const first = await signInWith(user.email, PASSWORD, user.secret, 0);
      expect(isPage(first) ? first.html : 'redirected').toBe('redirected');
      const notice = await waitFor(() => mailsTo(user.email, 'New sign-in to your account')[0]);
      expect(String(notice.text)).toContain('127.0.0.1');
      expect(mailsTo(user.email, 'New sign-in to your account')).toHaveLength(1);
    });

    it('does not tell again when the same browser signs in again', async () => {
      const user = await createUser();
      const browser = new Browser(REDIRECT_URI);
      for (const step of [0, 1]) {
        const second = await submitPassword(browser, await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email', prompt: 'login' })), user.email, PASSWORD);
        await submitCode(browser, second, await totpCode(user.secret, step));
      }
      await waitFor(() => mailsTo(user.email, 'New sign-in to your account')[0]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(mailsTo(user.email, 'New sign-in to your account')).toHaveLength(1);
    });

    it('tells the owner once when sign-ins from an address are paused after repeated failures', async () => {
      const user = await createUser();
      const browser = new Browser(REDIRECT_URI);
      let page = await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' }));
      for (let attempt = 0; attempt < 11; attempt += 1) {
        page = expectPage(await browser.submit(page, { containing: 'input[name="password"]', fields: { email: user.email, password: `wrong guess ${attempt}` } }));
      }
      expect(page.status).toBe(429);
      const notice = await waitFor(() => mailsTo(user.email, 'Sign-ins to your account were paused')[0]);
      expect(String(notice.text)).toContain('127.0.0.1');
      expect(mailsTo(user.email, 'Sign-ins to your account were paused')).toHaveLength(1);
    });
  });

  it('confirms the address through a mailed link from the account area, once, for whoever holds the link', async () => {
    const user = await createUser();
    const browser = new Browser(REDIRECT_URI);
    const login = expectPage(await browser.open(`${server.url}/account`));
    const account = expectPage(await submitCode(browser, await submitPassword(browser, login, user.email, PASSWORD), await totpCode(user.secret)));
    expect(account.document.querySelector('[data-email-unverified]')).not.toBeNull();
    const sent = expectPage(await browser.submit(account, { containing: '[data-email-unverified]', fields: {} }));
    expect(sent.html).toContain('We sent a link');
    const message = await waitFor(() => mailsTo(user.email, 'Confirm your email address')[0]);
    const links = [...String(message.text).matchAll(/https?:\/\/\S+/g)].map((match) => match[0]);
    expect(links).toHaveLength(1);

    // Opened in four browsers at once (a mail client's link preview, the person's click, ...): one confirms.
    const opened = await Promise.all([0, 1, 2, 3].map(async () => expectPage(await new Browser(REDIRECT_URI).open(links[0] ?? ''))));
    expect(opened.map((page) => page.status).sort()).toEqual([200, 410, 410, 410]);
    expect(opened.find((page) => page.status === 200)?.html).toContain('Email address confirmed');
    const verified = await server.container.accounts.findByEmail(user.email);
    expect(verified?.emailVerified).toBe(true);
    await server.container.audit.flush();
    expect(await server.container.auditStore.query({ accountId: verified?.id ?? '', type: 'account.email_verified', limit: 10 })).toHaveLength(1);
    expect(expectPage(await new Browser(REDIRECT_URI).open(links[0] ?? '')).status).toBe(410);
    expect(expectPage(await browser.open(`${server.url}/account`)).document.querySelector('[data-email-unverified]')).toBeNull();
    const token = new URL(links[0] ?? '').pathname.split('/').pop() ?? '';
    expect(server.logLines().some((line) => line.includes('"path":"/account/verify-email/:token"'))).toBe(true);
    expect(server.logLines().filter((line) => line.includes(token))).toEqual([]);
  });
});
