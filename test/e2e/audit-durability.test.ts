import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';

import { runCli } from '../../src/cli/main.js';
import { createContainer } from '../../src/container.js';
import { generateKeySet } from '../../src/keys/key-set.js';
import { connectMongo } from '../../src/storage/mongo-connection.js';
import { Browser, expectRedirect } from '../support/browser.js';
import { startPrivateFerretDb, startPrivateRedis } from '../support/private-stores.js';
import { REDIRECT_URI, buildAuthorizationRequest, openLogin, submitCode, submitPassword, totpCode } from '../support/sign-in.js';
import { createCapturingLogger, findFreePort, makeTempDir, requireEnv, uniqueMongoUri, uniqueRedisPrefix, waitUntilAnswering } from '../support/test-env.js';
import { createTestContainer } from '../support/test-server.js';

const PASSWORD = 'correct horse battery staple';

describe('the audit trail survives the process and the database going away', () => {
  it('has every sign-in of a process killed (SIGKILL) right after its last answer', async () => {
    const keys = await makeTempDir();
    await generateKeySet(keys.path);
    const port = await findFreePort();
    const mongodbUri = uniqueMongoUri();
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      ISSUER: `http://127.0.0.1:${port}`,
      KEYS_DIR: keys.path,
      REDIS_URL: requireEnv('REDIS_URL'),
      MONGODB_URI: mongodbUri,
      COOKIE_KEYS: randomBytes(32).toString('base64url'),
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
    };
    const cli = async (args: string[], stdin = ''): Promise<Record<string, unknown>> => {
      let out = '';
      const code = await runCli([...args, '--json'], { env, stdout: (text) => (out += text), stderr: () => undefined, readStdin: async () => stdin });
      if (code !== 0) throw new Error(`latchkey ${args.join(' ')} failed`);
      return JSON.parse(out) as Record<string, unknown>;
    };
    const users = [];
    for (let i = 0; i < 8; i += 1) {
      const created = await cli(['users', 'create', '--email', `killed-${i}-${randomBytes(4).toString('hex')}@example.com`, '--password-stdin', '--with-totp'], `${PASSWORD}\n`);
      users.push({ id: String(created.id), email: String(created.email), secret: (created.totp as { secret: string }).secret });
    }
    const client = await cli(['clients', 'create', '--name', 'Killed', '--redirect-uri', REDIRECT_URI, '--scope', 'openid email', '--first-party']);

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'ignore'] });
    try {
      // LOG_LEVEL=warn hides the "listening" line: readiness is asked instead.
      await waitUntilAnswering(`${env.ISSUER}/readyz`, { exited: new Promise((resolve) => child.once('exit', resolve)) });
      const config = await oidc.discovery(new URL(env.ISSUER), String(client.client_id), { client_secret: String(client.client_secret) }, oidc.ClientSecretBasic(String(client.client_secret)), { execute: [oidc.allowInsecureRequests] });
      for (const user of users) {
        const browser = new Browser(REDIRECT_URI);
        const second = await submitPassword(browser, await openLogin(browser, await buildAuthorizationRequest(config, { scope: 'openid email' })), user.email, PASSWORD);
        expect(expectRedirect(await submitCode(browser, second, await totpCode(user.secret)))).toMatch(/[?&]code=/);
      }
    } finally {
      child.kill('SIGKILL');
    }

    const mongo = await connectMongo(mongodbUri);
    try {
      const stored = await mongo.db?.collection('audit_events').find({ type: 'login.succeeded' }).toArray();
      expect(new Set(stored?.map((event) => event.accountId))).toEqual(new Set(users.map((user) => user.id)));
    } finally {
      await mongo.dropDatabase();
      await mongo.close();
      await keys.remove();
    }
  }, 60_000);

  it('keeps the events MongoDB cannot take at shutdown, and stores them once it is back', async () => {
    const redis = await startPrivateRedis();
    const mongo = await startPrivateFerretDb();
    const prefix = uniqueRedisPrefix();
    try {
      const first = await createTestContainer({ configure: (config) => ({ ...config, redisUrl: redis.url, mongodbUri: mongo.url, redisKeyPrefix: prefix }) });
      mongo.pause();
      // Batched events (the kind written in the background), recorded while MongoDB is stalled.
      for (let i = 0; i < 5; i += 1) first.container.audit.record({ type: 'authorization.error', outcome: 'failure', details: { n: i } });
      await first.container.close();
      expect(first.container.audit.stats()).toMatchObject({ spooled: 5, dropped: 0 });
      mongo.resume();

      // The next instance on the same stores drains the spool into MongoDB.
      const next = await createContainer({ ...first.container.config }, createCapturingLogger().logger);
      try {
        await next.audit.flush();
        const stored = await next.auditStore.query({ type: 'authorization.error', limit: 10 });
        expect(stored.map((event) => event.details.n).sort()).toEqual([0, 1, 2, 3, 4]);
        expect(await next.audit.spoolLength()).toBe(0);
      } finally {
        await next.close();
        await first.removeKeys();
      }
    } finally {
      await redis.close();
      await mongo.close();
    }
  }, 60_000);
});
