import { runCli } from '../../../src/cli/main.js';
import { makeTempDir } from '../../support/test-env.js';

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => '' });
  return { code, stdout, stderr };
}

describe('latchkey keys', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('generates the KEYS_DIR key set a server imports, for people and for scripts', async () => {
    const generated = await cli(['keys', 'generate', '--json'], { KEYS_DIR: dir.path });
    expect(generated.code).toBe(0);
    const created = JSON.parse(generated.stdout) as { keys_dir: string; keys: Array<{ kid: string; alg: string; created_at: string }> };
    expect(created.keys_dir).toBe(dir.path);
    expect(created.keys.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
    const human = await cli(['keys', 'generate', '--alg', 'EdDSA'], { KEYS_DIR: dir.path });
    expect(human.stdout).toMatch(/KID\s+ALG\s+CREATED/);
    expect(human.stdout).not.toMatch(/"d"/);
  });

  it('works in production mode without database settings', async () => {
    const result = await cli(['keys', 'generate', '--alg', 'EdDSA'], { NODE_ENV: 'production', KEYS_DIR: dir.path });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/EdDSA/);
  });

  it.each([
    [['keys', 'generate', '--alg', 'HS256'], 2, /--alg must be one of RS256, ES256, EdDSA/],
    [['keys', 'generate', '--bogus'], 2, /Unknown option '--bogus'/],
    [['keys', 'spin'], 2, /unknown keys command "spin"/],
    [['nonsense'], 2, /unknown command "nonsense"/],
    [['keys', 'list'], 1, /MONGODB_URI is not set: keys list, rotate and retire work on the database the server uses/],
    [['keys', 'rotate', '--now'], 2, /Unknown option '--now'/],
  ])('answers %j with exit %i and a clear message', async (args, code, message) => {
    const result = await cli(args, { KEYS_DIR: dir.path });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports errors as JSON with --json', async () => {
    const result = await cli(['keys', 'list', '--json'], { KEYS_DIR: dir.path });
    expect(JSON.parse(result.stderr)).toEqual({ error: expect.stringMatching(/MONGODB_URI is not set/) });
  });
});
