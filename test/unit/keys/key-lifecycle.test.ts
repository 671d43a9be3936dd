import type { JWK } from 'jose';

import { arrangementAt, jwksAt, nextTransition, rotationDue, signingKeyOf, stateAt, type SigningKeyRecord } from '../../../src/keys/key-lifecycle.js';

const T = (seconds: number): Date => new Date(Date.UTC(2026, 10, 26) + seconds * 1000);

function key(kid: string, times: { activates: number; deactivates?: number; retires?: number }, alg: 'ES256' | 'RS256' = 'ES256'): SigningKeyRecord {
  return {
    kid,
    alg,
    privateJwk: { kid, alg, kty: 'EC' } as JWK,
    createdAt: T(times.activates - 100),
    activatesAt: T(times.activates),
    deactivatesAt: times.deactivates === undefined ? null : T(times.deactivates),
    retiresAt: times.retires === undefined ? null : T(times.retires),
  };
}

describe('signing key lifecycle', () => {
  const old = key('old', { activates: 0, deactivates: 1000, retires: 5000 });
  const next = key('next', { activates: 1000 });
  const rsa = key('rsa', { activates: 0 }, 'RS256');
  const keys = [next, rsa, old];

  it('moves each key through next, active, retired and gone at the times in its record', () => {
    expect([stateAt(next, T(999)), stateAt(next, T(1000))]).toEqual(['next', 'active']);
    expect([stateAt(old, T(999)), stateAt(old, T(1000)), stateAt(old, T(4999)), stateAt(old, T(5000))]).toEqual(['active', 'retired', 'retired', 'gone']);
  });

  it('orders the JWKS so the provider signs with the active key: active first, then next, then retired; gone ones left out', () => {
    expect(jwksAt(keys, T(500)).keys.map((jwk) => jwk.kid)).toEqual(['old', 'rsa', 'next']);
    expect(jwksAt(keys, T(1500)).keys.map((jwk) => jwk.kid)).toEqual(['next', 'rsa', 'old']);
    expect(jwksAt(keys, T(6000)).keys.map((jwk) => jwk.kid)).toEqual(['next', 'rsa']);
    expect(signingKeyOf(keys, 'ES256', T(500))?.kid).toBe('old');
    expect(signingKeyOf(keys, 'ES256', T(1000))?.kid).toBe('next');
  });

  it('names the next moment anything changes, and changes its arrangement exactly then', () => {
    expect(nextTransition(keys, T(500))).toEqual(T(1000));
    expect(nextTransition(keys, T(1000))).toEqual(T(5000));
    expect(nextTransition(keys, T(5000))).toBeUndefined();
    expect(arrangementAt(keys, T(999))).not.toBe(arrangementAt(keys, T(1000)));
    expect(arrangementAt(keys, T(1001))).toBe(arrangementAt(keys, T(4999)));
  });

  it('says a rotation is due for a signing key older than the period without a successor, and never with period 0', () => {
    const timings = { prepublishSeconds: 60, retireAfterSeconds: 600, rotateAfterSeconds: 900 };
    expect(rotationDue([rsa], T(899), timings)).toEqual([]);
    expect(rotationDue([rsa], T(900), timings)).toEqual(['RS256']);
    expect(rotationDue([old, next], T(950), timings)).toEqual([]);
    expect(rotationDue([rsa], T(10_000), { ...timings, rotateAfterSeconds: 0 })).toEqual([]);
  });
});
