import { Agent, request } from 'node:http';

import * as oidc from 'openid-client';

import { Browser } from '../../support/browser.js';
import { registerClient } from '../../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI } from '../../support/sign-in.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request on a given agent (so two calls share a kept-alive connection), with a deadline. */
function send(agent: Agent, url: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A body goes with its length, as browsers and HTTP clients send forms, unless the test asks for chunks.
    const headers = { ...(options.body && !options.headers?.['transfer-encoding'] ? { 'content-length': String(options.body.length) } : {}), ...options.headers };
    const req = request(url, { agent, method: options.method ?? 'GET', headers, timeout: 4000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 4 s`)));
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

describe('request bodies over their limit', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  const big = (bytes: number, fill = 'a'): Buffer => Buffer.from(`x=${fill.repeat(bytes)}`);

  it.each([
    ['a sign-in form', '/interaction/some-uid/login', 'application/x-www-form-urlencoded', 200 * 1024],
    ['an admin JSON body', '/admin/v1/clients', 'application/json', 200 * 1024],
    ['a token request', '/token', 'application/x-www-form-urlencoded', 200 * 1024],
    ['a dynamic registration', '/reg', 'application/json', 200 * 1024],
  ])('answer %s over the limit with 413 and close the connection, so the next request is answered', async (_what, path, type, bytes) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const accept = path.startsWith('/interaction') ? 'text/html' : 'application/json';
      const body = type === 'application/json' ? Buffer.from(JSON.stringify({ padding: 'a'.repeat(bytes) })) : big(bytes);
      const refused = await send(agent, `${server.url}${path}`, { method: 'POST', headers: { 'content-type': type, accept, authorization: 'Bearer not-a-token' }, body });
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe('close');
      expect(refused.headers['x-request-id']).toEqual(expect.any(String));
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      const next = await send(agent, `${server.url}/healthz`);
      expect(next.status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('answers 413 (with a page for browsers) for a sign-in form over the limit sent without a length', async () => {
    const client = await registerClient(server.container, { grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const browser = new Browser(REDIRECT_URI);
    const login = await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' }));
    const action = new URL(login.document.querySelector('form')?.getAttribute('action') ?? '', login.url).toString();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(agent, action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'transfer-encoding': 'chunked', cookie: browser.cookiesFor(action) },
        body: big(100 * 1024),
      });
      expect(refused.status).toBe(413);
      expect(refused.body).toContain('data-error="payload_too_large"');
      expect((await send(agent, `${server.url}/healthz`)).status).toBe(200);
    } finally {
      agent.destroy();
    }
  });

  it('never lets the access log fail a request', () => {
    expect(server.logLines().some((line) => line.includes('unhandled error'))).toBe(false);
  });
});
