import { readFileSync } from 'node:fs';

import { runCli } from '../../../src/cli/main.js';

async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => '' });
  return { code, stdout, stderr };
}

describe('CLI help and version', () => {
  it.each([
    [['keys', '--help'], 'latchkey keys rotate'],
    [['users', '--help'], 'latchkey users update'],
    [['users', 'create', '--help'], 'latchkey users create --email E'],
    [['clients', 'help'], '--pkce required|optional'],
    [['resources', '-h'], 'latchkey resources create'],
    [['initial-access-token', '--help'], 'latchkey initial-access-token create'],
    [['audit', 'list', '--help'], 'login.succeeded'],
  ])('answers %j with that command\'s usage and exit 0, with no environment at all', async (args, expected) => {
    // NODE_ENV=production and no MONGODB_URI: help must not need either.
    const result = await run(args, { NODE_ENV: 'production' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(expected);
  });

  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `latchkey ${version}\n` });
    expect(JSON.parse((await run(['--version', '--json'])).stdout)).toEqual({ version });
  });

  it('refuses an audit type it does not know, listing the known ones, before opening the database', async () => {
    const result = await run(['audit', 'list', '--type', 'login.succeded']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown event type "login.succeded"; known types: account.');
    expect(result.stderr).toContain('login.succeeded');
    expect(result.stderr).not.toContain('MONGODB_URI');
  });

  it.each([
    [['users', 'create', '--emial', 'a@example.com'], "Unknown option '--emial'"],
    [['users', 'show'], 'users show takes one id or email'],
    [['clients', 'create', '--nmae', 'Shop'], "Unknown option '--nmae'"],
    [['resources', 'list', '--limt', '5'], "Unknown option '--limt'"],
  ])('answers a mistyped %j as such, before it would need a database', async (args, expected) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).not.toContain('MONGODB_URI');
  });

  it('calls an unknown command a usage error, even with --help', async () => {
    expect(await run(['frobnicate', '--help'])).toMatchObject({ code: 2 });
  });
});
