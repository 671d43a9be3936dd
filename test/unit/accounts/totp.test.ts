import { generate } from 'otplib';

import { createTotp, isTotpCodeShape } from '../../../src/accounts/totp.js';

describe('TOTP', () => {
  const totp = createTotp('Latchkey');
  const secret = totp.generateSecret();
  const now = 1_800_000_015; // mid-step: 15 s into step 60000000

  it('makes 160-bit base32 secrets and otpauth URIs authenticator apps read', () => {
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(totp.buildUri(secret, 'ada@example.com'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Latchkey:ada@example.com');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Latchkey');
  });

  it('accepts the code of this step and of one step either side, and says which step matched', async () => {
    const step = Math.floor(now / 30);
    expect(await totp.verify(secret, await generate({ secret, epoch: now }), now)).toBe(step);
    expect(await totp.verify(secret, await generate({ secret, epoch: now - 30 }), now)).toBe(step - 1);
    expect(await totp.verify(secret, await generate({ secret, epoch: now + 30 }), now)).toBe(step + 1);
  });

  it('refuses codes two steps away, of another secret, or of the wrong shape', async () => {
    expect(await totp.verify(secret, await generate({ secret, epoch: now - 60 }), now)).toBeUndefined();
    expect(await totp.verify(secret, await generate({ secret, epoch: now + 60 }), now)).toBeUndefined();
    expect(await totp.verify(secret, await generate({ secret: totp.generateSecret(), epoch: now }), now)).toBeUndefined();
    expect(await totp.verify(secret, '12345', now)).toBeUndefined();
    expect(await totp.verify(secret, '12345a', now)).toBeUndefined();
    expect(isTotpCodeShape('123456')).toBe(true);
    expect(isTotpCodeShape(' 123456')).toBe(false);
  });
});
