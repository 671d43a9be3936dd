import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';

import { createContainer } from '../../src/container.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { Browser, expectPage } from '../support/browser.js';
import { registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI, submitPassword } from '../support/sign-in.js';
import { createCapturingLogger } from '../support/test-env.js';
import { createTestContainer, type TestContainer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

describe('a COOKIE_KEYS rotation in the middle of a sign-in', () => {
  const oldKey = randomBytes(32).toString('base64url');
  const newKey = randomBytes(32).toString('base64url');
  let first: TestContainer;
  let running: RunningServer | undefined;

  beforeAll(async () => {
    first = await createTestContainer({ env: { COOKIE_KEYS: oldKey } });
  });

  afterAll(async () => {
    await running?.close();
    await first.removeKeys();
  });

  /** The same deployment restarted with other cookie keys, as a rolling deploy would do. */
  async function restartWith(keys: string[]): Promise<void> {
    await running?.close();
    const container = await createContainer({ ...first.container.config, cookieKeys: { value: keys, generated: false } }, createCapturingLogger().logger);
    running = await startServer(container, first.port, '127.0.0.1');
  }

  it('keeps the open login form working when the old key is still listed, and not once it is gone', async () => {
    running = await startServer(first.container, first.port, '127.0.0.1');
    const url = first.container.config.issuer;
    const client = await registerClient(first.container, { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email profile' });
    const config = await oidc.discovery(new URL(url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), insecure);
    const { account } = await first.container.accounts.createAccount({ email: 'rolling@example.com', password: PASSWORD, withTotp: true });

    const browser = new Browser(REDIRECT_URI);
    const formBefore = await openLogin(browser, await buildAuthorizationRequest(config));
    const stale = new Browser(REDIRECT_URI);
    const staleForm = await openLogin(stale, await buildAuthorizationRequest(config));

    await restartWith([newKey, oldKey]);
    const next = await submitPassword(browser, formBefore, account.email, PASSWORD);
    expect(next.document.querySelector('input[name="code"]')).not.toBeNull();

    await restartWith([newKey]);
    const refused = expectPage(await stale.submit(staleForm, { containing: 'input[name="password"]', fields: { email: account.email, password: PASSWORD } }));
    expect(refused.document.querySelector('input[name="code"]')).toBeNull();
    expect(refused.status).toBeGreaterThanOrEqual(400);
  });
});
