import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';

import { createHealthRouter, type ReadinessCheck } from '../../../src/http/health.js';
import { createCapturingLogger } from '../../support/test-env.js';

const { logger, lines } = createCapturingLogger();

async function serve(checks: ReadinessCheck[], shuttingDown = false): Promise<{ url: string; server: Server }> {
  const app = new Koa();
  app.use(createHealthRouter({ checks, isShuttingDown: () => shuttingDown, logger }).routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const ok = (name: string): ReadinessCheck => ({ name, check: async () => undefined });
const down = (name: string, message: string): ReadinessCheck => ({ name, check: async () => { throw new Error(message); } });

describe('health routes', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function get(checks: ReadinessCheck[], path: string, shuttingDown = false): Promise<{ status: number; body: unknown }> {
    const { url, server } = await serve(checks, shuttingDown);
    servers.push(server);
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: await response.json() };
  }

  it('answers /healthz while the process is up, whatever the dependencies say', async () => {
    expect(await get([down('redis', 'gone')], '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers /readyz 200 when every dependency answers', async () => {
    expect(await get([ok('redis'), ok('mongodb')], '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', shutting_down: false, checks: { redis: 'ok', mongodb: 'ok' } },
    });
  });

  it('answers /readyz 503 and names the dependency that is down, keeping the driver error for the log', async () => {
    expect(await get([down('redis', 'connect ECONNREFUSED 10.1.2.3:6379'), ok('mongodb')], '/readyz')).toEqual({
      status: 503,
      body: { status: 'unavailable', shutting_down: false, checks: { redis: 'down', mongodb: 'ok' } },
    });
    expect(lines().join('\n')).toContain('connect ECONNREFUSED 10.1.2.3:6379');
  });

  it('answers /readyz 503 while shutting down so the balancer drains this instance', async () => {
    const result = await get([ok('redis')], '/readyz', true);
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ shutting_down: true });
  });

  it('gives up on a dependency that does not answer in time', async () => {
    const hanging: ReadinessCheck = { name: 'mongodb', check: () => new Promise(() => undefined) };
    const result = await get([hanging], '/readyz');
    expect(result).toEqual({ status: 503, body: { status: 'unavailable', shutting_down: false, checks: { mongodb: 'timeout' } } });
  });
});
