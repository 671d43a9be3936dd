import { startTestServer, type TestServer } from '../../support/test-server.js';

describe('error pages', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('renders a provider error as a page, with no stack trace and a strict CSP', async () => {
    const response = await fetch(`${server.url}/auth?client_id=nobody&response_type=code&scope=openid`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await response.text();
    expect(html).toContain('data-error="invalid_client"');
    expect(html).toContain('<h1>We do not know this application</h1>');
    expect(html).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('says in plain words that a redirect_uri is not registered, and what to do next', async () => {
    const created = await server.container.clients.create({ name: 'Shop', redirectUris: ['https://shop.example.com/cb'] });
    const response = await fetch(`${server.url}/auth?client_id=${String(created.metadata.client_id)}&response_type=code&scope=openid&redirect_uri=https://evil.example.com/cb`, { redirect: 'manual' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('This sign-in link is not set up correctly');
    expect(html).toContain('has not registered with us');
    expect(html).toContain('Go back to the application you came from and try again');
    expect(html).toContain('data-error="invalid_redirect_uri"');
  });

  it('says that a sign-out link is not valid, and that nothing changed, when logout is refused', async () => {
    const bad = `${server.url}/session/end?id_token_hint=not-a-token&post_logout_redirect_uri=${encodeURIComponent('https://evil.example.com/bye')}`;
    const response = await fetch(bad, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('<h1>This sign-out link is not valid</h1>');
    expect(html).toContain('nothing was changed');
    expect(html).toContain('data-error="invalid_request"');
  });

  it('answers an unknown path with a 404 page for browsers and JSON for API clients', async () => {
    const page = await fetch(`${server.url}/no/such/page`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('data-error="not_found"');
    const json = await fetch(`${server.url}/no/such/page`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: 'not_found', error_description: 'The page you asked for does not exist.' });
  });

  it('sends the baseline security headers on every response', async () => {
    const response = await fetch(`${server.url}/.well-known/openid-configuration`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers the token endpoint with OAuth error JSON, not a page', async () => {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', error_description: 'no client authentication mechanism provided' });
  });
});

describe('metrics', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('exposes request counts and the audit drop counter in the Prometheus text format', async () => {
    await fetch(`${server.url}/.well-known/openid-configuration`);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^latchkey_http_requests_total\{route="discovery",status="2xx"\} [1-9]\d*$/m);
    expect(text).toMatch(/^latchkey_audit_events_dropped_total 0$/m);
    expect(text).toMatch(/^# TYPE latchkey_audit_events_written_total counter$/m);
  });
});
