import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Behind a load balancer the client address comes from X-Forwarded-For, and only as far as the
 * trusted proxies vouch for it: the client writes whatever it likes to the left of that.
 */
describe('client addresses behind TRUST_PROXY=true (one load balancer)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      env: { TRUST_PROXY: 'true' },
      configure: (config) => ({ ...config, rateLimit: { ...config.rateLimit, tokenRequestsPerMinute: 3 } }),
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  // What the balancer sends: the client's own header, with the address it saw appended.
  const forwarded = (spoofed: string, seenByBalancer: string): Record<string, string> => ({ 'x-forwarded-for': `${spoofed}, ${seenByBalancer}` });

  it('keeps a client that varies the leftmost entry under one budget', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...forwarded(`198.51.100.${attempt}`, '203.0.113.7') },
        body: 'grant_type=client_credentials',
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);

    // Another address seen by the balancer has its own budget.
    const other = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...forwarded('198.51.100.1', '203.0.113.8') },
      body: 'grant_type=client_credentials',
    });
    expect(other.status).toBe(400);
  });

  it('records the address the balancer saw in the audit trail, not the forged one', async () => {
    await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...forwarded('10.9.9.9', '203.0.113.50') },
      body: 'grant_type=client_credentials&client_id=nobody&client_secret=nothing',
    });
    await server.container.audit.flush();
    const addresses = (await server.container.auditStore.query({ limit: 50 })).map((event) => event.ip);
    expect(addresses).toContain('203.0.113.50');
    expect(addresses).not.toContain('10.9.9.9');
  });
});
