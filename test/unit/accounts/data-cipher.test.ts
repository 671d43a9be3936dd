import { randomBytes } from 'node:crypto';

import { createDataCipher, DecryptionError } from '../../../src/accounts/data-cipher.js';

describe('data cipher', () => {
  const cipher = createDataCipher(randomBytes(32));

  it('round-trips, with a fresh IV each time', () => {
    const first = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp-secret');
    const second = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp-secret');
    expect(first).not.toBe(second);
    expect(first).not.toContain('JBSWY3DPEHPK3PXP');
    expect(cipher.decrypt(first, 'totp-secret')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses another key, another purpose and any tampering', () => {
    const sealed = cipher.encrypt('secret', 'totp-secret');
    expect(() => createDataCipher(randomBytes(32)).decrypt(sealed, 'totp-secret')).toThrow(DecryptionError);
    expect(() => cipher.decrypt(sealed, 'enrolment')).toThrow(DecryptionError);
    const [version, iv, body = ''] = sealed.split('.');
    const flipped = `${body.slice(0, -2)}${body.endsWith('A') ? 'B' : 'A'}${body.slice(-1)}`;
    expect(() => cipher.decrypt(`${version}.${iv}.${flipped}`, 'totp-secret')).toThrow(DecryptionError);
    expect(() => cipher.decrypt('garbage', 'totp-secret')).toThrow(DecryptionError);
  });

  it('insists on a 32-byte key', () => {
    expect(() => createDataCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});
