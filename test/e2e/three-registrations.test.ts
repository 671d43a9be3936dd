import * as oidc from 'openid-client';

import { runCli } from '../../src/cli/main.js';
import { Browser } from '../support/browser.js';
import { basicAuthorization } from '../support/register-client.js';
import { approveConsent, buildAuthorizationRequest, redeem, REDIRECT_URI, signIn } from '../support/sign-in.js';
import { dataKeyEnv } from '../support/test-env.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'three ways passphrase';

describe('a client from the CLI, one from the admin API and one from dynamic registration', () => {
  let server: TestServer;
  let env: Record<string, string>;

  async function cli(args: string[], stdin = ''): Promise<Record<string, unknown>> {
    let stdout = '';
    let stderr = '';
    const code = await runCli([...args, '--json'], { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => stdin });
    if (code !== 0) throw new Error(`latchkey ${args.join(' ')}: ${stderr}`);
    return JSON.parse(stdout) as Record<string, unknown>;
  }

  beforeAll(async () => {
    server = await startTestServer();
    const config = server.container.config;
    env = { MONGODB_URI: config.mongodbUri ?? '', REDIS_URL: config.redisUrl ?? '', DATA_ENCRYPTION_KEY: dataKeyEnv(config) };
  });

  afterAll(async () => {
    await server.stop();
  });

  it('signs the same user in through each, and the audit list shows each sign-in', async () => {
    const fromCli = await cli(['clients', 'create', '--name', 'From CLI', '--redirect-uri', REDIRECT_URI]);

    const admin = await cli(['clients', 'create', '--name', 'Admin robot', '--admin', '--scope', 'openid']);
    const tokenResponse = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(String(admin.client_id), String(admin.client_secret)), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=admin',
    });
    const { access_token: adminToken } = (await tokenResponse.json()) as { access_token: string };
    const apiResponse = await fetch(`${server.url}/admin/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'From API', redirect_uris: [REDIRECT_URI] }),
    });
    const fromApi = (await apiResponse.json()) as Record<string, unknown>;

    const iat = await cli(['initial-access-token', 'create']);
    const dynamic = await oidc.dynamicClientRegistration(
      new URL(server.url),
      { client_name: 'From DCR', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
      oidc.ClientSecretBasic(),
      { ...insecure, initialAccessToken: String(iat.initial_access_token) },
    );
    const fromDcr = dynamic.clientMetadata();

    const user = await cli(['users', 'create', '--email', 'three@example.com', '--with-totp', '--password-stdin'], `${PASSWORD}\n`);
    const totpSecret = String((user.totp as { secret: string }).secret);

    const clients = [
      { id: String(fromCli.client_id), secret: String(fromCli.client_secret) },
      { id: String(fromApi.client_id), secret: String(fromApi.client_secret) },
      { id: fromDcr.client_id, secret: String(fromDcr.client_secret) },
    ];
    for (const [index, client] of clients.entries()) {
      const config = await oidc.discovery(new URL(server.url), client.id, { client_secret: client.secret }, oidc.ClientSecretBasic(client.secret), insecure);
      const browser = new Browser(REDIRECT_URI);
      const request = await buildAuthorizationRequest(config);
      // A fresh browser each time; each TOTP code is from its own time step (no replays).
      const consent = await signIn(browser, request, { email: 'three@example.com', password: PASSWORD, totpSecret }, index - 1);
      if (typeof consent === 'string') throw new Error('expected the consent page for a new client');
      const tokens = await redeem(config, await approveConsent(browser, consent), request);
      expect(tokens.claims()?.sub).toBe(user.id);
    }

    await server.container.audit.flush();
    const listed = await cli(['audit', 'list', '--type', 'login.succeeded', '--account', String(user.id)]);
    const signedInTo = (listed.events as Array<{ client_id: string }>).map((event) => event.client_id).sort();
    expect(signedInTo).toEqual(clients.map((client) => client.id).sort());
  });
});
