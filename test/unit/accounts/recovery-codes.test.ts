import { randomBytes } from 'node:crypto';

import { createRecoveryCodes, looksLikeRecoveryCode, RECOVERY_CODE_COUNT } from '../../../src/accounts/recovery-codes.js';

describe('recovery codes', () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const codes = createRecoveryCodes([k1]);

  it('generates ten distinct, readable codes and stores only keyed hashes', () => {
    const { codes: plain, stored } = codes.generate();
    expect(plain).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(plain).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of plain) expect(code).toMatch(/^[A-Z2-9]{5}-[A-Z2-9]{5}$/);
    for (const entry of stored) {
      expect(entry.usedAt).toBeNull();
      for (const code of plain) expect(entry.hash).not.toContain(code.replace('-', ''));
    }
  });

  it('finds an unused code however it is typed, and not a used one', () => {
    const { codes: plain, stored } = codes.generate();
    const code = plain[3] ?? '';
    const hash = codes.findUnused(stored, ` ${code.toLowerCase().replace('-', ' ')} `);
    expect(hash).toBe(stored[3]?.hash);
    const used = stored.map((entry) => (entry.hash === hash ? { ...entry, usedAt: new Date() } : entry));
    expect(codes.findUnused(used, code)).toBeUndefined();
  });

  it('does not accept codes made under another key, or things that are not codes', () => {
    const { stored } = codes.generate();
    const other = createRecoveryCodes([{ id: 'k1', key: randomBytes(32) }]).generate();
    expect(codes.findUnused(stored, other.codes[0] ?? '')).toBeUndefined();
    expect(codes.findUnused(stored, '123456')).toBeUndefined();
    expect(looksLikeRecoveryCode('ABCDE-FGHJK')).toBe(true);
    expect(looksLikeRecoveryCode('ABCDE-FGHJ1')).toBe(false);
  });

  it('keeps finding codes made under an older key while that key is listed, and names the key', () => {
    const { codes: plain, stored } = codes.generate();
    expect(codes.keyIdOf(stored[0]?.hash ?? '')).toBe('k1');
    const rotated = createRecoveryCodes([{ id: 'k2', key: randomBytes(32) }, k1]);
    expect(rotated.findUnused(stored, plain[0] ?? '')).toBe(stored[0]?.hash);
    expect(createRecoveryCodes([{ id: 'k2', key: randomBytes(32) }]).findUnused(stored, plain[0] ?? '')).toBeUndefined();
  });

  it('finds codes hashed before key ids existed under any listed key', () => {
    const { codes: plain, stored } = codes.generate();
    const legacy = stored.map((entry) => ({ ...entry, hash: entry.hash.slice(entry.hash.indexOf('.') + 1) }));
    const rotated = createRecoveryCodes([{ id: 'k2', key: randomBytes(32) }, k1]);
    expect(rotated.findUnused(legacy, plain[5] ?? '')).toBe(legacy[5]?.hash);
    expect(rotated.keyIdOf(legacy[5]?.hash ?? '')).toBeUndefined();
  });
});
