import { randomBytes } from 'node:crypto';

import { findFreePort } from '../../support/test-env.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

describe('/metrics behind a bearer token (METRICS_TOKEN)', () => {
  const token = randomBytes(32).toString('base64url');
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { METRICS_TOKEN: token } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers 401 without the token or with another, and the metrics with it', async () => {
    const bare = await fetch(`${server.url}/metrics`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="latchkey-metrics"');
    expect(await bare.text()).not.toContain('latchkey_http_requests_total');
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token.slice(1)}x` } })).status).toBe(401);
    const scraped = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^latchkey_http_requests_total/m);
  });
});

describe('/metrics on a listener of its own (METRICS_LISTEN)', () => {
  let server: TestServer;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await findFreePort();
    server = await startTestServer({ env: { METRICS_LISTEN: `127.0.0.1:${metricsPort}` } });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves /metrics only there, counting the requests of the public port', async () => {
    await fetch(`${server.url}/.well-known/openid-configuration`);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^latchkey_http_requests_total\{route="discovery",status="2xx"\} [1-9]\d*$/m);
  });

  it('stops the metrics listener with the server', async () => {
    await server.stop();
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
    server = await startTestServer();
  });
});
