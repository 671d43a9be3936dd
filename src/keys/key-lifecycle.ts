import type { JWK } from 'jose';

import type { SigningAlgorithm } from './key-set.js';

/**
 * A signing key with the times that decide what it does, the same for every instance since they
 * are in the record: published from creation; the signing key of its algorithm from
 * `activatesAt`; verification only from `deactivatesAt` (when its successor activates); gone
 * from the JWKS at `retiresAt`, when nothing it signed can still be valid.
 */
export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The private JWK (kid, alg and use included); decrypted, in memory only. */
  readonly privateJwk: JWK;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  readonly deactivatesAt: Date | null;
  readonly retiresAt: Date | null;
}

export type KeyState = 'next' | 'active' | 'retired' | 'gone';

export interface KeyTimings {
  /** From creation to signing: at least one JWKS cache period, so every verifier has it first. */
  readonly prepublishSeconds: number;
  /** From the end of signing to leaving the JWKS: the longest lifetime of anything signed. */
  readonly retireAfterSeconds: number;
  /** Scheduled rotation: a signing key older than this gets a successor; 0 never. */
  readonly rotateAfterSeconds: number;
}

export function stateAt(key: SigningKeyRecord, now: Date): KeyState {
  const t = now.getTime();
  if (key.retiresAt && t >= key.retiresAt.getTime()) return 'gone';
  if (key.deactivatesAt && t >= key.deactivatesAt.getTime()) return 'retired';
  if (t >= key.activatesAt.getTime()) return 'active';
  return 'next';
}

const RANK: Readonly<Record<KeyState, number>> = { active: 0, next: 1, retired: 2, gone: 3 };

/**
 * The keys published at `now`, in the order oidc-provider must see them: it signs with the first
 * key of an algorithm, so active keys come first (the latest activated first), then next keys
 * (published, not yet signing), then retired ones (verification only); gone keys are left out.
 */
function publishedAt(keys: readonly SigningKeyRecord[], now: Date): SigningKeyRecord[] {
  return keys
    .filter((key) => stateAt(key, now) !== 'gone')
    .sort((a, b) => RANK[stateAt(a, now)] - RANK[stateAt(b, now)] || b.activatesAt.getTime() - a.activatesAt.getTime() || a.kid.localeCompare(b.kid));
}

/** The private JWKS for oidc-provider at `now`. */
export function jwksAt(keys: readonly SigningKeyRecord[], now: Date): { keys: JWK[] } {
  return { keys: publishedAt(keys, now).map((key) => ({ ...key.privateJwk })) };
}

/** What the JWKS and the signing order are at `now`: equal strings, nothing to rebuild. */
export function arrangementAt(keys: readonly SigningKeyRecord[], now: Date): string {
  return publishedAt(keys, now).map((key) => `${key.kid}:${stateAt(key, now)}`).join(',');
}

/** The next moment a key changes state after `now`, when the provider must be rebuilt. */
export function nextTransition(keys: readonly SigningKeyRecord[], now: Date): Date | undefined {
  const times = keys.flatMap((key) => [key.activatesAt, key.deactivatesAt, key.retiresAt]).filter((time): time is Date => time !== null && time.getTime() > now.getTime());
  return times.length === 0 ? undefined : new Date(Math.min(...times.map((time) => time.getTime())));
}

/** The key that signs for `alg` at `now`, and will until a successor is scheduled. */
export function signingKeyOf(keys: readonly SigningKeyRecord[], alg: SigningAlgorithm, now: Date): SigningKeyRecord | undefined {
  return keys.filter((key) => key.alg === alg && stateAt(key, now) === 'active').sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime())[0];
}

/** The algorithms whose signing key has signed for longer than the rotation period and has no successor yet. */
export function rotationDue(keys: readonly SigningKeyRecord[], now: Date, timings: KeyTimings): SigningAlgorithm[] {
  if (timings.rotateAfterSeconds <= 0) return [];
  const algorithms = [...new Set(keys.map((key) => key.alg))];
  return algorithms.filter((alg) => {
    const current = signingKeyOf(keys, alg, now);
    return current !== undefined && current.deactivatesAt === null && now.getTime() - current.activatesAt.getTime() >= timings.rotateAfterSeconds * 1000;
  });
}
