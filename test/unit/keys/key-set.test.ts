import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';

import {
  generateKeySet,
  KeySetError,
  keySetPath,
  loadKeySet,
  summariseKeys,
  toProviderJwks,
} from '../../../src/keys/key-set.js';
import { makeTempDir } from '../../support/test-env.js';

describe('key set', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('generates RS256 and ES256 private keys into a file only its owner can read', async () => {
    const { created } = await generateKeySet(dir.path);
    expect(created.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
    const mode = (await stat(keySetPath(dir.path))).mode & 0o777;
    expect(mode).toBe(0o600);
    const loaded = await loadKeySet(dir.path);
    expect(summariseKeys(loaded).map((key) => [key.alg, key.status])).toEqual([['RS256', 'active'], ['ES256', 'active']]);
    expect(new Set(loaded.keys.map((key) => key.kid)).size).toBe(2);
  });

  it('produces keys that actually sign and verify', async () => {
    const { keySet } = await generateKeySet(dir.path);
    const rsa = keySet.keys.find((key) => key.alg === 'RS256');
    if (!rsa) throw new Error('no RS256 key');
    const privateKey = createPrivateKey({ key: { ...rsa }, format: 'jwk' });
    const signature = createSign('sha256').update('payload').sign(privateKey);
    expect(createVerify('sha256').update('payload').verify(createPublicKey(privateKey), signature)).toBe(true);
  });

  it('refuses to overwrite an existing set, but adds a key of a named algorithm', async () => {
    await generateKeySet(dir.path);
    await expect(generateKeySet(dir.path)).rejects.toMatchObject({ code: 'exists' });
    const { created, keySet } = await generateKeySet(dir.path, 'EdDSA');
    expect(created.map((key) => key.alg)).toEqual(['EdDSA']);
    expect(keySet.keys).toHaveLength(3);
  });

  it('hands the provider standard JWK members only, newest key first', async () => {
    await generateKeySet(dir.path);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await generateKeySet(dir.path, 'ES256');
    const jwks = toProviderJwks(await loadKeySet(dir.path));
    expect(jwks.keys).toHaveLength(3);
    for (const key of jwks.keys) {
      expect(Object.keys(key).filter((member) => member.startsWith('latchkey_'))).toEqual([]);
    }
    const es256 = jwks.keys.filter((key) => key.alg === 'ES256');
    const stored = await loadKeySet(dir.path);
    const newest = [...stored.keys].filter((key) => key.alg === 'ES256').sort((a, b) => b.latchkey_created_at.localeCompare(a.latchkey_created_at))[0];
    expect(es256[0]?.kid).toBe(newest?.kid);
  });

  it('says what to run when there are no keys', async () => {
    const error = await loadKeySet(dir.path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeySetError);
    expect((error as KeySetError).message).toMatch(/run `npx latchkey keys generate`/);
  });

  it('rejects a set that holds public keys only or lacks RS256', async () => {
    const { keySet } = await generateKeySet(dir.path);
    const publicOnly = keySet.keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }) => rest);
    await writeFile(keySetPath(dir.path), JSON.stringify({ keys: publicOnly }));
    await expect(loadKeySet(dir.path)).rejects.toMatchObject({ code: 'invalid' });
    await writeFile(keySetPath(dir.path), JSON.stringify({ keys: keySet.keys.filter((key) => key.alg !== 'RS256') }));
    await expect(loadKeySet(dir.path)).rejects.toThrow(/no active RS256 key/);
    await writeFile(keySetPath(dir.path), 'not json');
    await expect(loadKeySet(dir.path)).rejects.toThrow(/not valid JSON/);
    expect(await readFile(keySetPath(dir.path), 'utf8')).toBe('not json');
  });
});
