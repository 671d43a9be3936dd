import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import bcrypt from 'bcryptjs';
import { generate } from 'otplib';

import { Redis } from 'ioredis';

import { runCli } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createRedisSignInThrottle } from '../../../src/storage/redis-sign-in-throttle.js';
import { openAccountServices } from '../../../src/cli/cli-services.js';
import { makeTempDir, requireEnv, uniqueMongoUri } from '../../support/test-env.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('latchkey users', () => {
  const env = {
    MONGODB_URI: uniqueMongoUri(),
    REDIS_URL: requireEnv('REDIS_URL'),
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
  };

  async function cli(args: string[], stdin = ''): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => stdin });
    return { code, stdout, stderr };
  }

  async function json(args: string[], stdin = ''): Promise<Record<string, unknown>> {
    const result = await cli([...args, '--json'], stdin);
    if (result.code !== 0) throw new Error(`latchkey ${args.join(' ')} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  it('creates a user with TOTP from a password on stdin, and prints a working otpauth URI', async () => {
    const created = await json(['users', 'create', '--email', 'Grace@Example.com', '--name', 'Grace Hopper', '--password-stdin', '--with-totp'], 'a long enough password\n');
    expect(created).toEqual({ id: expect.any(String), email: 'grace@example.com', totp: { secret: expect.stringMatching(/^[A-Z2-7]+$/), uri: expect.stringMatching(/^otpauth:\/\/totp\/Latchkey:grace%40example\.com\?/) } });
    const secret = (created.totp as { secret: string }).secret;
    expect(await generate({ secret })).toMatch(/^\d{6}$/);

    const shown = await json(['users', 'show', 'grace@example.com']);
    expect(shown).toMatchObject({ id: created.id, email: 'grace@example.com', name: 'Grace Hopper', status: 'active', totp_enrolled: true });
    expect(JSON.stringify(shown)).not.toMatch(/argon2|passwordHash|password_hash/);
  });

  it('lists users with cursor pagination', async () => {
    for (const name of ['a', 'b', 'c']) await json(['users', 'create', '--email', `${name}@list.example.com`, '--password-stdin'], 'a long enough password');
    const first = await json(['users', 'list', '--limit', '2']);
    expect((first.users as unknown[]).length).toBe(2);
    expect(first.next_cursor).toEqual(expect.any(String));
    const rest = await json(['users', 'list', '--limit', '100', '--after', String(first.next_cursor)]);
    const all = [...(first.users as Array<{ id: string }>), ...(rest.users as Array<{ id: string }>)].map((user) => user.id);
    expect(new Set(all).size).toBe(all.length);
  });

  it('disables, enables, resets TOTP, sets a password and deletes', async () => {
    const created = await json(['users', 'create', '--email', 'ops@example.com', '--password-stdin', '--with-totp'], 'a long enough password');
    const id = String(created.id);
    expect(await json(['users', 'disable', id])).toMatchObject({ status: 'disabled' });
    expect(await json(['users', 'enable', id])).toMatchObject({ status: 'active' });
    expect(await json(['users', 'reset-totp', id])).toMatchObject({ totp_enrolled: false, recovery_codes_left: 0 });
    expect(await json(['users', 'set-password', id, '--password-stdin'], 'another long password')).toMatchObject({ id });
    expect(await json(['users', 'delete', id])).toEqual({ id, email: 'ops@example.com', deleted: true });
    const gone = await cli(['users', 'show', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`latchkey: no user ${id}\n`);
  });

  it.each([
    [['users', 'create', '--email', 'short@example.com', '--password-stdin'], 'short', 1, /Passwords must be at least 12 characters/],
    [['users', 'create', '--email', 'not-an-email', '--password-stdin'], 'a long enough password', 1, /Enter a valid email address/],
    [['users', 'create', '--password-stdin'], 'a long enough password', 2, /users create needs --email/],
    [['users', 'create', '--email', 'x@example.com'], '', 2, /pass it with --password-stdin/],
    [['users', 'frobnicate'], '', 2, /unknown users command "frobnicate"/],
  ])('answers %j with a clear message', async (args, stdin, code, message) => {
    const result = await cli(args, stdin);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    await json(['users', 'create', '--email', 'twice@example.com', '--password-stdin'], 'a long enough password');
    const again = await cli(['users', 'create', '--email', 'TWICE@example.com', '--password-stdin'], 'a long enough password');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('shows where an email is locked out or slowed, and unlock lifts it', async () => {
    const email = `held-${Date.now()}@example.com`;
    await json(['users', 'create', '--email', email, '--password-stdin', '--with-totp'], 'a long enough password\n');
    // What the servers would have counted in the shared Redis after a guessing run.
    const redis = new Redis(requireEnv('REDIS_URL'));
    try {
      const { bruteForce, redisKeyPrefix } = loadConfig({});
      const throttle = createRedisSignInThrottle(redis, redisKeyPrefix, bruteForce);
      // An address of this run only: the address counter lives in the shared Redis across runs.
      const address = `2001:db8::${Date.now().toString(16).slice(-4)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
      const attempt = { login: email, address };
      for (let i = 0; i < bruteForce.pairFailures; i += 1) {
        await throttle.begin(attempt);
        await throttle.failed(attempt);
      }
      const shown = await json(['users', 'show', email]);
      expect(shown.throttle).toMatchObject({ throttled: true, locked_addresses: [{ address, until: expect.any(String) }], slowed_until: null });
      const human = await cli(['users', 'show', email]);
      expect(human.stdout).toContain(`locked from ${address} until `);

      const unlocked = await json(['users', 'unlock', email]);
      expect(unlocked.throttle).toMatchObject({ throttled: false, locked_addresses: [] });
      expect(await throttle.begin(attempt)).toBeUndefined();
    } finally {
      await redis.quit();
    }
  });

  it('says what is missing without MONGODB_URI', async () => {
    let stderr = '';
    const code = await runCli(['users', 'list'], { env: {}, stdout: () => undefined, stderr: (text) => (stderr += text), readStdin: async () => '' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/MONGODB_URI is not set/);
  });

  it('runs as `npx latchkey` with the password piped in', async () => {
    const child = spawn(process.execPath, ['bin/latchkey.js', 'users', 'create', '--email', 'piped@example.com', '--password-stdin', '--json'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end('a long enough password\n');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ email: 'piped@example.com' });
  });
  it('updates standard claims, address parts and unsets them, and refuses malformed ones without writing', async () => {
    const created = await json(['users', 'create', '--email', 'profile@example.com', '--name', 'Ada', '--password-stdin', '--set', 'given_name=Ada', '--set', 'address.country=GB'], 'a long enough password');
    const id = String(created.id);
    const updated = await json(['users', 'update', id, '--set', 'family_name=Lovelace', '--set', 'address.locality=London', '--set', 'phone_number=+442079460000', '--set', 'phone_number_verified=true', '--unset', 'given_name']);
    expect(updated.profile).toEqual({ family_name: 'Lovelace', address: { country: 'GB', locality: 'London' }, phone_number: '+442079460000', phone_number_verified: true });

    const refused = await cli(['users', 'update', id, '--set', 'family_name=Byron', '--set', 'birthdate=1815-02-30']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('birthdate: must be YYYY-MM-DD');
    expect((await json(['users', 'show', id])).profile).toEqual(updated.profile);

    const unknown = await cli(['users', 'update', id, '--set', 'department=R&D']);
    expect(unknown.stderr).toContain('unknown claim department');
  });

  it('imports users from JSON and CSV with bcrypt, argon2 or no password; a rerun skips them, and a bad file imports nothing', async () => {
    const dir = await makeTempDir();
    try {
      const bcryptHash = await bcrypt.hash('migrated password one', 4);
      await writeFile(join(dir.path, 'users.json'), JSON.stringify([
        { email: 'Migrated@Example.com', name: 'Migrated One', email_verified: true, password_hash: bcryptHash, profile: { given_name: 'Mig', locale: 'fr-FR' } },
        { email: 'nopassword@example.com' },
      ]));
      await writeFile(join(dir.path, 'users.csv'), 'email,name,password_hash,given_name,address.locality\ncsv@example.com,Csv User,,Cee,Lyon\n');
      const fromJson = await json(['users', 'import', join(dir.path, 'users.json')]);
      expect(fromJson).toMatchObject({ created: [{ line: 1, email: 'migrated@example.com' }, { line: 2, email: 'nopassword@example.com' }], skipped: [] });
      const fromCsv = await json(['users', 'import', join(dir.path, 'users.csv')]);
      expect(fromCsv).toMatchObject({ created: [{ line: 2, email: 'csv@example.com' }] });
      expect(await json(['users', 'show', 'csv@example.com'])).toMatchObject({ name: 'Csv User', profile: { given_name: 'Cee', address: { locality: 'Lyon' } }, totp_enrolled: false });
      expect(await json(['users', 'show', 'migrated@example.com'])).toMatchObject({ email_verified: true, profile: { given_name: 'Mig', locale: 'fr-FR' } });

      const again = await json(['users', 'import', join(dir.path, 'users.json')]);
      expect(again).toMatchObject({ created: [], skipped: [{ line: 1 }, { line: 2 }] });

      // The imported bcrypt password signs in, and is then stored as argon2id.
      const services = await openAccountServices(loadConfig(env));
      try {
        const signIn = await services.accounts.checkPassword('migrated@example.com', 'migrated password one', '203.0.113.5');
        expect(signIn.ok).toBe(true);
        const stored = await services.accounts.findByEmail('migrated@example.com');
        expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
        expect((await services.accounts.checkPassword('nopassword@example.com', '', '203.0.113.5')).ok).toBe(false);
      } finally {
        await services.close();
      }

      await writeFile(join(dir.path, 'bad.json'), JSON.stringify([
        { email: 'fine@example.com' },
        { email: 'badhash@example.com', password_hash: 'md5:abcdef' },
        { email: 'badzone@example.com', profile: { zoneinfo: 'Nowhere/Else' } },
      ]));
      const bad = await cli(['users', 'import', join(dir.path, 'bad.json')]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('nothing imported');
      expect(bad.stderr).toContain('entry 2 (badhash@example.com): password_hash must be an argon2');
      expect(bad.stderr).toContain('entry 3 (badzone@example.com): zoneinfo');
      expect((await cli(['users', 'show', 'fine@example.com'])).code).not.toBe(0);
    } finally {
      await dir.remove();
    }
  });
});
