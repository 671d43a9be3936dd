import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, globalAgent, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';

import { Browser, isPage } from '../support/browser.js';
import { REDIRECT_URI, signIn } from '../support/sign-in.js';
import { makeTempDir } from '../support/test-env.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const insecure = { execute: [oidc.allowInsecureRequests] };
const PASSWORD = 'correct horse battery staple';

/** A relying party's https server that hosts request objects, with a certificate made for the test. */
async function startRequestHost(): Promise<{ url: (path: string) => string; objects: Map<string, string>; server: Server; remove: () => Promise<void> }> {
  const dir = await makeTempDir();
  const key = join(dir.path, 'key.pem');
  const cert = join(dir.path, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const pem = { key: await readFile(key), cert: await readFile(cert) };
  // Latchkey fetches with Node's https agent: trust this certificate as an operator's CA would be.
  globalAgent.options.ca = pem.cert;
  const objects = new Map<string, string>();
  const server = createServer(pem, (req, res) => {
    const body = objects.get(req.url ?? '');
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/oauth-authz-req+jwt' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: (path) => `https://127.0.0.1:${port}${path}`, objects, server, remove: dir.remove };
}

describe('request objects by reference (request_uri, OpenID Connect Core 6.2)', () => {
  let host: Awaited<ReturnType<typeof startRequestHost>>;
  let server: TestServer;

  beforeAll(async () => {
    host = await startRequestHost();
    server = await startTestServer({ env: { PRIVATE_NETWORK_HOSTS: '127.0.0.1' } });
  });

  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => host.server.close(resolve));
    await host.remove();
    delete globalAgent.options.ca;
  });

  async function clientWithKey(target: TestServer): Promise<{ config: oidc.Configuration; sign: (claims: Record<string, unknown>) => Promise<string> }> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const initialAccessToken = await new target.container.provider.InitialAccessToken({}).save();
    const config = await oidc.dynamicClientRegistration(new URL(target.url), {
      client_name: 'By Reference', redirect_uris: [REDIRECT_URI], scope: 'openid email', request_object_signing_alg: 'RS256',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' }] },
    }, oidc.ClientSecretBasic(), { ...insecure, initialAccessToken });
    const clientId = config.clientMetadata().client_id;
    const sign = (claims: Record<string, unknown>) => new SignJWT({ client_id: clientId, ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'oauth-authz-req+jwt' }).setIssuer(clientId).setAudience(target.url).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    return { config, sign };
  }

  function authorizeUrl(target: TestServer, clientId: string, requestUri: string, state: string): string {
    const url = new URL(`${target.url}/auth`);
    url.search = new URLSearchParams({ client_id: clientId, request_uri: requestUri, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI, state }).toString();
    return url.toString();
  }

  it('fetches the request object from the client and signs the user in as it asks', async () => {
    const { config, sign } = await clientWithKey(server);
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const path = `/requests/${randomUUID()}`;
    host.objects.set(path, await sign({ response_type: 'code', scope: 'openid email', redirect_uri: REDIRECT_URI, state, nonce }));
    const { account, totp } = await server.container.accounts.createAccount({ email: `byref-${randomUUID()}@example.com`, password: PASSWORD, withTotp: true });

    const browser = new Browser(REDIRECT_URI);
    const consent = await signIn(browser, { url: authorizeUrl(server, config.clientMetadata().client_id, host.url(path), state), verifier: '', state }, { email: account.email, password: PASSWORD, totpSecret: totp?.secret ?? '' }, 0);
    if (typeof consent === 'string') throw new Error('expected the consent page');
    const decided = await browser.submit(consent, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } });
    if (isPage(decided)) throw new Error(decided.html);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(decided.redirectedTo), { expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()?.sub).toBe(account.id);
    expect(tokens.scope).toContain('email');

    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.request_uri_parameter_supported).toBe(true);
  });

  it('refuses a request object it cannot fetch, or that another key signed, back to the client with its state', async () => {
    const { config, sign } = await clientWithKey(server);
    const forgedPath = `/requests/${randomUUID()}`;
    const { sign: strangerSign } = await clientWithKey(server);
    host.objects.set(forgedPath, await strangerSign({ client_id: config.clientMetadata().client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI }));
    await sign({});
    for (const requestUri of [host.url('/requests/missing'), host.url(forgedPath), 'http://127.0.0.1:9/plain-http']) {
      const answer = await new Browser(REDIRECT_URI).open(authorizeUrl(server, config.clientMetadata().client_id, requestUri, 'kept'));
      if (isPage(answer)) throw new Error(`expected a redirect to the client, got:\n${answer.html}`);
      const callback = new URL(answer.redirectedTo);
      expect(callback.searchParams.get('error')).toBe('invalid_request_object');
      expect(callback.searchParams.get('state')).toBe('kept');
    }
  });

  it('does not fetch from a private address the operator did not list', async () => {
    const guarded = await startTestServer();
    try {
      const { config, sign } = await clientWithKey(guarded);
      const path = `/requests/${randomUUID()}`;
      host.objects.set(path, await sign({ response_type: 'code', scope: 'openid', redirect_uri: REDIRECT_URI }));
      const answer = await new Browser(REDIRECT_URI).open(authorizeUrl(guarded, config.clientMetadata().client_id, host.url(path), 's'));
      if (isPage(answer)) throw new Error(answer.html);
      expect(new URL(answer.redirectedTo).searchParams.get('error')).toBe('invalid_request_object');
    } finally {
      await guarded.stop();
    }
  });
});
