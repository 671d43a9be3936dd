import type { JWK } from 'jose';

// Members only a private (RSA, EC, OKP) or symmetric key has (RFC 7518 section 6).
const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

/** The public part of a key: what may be stored in the clear, published, or used to verify. */
export function publicJwk(jwk: JWK): JWK {
  return Object.fromEntries(Object.entries(jwk).filter(([member]) => !PRIVATE_MEMBERS.has(member)));
}

/** Whether a key carries private or symmetric material (a key set that should be public is not). */
export function hasPrivateMembers(jwk: Readonly<Record<string, unknown>>): boolean {
  return Object.keys(jwk).some((member) => PRIVATE_MEMBERS.has(member));
}
