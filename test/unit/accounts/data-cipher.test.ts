import { randomBytes } from 'node:crypto';

import { createDataCipher, DecryptionError } from '../../../src/accounts/data-cipher.js';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('data cipher', () => {
  const k1 = key('k1');
  const cipher = createDataCipher([k1]);

  it('round-trips, with a fresh IV each time, and names its key', () => {
    const first = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp-secret');
    const second = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp-secret');
    expect(first).not.toBe(second);
    expect(first).not.toContain('JBSWY3DPEHPK3PXP');
    expect(first.startsWith('v2.k1.')).toBe(true);
    expect(cipher.keyIdOf(first)).toBe('k1');
    expect(cipher.isCurrent(first)).toBe(true);
    expect(cipher.decrypt(first, 'totp-secret')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses another key, another purpose and any tampering', () => {
    const sealed = cipher.encrypt('secret', 'totp-secret');
    expect(() => createDataCipher([{ id: 'k1', key: randomBytes(32) }]).decrypt(sealed, 'totp-secret')).toThrow(DecryptionError);
    expect(() => cipher.decrypt(sealed, 'enrolment')).toThrow(DecryptionError);
    const [version, keyId, iv, body = ''] = sealed.split('.');
    // Another character than the one there, at a position that carries ciphertext bits.
    const at = body.length - 2;
    const flipped = `${body.slice(0, at)}${body[at] === 'A' ? 'B' : 'A'}${body.slice(at + 1)}`;
    expect(() => cipher.decrypt(`${version}.${keyId}.${iv}.${flipped}`, 'totp-secret')).toThrow(DecryptionError);
    expect(() => cipher.decrypt('garbage', 'totp-secret')).toThrow(DecryptionError);
  });

  it('rotates: the first key encrypts, every listed key decrypts, an unlisted key id is named', () => {
    const k2 = key('k2');
    const before = cipher.encrypt('old secret', 'p');
    const rotated = createDataCipher([k2, k1]);
    expect(rotated.decrypt(before, 'p')).toBe('old secret');
    expect(rotated.isCurrent(before)).toBe(false);
    const after = rotated.encrypt('new secret', 'p');
    expect(rotated.keyIdOf(after)).toBe('k2');
    expect(() => createDataCipher([k2]).decrypt(before, 'p')).toThrow(/key id "k1", which DATA_ENCRYPTION_KEY does not list/);
  });

  it('still reads ciphertexts written before key ids, under any listed key', () => {
    // The v1 layout: version, iv, ciphertext+tag, made with the key now listed second.
    const modern = createDataCipher([k1]).encrypt('legacy', 'p');
    const [, , iv, body] = modern.split('.');
    const legacy = `v1.${iv}.${body}`;
    const ring = createDataCipher([key('k9'), k1]);
    expect(ring.decrypt(legacy, 'p')).toBe('legacy');
    expect(ring.keyIdOf(legacy)).toBeUndefined();
    expect(ring.isCurrent(legacy)).toBe(false);
  });

  it('insists on 32-byte keys and at least one key', () => {
    expect(() => createDataCipher([{ id: 'short', key: randomBytes(16) }])).toThrow(/32 bytes/);
    expect(() => createDataCipher([])).toThrow(/no key/);
  });
});
