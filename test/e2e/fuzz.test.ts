import * as oidc from 'openid-client';

import { Browser } from '../support/browser.js';
import { basicAuthorization, registerClient } from '../support/register-client.js';
import { buildAuthorizationRequest, openLogin, REDIRECT_URI } from '../support/sign-in.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

interface Probe {
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly body?: string;
  readonly query?: string;
  readonly cookie?: string;
  readonly authorization?: string;
}

const CONTENT_TYPES = [undefined, 'text/plain', 'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml'];

// What hostile or broken clients send: malformed and deep JSON, NUL bytes, repeated and array
// parameters, operator-shaped values, oversized and odd encodings.
const BODIES = [
  '',
  '{',
  'null',
  '[]',
  '"a string"',
  '{"email":{"$gt":""},"password":{"$ne":null}}',
  '{"client_id":["a","b"],"redirect_uris":{"$where":"1"}}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  JSON.stringify({ a: 'x'.repeat(60 * 1024) }),
  JSON.stringify({ a: 'x'.repeat(200 * 1024) }),
  'grant_type=client_credentials&grant_type=authorization_code',
  'email[$gt]=&password[$ne]=x',
  'scope[]=openid&scope[]=admin&client_id[]=x',
  'code=%00%00&redirect_uri=%00&state=\u0000',
  'email=%ZZ&password=%',
  `token=${'a'.repeat(10_000)}`,
  '\u0000\u0001\u0002\u00ff\ufffe',
  '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n{"$gt":""}\r\n--x--',
];

const QUERIES = [
  '',
  'client_id=%00&response_type=code',
  'client_id[]=a&client_id[]=b',
  'client_id[$gt]=&redirect_uri[$ne]=x',
  'response_type=code&response_type=token&scope=openid',
  `state=${'s'.repeat(8000)}`,
  'request_uri=urn:ietf:params:oauth:request_uri:%00',
  'limit=-1&cursor[$gt]=&type[$regex]=.*',
  'id_token_hint=eyJ%00&post_logout_redirect_uri=javascript:alert(1)',
];

// Signs of internals leaking into a body: stack frames, source paths, driver error names.
const LEAKS = [/\n\s+at [\w.<>]+ \(/, /node_modules\//, /\/src\/\w+/, /Mongo\w*Error/, /ReplyError|ioredis/, /TypeError|ReferenceError|SyntaxError: /];

/**
 * Every public endpoint, fed hostile input. Nothing may answer 5xx, hang, or show internals;
 * the stores are up, so even 503 would be a bug here.
 */
describe('every public endpoint under hostile input', () => {
  let server: TestServer;
  const probes: Probe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const client = await registerClient(server.container, { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const basic = basicAuthorization(client.clientId, client.clientSecret);
    const config = await oidc.discovery(new URL(server.url), client.clientId, { client_secret: client.clientSecret }, oidc.ClientSecretBasic(client.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const browser = new Browser(REDIRECT_URI);
    const login = await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' }));
    const interaction = new URL(login.url).pathname;
    const cookie = browser.cookiesFor(login.url);
    const admin = await server.container.clients.create({ name: 'Fuzz admin', admin: true });
    const tokenResponse = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(String(admin.metadata.client_id), admin.clientSecret ?? ''), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=admin',
    });
    const adminBearer = `Bearer ${((await tokenResponse.json()) as { access_token: string }).access_token}`;

    const posts: Array<Omit<Probe, 'method'>> = [
      { path: '/token', authorization: basic },
      { path: '/token' },
      { path: '/token/introspection', authorization: basic },
      { path: '/token/revocation', authorization: basic },
      { path: '/request', authorization: basic },
      { path: '/reg', authorization: 'Bearer nope' },
      { path: '/me', authorization: 'Bearer nope' },
      { path: '/auth' },
      { path: '/session/end' },
      { path: '/session/end/confirm' },
      ...['login', 'second-factor', 'enrol', 'recovery-codes', 'consent', 'abort'].flatMap((step) => [
        { path: `${interaction}/${step}`, cookie },
        { path: `/interaction/not-a-uid/${step}` },
      ]),
      { path: '/admin/v1/clients', authorization: adminBearer },
      { path: '/admin/v1/users', authorization: adminBearer },
      { path: '/admin/v1/resources', authorization: adminBearer },
      { path: '/admin/v1/users/x/unlock', authorization: adminBearer },
      { path: '/admin/v1/clients/x/secret', authorization: adminBearer },
    ];
    for (const post of posts) {
      for (const [index, body] of BODIES.entries()) {
        // Each body as JSON, as a form, and as one more type in turn.
        for (const contentType of new Set(['application/json', 'application/x-www-form-urlencoded', CONTENT_TYPES[index % CONTENT_TYPES.length]])) {
          probes.push({ method: 'POST', ...post, body, ...(contentType ? { contentType } : {}) });
        }
      }
    }
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      for (const body of BODIES.slice(0, 8)) {
        probes.push({ method, path: '/admin/v1/clients/x', authorization: adminBearer, body, contentType: 'application/json' });
        probes.push({ method, path: '/admin/v1/users/x', authorization: adminBearer, body, contentType: 'application/json' });
        probes.push({ method, path: '/reg/x', authorization: 'Bearer nope', body, contentType: 'application/json' });
      }
    }
    const gets = ['/.well-known/openid-configuration', '/jwks', '/auth', '/auth/not-a-uid', '/me', '/session/end', '/reg/x', interaction, '/interaction/not-a-uid', '/admin/v1/audit', '/admin/v1/users', '/admin/v1/openapi.json', '/healthz', '/readyz', '/metrics', '/nowhere'];
    for (const path of gets) {
      for (const query of QUERIES) {
        probes.push({ method: 'GET', path, query, ...(path.startsWith('/admin') ? { authorization: adminBearer } : {}), ...(path === interaction ? { cookie } : {}) });
      }
    }
  }, 60_000);

  afterAll(async () => {
    await server.stop();
  });

  it('answers every probe below 500, within 3 s, without internal detail', async () => {
    const failures: string[] = [];
    for (const probe of probes) {
      const started = Date.now();
      const label = `${probe.method} ${probe.path}${probe.query ? `?${probe.query.slice(0, 40)}` : ''} [${probe.contentType ?? 'no type'}] ${JSON.stringify((probe.body ?? '').slice(0, 40))}`;
      try {
        const response = await fetch(`${server.url}${probe.path}${probe.query ? `?${probe.query}` : ''}`, {
          method: probe.method,
          redirect: 'manual',
          headers: {
            accept: probe.method === 'GET' ? 'text/html,application/json' : 'application/json',
            ...(probe.contentType ? { 'content-type': probe.contentType } : {}),
            ...(probe.cookie ? { cookie: probe.cookie } : {}),
            ...(probe.authorization ? { authorization: probe.authorization } : {}),
          },
          ...(probe.body !== undefined && probe.method !== 'GET' ? { body: probe.body } : {}),
          signal: AbortSignal.timeout(3000),
        });
        const text = await response.text();
        if (response.status >= 500) failures.push(`${label} -> ${response.status} ${text.slice(0, 200)}`);
        const leak = LEAKS.find((pattern) => pattern.test(text));
        if (leak && probe.path !== '/metrics') failures.push(`${label} -> leaks ${String(leak)}: ${text.slice(0, 200)}`);
      } catch (error) {
        failures.push(`${label} -> no answer within 3 s (${(error as Error).name}) after ${Date.now() - started} ms`);
      }
    }
    expect(probes.length).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  }, 120_000);
});
