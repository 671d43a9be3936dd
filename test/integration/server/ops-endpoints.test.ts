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

describe('/metrics with prom-client', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('reports latency per route family, tokens by grant type, MongoDB command latency, the audit trail and the process', async () => {
    const created = await server.container.clients.create({ name: 'Metrics probe', scope: 'openid' });
    const basic = Buffer.from(`${String(created.metadata.client_id)}:${created.clientSecret ?? ''}`).toString('base64');
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${server.url}/token`, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      expect(response.status).toBe(200);
    }
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/^latchkey_http_request_duration_seconds_bucket\{le="[\d.]+",route="token",status="2xx"\} \d+$/m);
    expect(text).toMatch(/^latchkey_http_request_duration_seconds_count\{route="token",status="2xx"\} 3$/m);
    expect(text).toMatch(/^latchkey_tokens_issued_total\{grant_type="client_credentials"\} 3$/m);
    expect(text).toMatch(/^latchkey_mongodb_command_duration_seconds_count\{command="\w+",outcome="ok"\} [1-9]\d*$/m);
    expect(text).toMatch(/^latchkey_audit_events_total\{type="token\.issued"\} 3$/m);
    expect(text).toMatch(/^latchkey_sign_ins_total\{outcome="success"\} 0$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
  });
});
