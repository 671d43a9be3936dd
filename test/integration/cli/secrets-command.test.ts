import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';

import { runCli } from '../../../src/cli/main.js';
import type { AppConfig, DataKey } from '../../../src/config/app-config.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { uniqueMongoUri } from '../../support/test-env.js';
import { createTestContainer, type TestContainer } from '../../support/test-server.js';

const PASSWORD = 'correct horse battery staple';

describe('latchkey secrets reencrypt: rotating DATA_ENCRYPTION_KEY', () => {
  const mongodbUri = uniqueMongoUri();
  const oldKey: DataKey = { id: 'default', key: randomBytes(32) };
  const newKey: DataKey = { id: 'k2', key: randomBytes(32) };
  const spell = (keys: readonly DataKey[]): string => keys.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');

  async function containerWith(keys: readonly DataKey[]): Promise<TestContainer> {
    return createTestContainer({ configure: (config): AppConfig => ({ ...config, mongodbUri, dataEncryptionKeys: { value: keys, generated: false } }) });
  }

  async function cli(args: string[], keys: readonly DataKey[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const env = { MONGODB_URI: mongodbUri, DATA_ENCRYPTION_KEY: spell(keys) };
    const code = await runCli(args, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => '' });
    return { code, stdout, stderr };
  }

  async function storedCiphertexts(): Promise<{ client: string; totp: string[] }> {
    const connection = await connectMongo(mongodbUri);
    try {
      const client = await connection.db?.collection('clients').findOne({});
      const accounts = await connection.db?.collection('accounts').find({}).toArray();
      return {
        client: String((client?.payload as Record<string, unknown> | undefined)?.latchkey_client_secret_sealed),
        totp: (accounts ?? []).map((account) => String(account.totpSecretEncrypted)),
      };
    } finally {
      await connection.close();
    }
  }

  it('moves client and TOTP secrets to the new key, says which old key may go, and everything still works under the new key alone', async () => {
    const before = await containerWith([oldKey]);
    const client = await before.container.clients.create({ name: 'Rotating service' });
    const { account, totp } = await before.container.accounts.createAccount({ email: 'rotate@example.com', password: PASSWORD, withTotp: true });
    await before.container.close();
    await before.removeKeys();
    expect((await storedCiphertexts()).client).toMatch(/^v2\.default\./);

    const run = await cli(['secrets', 'reencrypt', '--json'], [newKey, oldKey]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ current_key_id: 'k2', client_secrets: 1, totp_secrets: 1, signing_keys: 2, pairwise_key: true, dpop_nonce_key: true, retired_key_ids: ['default'], still_needed: {} });
    const stored = await storedCiphertexts();
    expect(stored.client).toMatch(/^v2\.k2\./);
    expect(stored.totp).toEqual([expect.stringMatching(/^v2\.k2\./)]);

    // The old key is gone from the list and the database no longer asks for it.
    const after = await containerWith([newKey]);
    try {
      expect(await after.container.clients.get(String(client.metadata.client_id))).toMatchObject({ client_name: 'Rotating service' });
      const sealed = await after.container.adapter('Client').find(String(client.metadata.client_id));
      expect(sealed?.client_secret).toBe(client.clientSecret);
      expect(await after.container.accounts.checkSecondFactor(account.id, { login: account.email, address: '127.0.0.1' }, await generate({ secret: totp?.secret ?? '' }))).toEqual({ ok: true, method: 'totp' });
    } finally {
      await after.container.close();
      await after.removeKeys();
    }
  });

  it('keeps an old key that unused recovery codes still need, and says so', async () => {
    const third: DataKey = { id: 'k3', key: randomBytes(32) };
    const before = await containerWith([newKey]);
    const { account } = await before.container.accounts.createAccount({ email: 'codes@example.com', password: PASSWORD });
    const enrolment = before.container.accounts.startEnrolment(account);
    const enrolled = await before.container.accounts.confirmEnrolment(account.id, enrolment.secret, await generate({ secret: enrolment.secret }), { login: account.email, address: '127.0.0.1' });
    expect(enrolled.ok).toBe(true);
    await before.container.close();
    await before.removeKeys();

    const run = await cli(['secrets', 'reencrypt'], [third, newKey]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Key "k2" is still needed by 10 unused recovery code(s)');
    // Dropping it anyway is refused at start, by the server and the CLI alike.
    const refused = await cli(['users', 'list'], [third]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('key id "k2" encrypted data in this database but is not listed');
  });
});
