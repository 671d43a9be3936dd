import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { runCli } from '../../../src/cli/main.js';
import { requireEnv, uniqueMongoUri } from '../../support/test-env.js';

describe('latchkey clients and initial-access-token', () => {
  const env = {
    MONGODB_URI: uniqueMongoUri(),
    REDIS_URL: requireEnv('REDIS_URL'),
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
  };

  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => '' });
    return { code, stdout, stderr };
  }

  async function json(args: string[]): Promise<Record<string, unknown>> {
    const result = await cli([...args, '--json']);
    if (result.code !== 0) throw new Error(`latchkey ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  it('creates a confidential client, shows its secret once, and stores only ciphertext', async () => {
    const created = await json(['clients', 'create', '--name', 'Billing', '--redirect-uri', 'https://billing.example.com/cb', '--scope', 'openid email', '--first-party']);
    expect(created).toMatchObject({
      client_id: expect.stringMatching(/^lk_/),
      client_secret: expect.any(String),
      client_name: 'Billing',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid email',
      first_party: true,
      require_pushed_authorization_requests: false,
      dpop_bound_access_tokens: false,
    });
    const shown = await json(['clients', 'show', String(created.client_id)]);
    expect(shown).not.toHaveProperty('client_secret');
    expect(JSON.stringify(shown)).not.toContain(String(created.client_secret));

    const mongo = await connectMongo(env.MONGODB_URI);
    try {
      const raw = JSON.stringify(await mongo.db?.collection('clients').find({}).toArray());
      expect(raw).not.toContain(String(created.client_secret));
      expect(raw).toContain('latchkey_client_secret_sealed');
    } finally {
      await mongo.close();
    }

    const rotated = await json(['clients', 'rotate-secret', String(created.client_id)]);
    expect(rotated.client_secret).toEqual(expect.any(String));
    expect(rotated.client_secret).not.toBe(created.client_secret);
  });

  it('creates a client that must push its authorization requests and bind its tokens to a DPoP key', async () => {
    const created = await json(['clients', 'create', '--name', 'Strict', '--redirect-uri', 'https://strict.example.com/cb', '--require-par', '--require-dpop']);
    expect(created).toMatchObject({ require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
    const shown = await cli(['clients', 'show', String(created.client_id)]);
    expect(shown.stdout).toMatch(/^require_par\s+yes$/m);
    expect(shown.stdout).toMatch(/^require_dpop\s+yes$/m);
  });

  it('creates a client that may exchange users\' tokens for a registered resource, and refuses what cannot work', async () => {
    await json(['resources', 'create', '--identifier', 'https://inventory.example.com', '--scope', 'read']);
    const created = await json(['clients', 'create', '--name', 'Orders API', '--scope', 'openid', '--exchange-audience', 'https://inventory.example.com', '--exchange-impersonation']);
    expect(created).toMatchObject({
      grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      latchkey_exchange_audiences: ['https://inventory.example.com'],
      latchkey_exchange_mode: 'impersonation',
    });
    expect((await cli(['clients', 'show', String(created.client_id)])).stdout).toMatch(/^token_exchange\s+impersonation for https:\/\/inventory\.example\.com$/m);
    // An exchanger may have to bind its tokens: exchanged ones are bound to its DPoP key too.
    expect(await json(['clients', 'create', '--name', 'Bound API', '--scope', 'openid', '--exchange-audience', 'https://inventory.example.com', '--require-dpop'])).toMatchObject({ dpop_bound_access_tokens: true, latchkey_exchange_audiences: ['https://inventory.example.com'] });
    const refusals: Array<[string[], RegExp]> = [
      [['--exchange-audience', 'https://unknown.example.com'], /not a registered resource server/],
      [['--exchange-audience', 'https://inventory.example.com', '--public', '--redirect-uri', 'com.example.app:/cb'], /public client cannot exchange tokens/],
    ];
    for (const [args, message] of refusals) {
      const result = await cli(['clients', 'create', '--name', 'X', ...args]);
      expect(result.code).toBeGreaterThan(0);
      expect(result.stderr).toMatch(message);
    }
  });

  it('creates a FAPI 2.0 client from a key file, with no secret, and says what it needs', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-jwks-'));
    try {
      const file = join(dir, 'keys.json');
      await writeFile(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' }] }));
      const created = await json(['clients', 'create', '--name', 'Bank app', '--redirect-uri', 'https://bank.example.com/cb', '--jwks-file', file, '--profile', 'fapi2']);
      expect(created).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', latchkey_profile: 'fapi2', require_pushed_authorization_requests: true, dpop_bound_access_tokens: true });
      expect(created).not.toHaveProperty('client_secret');
      expect((await cli(['clients', 'rotate-secret', String(created.client_id)])).stderr).toMatch(/no secret to rotate/);
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const privateFile = join(dir, 'private.json');
      await writeFile(privateFile, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
      await writeFile(file, '{"keys": []}');
      const refusals: Array<[string[], RegExp]> = [
        [['--profile', 'fapi2'], /private_key_jwt: give its public keys/],
        [['--profile', 'fapi1'], /--profile takes fapi2/],
        [['--jwks-file', file], /must be a JWK set/],
        [['--jwks-file', privateFile], /jwks must hold public keys only: key 0 has private members/],
        [['--jwks-file', join(dir, 'absent.json')], /--jwks-file .*absent\.json: cannot be read \(ENOENT\)/],
      ];
      for (const [args, message] of refusals) {
        const result = await cli(['clients', 'create', '--name', 'X', '--redirect-uri', 'https://x.example.com/cb', ...args]);
        expect(result.code).toBeGreaterThan(0);
        expect(result.stderr).toMatch(message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates public and admin clients, lists and deletes them', async () => {
    const pub = await json(['clients', 'create', '--name', 'Mobile', '--public', '--redirect-uri', 'com.example.app:/callback']);
    expect(pub).toMatchObject({ token_endpoint_auth_method: 'none' });
    expect(pub).not.toHaveProperty('client_secret');
    const admin = await json(['clients', 'create', '--name', 'Ops robot', '--admin', '--scope', 'openid']);
    expect(admin).toMatchObject({ grant_types: ['client_credentials'], scope: 'openid admin' });
    const listed = await json(['clients', 'list']);
    const ids = (listed.clients as Array<Record<string, unknown>>).map((client) => client.client_id);
    expect(ids).toEqual(expect.arrayContaining([pub.client_id, admin.client_id]));
    expect(JSON.stringify(listed)).not.toContain(String(admin.client_secret));
    expect(await json(['clients', 'delete', String(pub.client_id)])).toEqual({ client_id: pub.client_id, deleted: true });
    expect((await cli(['clients', 'show', String(pub.client_id)])).stderr).toMatch(/No client/);
  });

  it.each([
    [['clients', 'create', '--name', 'X', '--redirect-uri', 'http://evil.example.com/cb'], /must use https outside localhost/],
    [['clients', 'create', '--name', 'X', '--redirect-uri', 'https://app.example.com/cb#frag'], /must not contain a fragment/],
    [['clients', 'create', '--name', 'X', '--grant-type', 'password'], /grant_type must be one of/],
    [['clients', 'create', '--name', 'X', '--grant-type', 'authorization_code'], /needs at least one redirect_uri/],
    [['clients', 'create', '--name', 'X', '--public', '--grant-type', 'client_credentials'], /public client cannot use client_credentials/],
    [['clients', 'create', '--name', 'X', '--scope', 'openid admin'], /granted with --admin/],
    [['clients', 'create', '--name', 'X', '--scope', 'openid wallet'], /unknown scope wallet/],
    [['clients', 'create', '--redirect-uri', 'https://a.example.com/cb'], /needs --name/],
  ])('refuses %j with a clear message', async (args, message) => {
    const result = await cli(args);
    expect(result.code).toBeGreaterThan(0);
    expect(result.stderr).toMatch(message);
  });

  it('mints an initial access token that expires', async () => {
    const created = await json(['initial-access-token', 'create', '--ttl', '600']);
    expect(created).toEqual({ initial_access_token: expect.any(String), expires_at: expect.any(String), policies: [] });
  });

  it('mints an initial access token carrying registration policies, and refuses unknown ones', async () => {
    expect(await json(['initial-access-token', 'create', '--policy', 'service'])).toMatchObject({ policies: ['service'] });
    const unknown = await cli(['initial-access-token', 'create', '--policy', 'anything-goes']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no registration policy "anything-goes"; config/defaults.json registrationPolicies has: service, web-app, sign-in-only');
  });
});
