import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { basicAuthorization } from '../support/register-client.js';
import { startTestCluster, type TestCluster } from '../support/test-server.js';

const API = 'https://orders.example.com';
// jose's createRemoteJWKSet refetches for an unknown kid at most every 30 s (its default
// cooldown): a key published for longer than that before it signs is always found.
const PREPUBLISH_SECONDS = 32;
const RETIRE_AFTER_SECONDS = 6;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Two instances behind a balancer share signing keys through MongoDB. A rotation made by the CLI
 * is published by both at once, both start signing with the new key at the instant in its record,
 * and a resource server that verifies with jose's defaults never refuses a token on the way.
 */
describe('signing keys rotating across instances', () => {
  let cluster: TestCluster;
  let client: { id: string; secret: string };

  beforeAll(async () => {
    cluster = await startTestCluster({
      instances: 2,
      configure: (config) => ({ ...config, signingKeys: { ...config.signingKeys, jwksMaxAgeSeconds: 1, prepublishSeconds: PREPUBLISH_SECONDS, retireAfterSeconds: RETIRE_AFTER_SECONDS, refreshSeconds: 1 } }),
    });
    const [first] = cluster.containers;
    if (!first) throw new Error('the cluster has no instance');
    await first.resources.create({ identifier: API, scope: 'read', format: 'jwt' });
    const created = await first.clients.create({ name: 'Order sync', scope: 'openid', resources: [API] });
    client = { id: String(created.metadata.client_id), secret: created.clientSecret ?? '' };
  });

  afterAll(async () => {
    await cluster.stop();
  });

  async function token(base: string = cluster.url): Promise<string> {
    const response = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'read' }),
    });
    expect(response.status).toBe(200);
    return String(((await response.json()) as { access_token: string }).access_token);
  }

  async function publishedKids(base: string): Promise<string[]> {
    const response = await fetch(`${base}/jwks`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=1');
    return ((await response.json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid).sort();
  }

  it('publishes the next key on every instance first, switches them together, never fails a verifier, and retires the old key on schedule', async () => {
    const [first] = cluster.containers;
    const jwks = createRemoteJWKSet(new URL(`${cluster.url}/jwks`));
    const verify = async (jwt: string): Promise<void> => {
      await jwtVerify(jwt, jwks, { issuer: cluster.url, audience: API });
    };
    const before = await token();
    const oldKid = decodeProtectedHeader(before).kid ?? '';
    await verify(before);

    const outcome = await first!.keys.rotate(new Date());
    const next = outcome.created.find((key) => key.alg === 'ES256');
    if (!next) throw new Error('no ES256 successor');
    const activatesAt = next.activatesAt.getTime();

    // Published by both instances within their refresh period, long before it signs.
    const deadline = Date.now() + 5000;
    while (!(await Promise.all(cluster.instanceUrls.map(publishedKids))).every((kids) => kids.includes(next.kid)) && Date.now() < deadline) await sleep(100);
    for (const url of cluster.instanceUrls) expect(await publishedKids(url)).toEqual(expect.arrayContaining([oldKid, next.kid]));

    // Tokens through the balancer (alternating instances) until well after the switch: every one verifies.
    const issued: Array<{ at: number; kid: string }> = [];
    while (Date.now() < activatesAt + 3000) {
      const at = Date.now();
      const jwt = await token();
      await verify(jwt);
      issued.push({ at, kid: decodeProtectedHeader(jwt).kid ?? '' });
      await sleep(250);
    }
    expect(issued.filter((entry) => entry.at < activatesAt - 1000).every((entry) => entry.kid === oldKid)).toBe(true);
    expect(issued.filter((entry) => entry.at > activatesAt + 1000).every((entry) => entry.kid === next.kid)).toBe(true);
    expect(issued.some((entry) => entry.kid === next.kid)).toBe(true);
    // Both instances sign with the new key.
    for (const url of cluster.instanceUrls) expect(decodeProtectedHeader(await token(url)).kid).toBe(next.kid);

    // A token signed before the switch verifies until the old key retires, and then the key is gone.
    await verify(before);
    const retiresAt = activatesAt + RETIRE_AFTER_SECONDS * 1000;
    await sleep(Math.max(0, retiresAt - Date.now()) + 1500);
    for (const url of cluster.instanceUrls) expect(await publishedKids(url)).not.toContain(oldKid);
  }, 90_000);
});
