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

  it('generates a key set and lists it, for people and for scripts', async () => {
    const generated = await cli(['keys', 'generate', '--json'], { KEYS_DIR: dir.path });
    expect(generated.code).toBe(0);
    const created = JSON.parse(generated.stdout) as { keys: Array<{ kid: string; alg: string; status: string; created_at: string }> };
    expect(created.keys.map((key) => key.alg)).toEqual(['RS256', 'ES256']);

    const listed = await cli(['keys', 'list', '--json'], { KEYS_DIR: dir.path });
    expect(JSON.parse(listed.stdout)).toEqual({ keys_dir: dir.path, keys: created.keys.map((key) => ({ ...key, kty: expect.any(String) })) });

    const human = await cli(['keys', 'list'], { KEYS_DIR: dir.path });
    expect(human.stdout).toMatch(/^KID\s+ALG\s+STATUS\s+CREATED/);
    for (const key of created.keys) expect(human.stdout).toContain(key.kid);
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
    [['keys', 'list'], 1, /no signing keys at .*; run `npx latchkey keys generate`/],
  ])('answers %j with exit %i and a clear message', async (args, code, message) => {
    const result = await cli(args, { KEYS_DIR: dir.path });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports errors as JSON with --json', async () => {
    const result = await cli(['keys', 'list', '--json'], { KEYS_DIR: dir.path });
    expect(JSON.parse(result.stderr)).toEqual({ error: expect.stringMatching(/no signing keys/) });
  });
});
