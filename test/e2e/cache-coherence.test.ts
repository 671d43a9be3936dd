import { randomUUID } from 'node:crypto';

import { basicAuthorization } from '../support/register-client.js';
import { startTestCluster, type TestCluster } from '../support/test-server.js';

/**
 * Two instances on one Redis and one MongoDB-protocol server, each caching clients and resource
 * servers. A change made through instance A must be in force on instance B with the very next
 * request: no waiting for a cache to expire.
 */
describe('caches across instances', () => {
  let cluster: TestCluster;
  let urlB: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ instances: 2 });
    urlB = cluster.instanceUrls[1] ?? '';
  });

  afterAll(async () => {
    await cluster.stop();
  });

  function instanceA() {
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    return first;
  }

  async function tokenOnB(clientId: string, secret: string, params: Record<string, string> = {}): Promise<{ status: number; error?: string }> {
    const response = await fetch(`${urlB}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
    });
    const body = (await response.json()) as { error?: string };
    return { status: response.status, ...(body.error ? { error: body.error } : {}) };
  }

  it('refuses on B, at once, a secret rotated on A, then the client deleted on A', async () => {
    for (let round = 0; round < 5; round += 1) {
      const created = await instanceA().clients.create({ name: `Batch job ${round}`, scope: 'openid' });
      const clientId = String(created.metadata.client_id);
      const oldSecret = created.clientSecret ?? '';
      // B reads the client and caches it.
      expect(await tokenOnB(clientId, oldSecret)).toEqual({ status: 200 });
      expect(await tokenOnB(clientId, oldSecret)).toEqual({ status: 200 });

      const rotated = await instanceA().clients.rotateSecret(clientId);
      expect(await tokenOnB(clientId, oldSecret)).toEqual({ status: 401, error: 'invalid_client' });
      expect(await tokenOnB(clientId, rotated.clientSecret ?? '')).toEqual({ status: 200 });

      await instanceA().clients.delete(clientId);
      expect(await tokenOnB(clientId, rotated.clientSecret ?? '')).toEqual({ status: 401, error: 'invalid_client' });
    }
  });

  it('refuses on B, at once, tokens for a resource server deleted on A', async () => {
    const api = `https://api-${randomUUID()}.example.com`;
    await instanceA().resources.create({ identifier: api, scope: 'read', format: 'jwt' });
    const created = await instanceA().clients.create({ name: 'Reporting job', scope: 'openid', resources: [api] });
    const clientId = String(created.metadata.client_id);
    const secret = created.clientSecret ?? '';
    expect(await tokenOnB(clientId, secret, { resource: api, scope: 'read' })).toEqual({ status: 200 });
    expect(await tokenOnB(clientId, secret, { resource: api, scope: 'read' })).toEqual({ status: 200 });

    await instanceA().resources.delete(api);
    expect(await tokenOnB(clientId, secret, { resource: api, scope: 'read' })).toEqual({ status: 400, error: 'invalid_target' });
  });
});
