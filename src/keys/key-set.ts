import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** active keys sign; retiring keys stay published so that what they signed still verifies. */
export type KeyStatus = 'active' | 'retiring';

/** A private signing key as stored in KEYS_DIR/jwks.json, with Latchkey's bookkeeping members. */
export interface StoredKey extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
  latchkey_status: KeyStatus;
  latchkey_created_at: string;
  latchkey_retired_at?: string;
}

export interface KeySet {
  readonly keys: readonly StoredKey[];
}

/** What `keys list` shows: never the key material. */
export interface KeySummary {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly kty: string;
  readonly status: KeyStatus;
  readonly createdAt: string;
  readonly retiredAt?: string;
}

export class KeySetError extends Error {
  readonly code: 'missing' | 'invalid' | 'exists';

  constructor(code: KeySetError['code'], message: string) {
    super(message);
    this.name = 'KeySetError';
    this.code = code;
  }
}

const KEY_SET_FILE = 'jwks.json';

export function keySetPath(keysDir: string): string {
  return join(keysDir, KEY_SET_FILE);
}

function generateKeyPair(alg: SigningAlgorithm): KeyObject {
  switch (alg) {
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
  }
}

/** Creates one private signing key, identified by its RFC 7638 thumbprint. */
export async function generateSigningKey(alg: SigningAlgorithm, now: Date = new Date()): Promise<StoredKey> {
  // KeyObject.export yields a JWK that jose's JWK type describes; the cast bridges node's looser type.
  const jwk = generateKeyPair(alg).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg, use: 'sig', latchkey_status: 'active', latchkey_created_at: now.toISOString() };
}

function isStoredKey(value: unknown): value is StoredKey {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Record<string, unknown>;
  return (key.latchkey_status === 'active' || key.latchkey_status === 'retiring')
    && typeof key.kid === 'string'
    && typeof key.kty === 'string'
    && typeof key.d === 'string'
    && SIGNING_ALGORITHMS.some((alg) => alg === key.alg);
}

/** Loads the private key set; a missing or malformed file is a KeySetError saying what to run. */
export async function loadKeySet(keysDir: string): Promise<KeySet> {
  const file = keySetPath(keysDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeySetError('missing', `no signing keys at ${file}; run \`npx latchkey keys generate\``);
    }
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new KeySetError('invalid', `${file} is not valid JSON`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new KeySetError('invalid', `${file} must be a JWK set with at least one private key`);
  }
  const invalid = keys.findIndex((key) => !isStoredKey(key));
  if (invalid !== -1) {
    throw new KeySetError('invalid', `${file}: key ${invalid} is not a private signing key with kid and alg (${SIGNING_ALGORITHMS.join(', ')})`);
  }
  if (!keys.some((key: StoredKey) => key.alg === 'RS256' && key.latchkey_status !== 'retiring')) {
    throw new KeySetError('invalid', `${file} has no active RS256 key, which OpenID Connect requires for ID tokens`);
  }
  return { keys };
}

/** Writes the key set atomically, readable by its owner only. */
export async function saveKeySet(keysDir: string, keySet: KeySet): Promise<void> {
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const file = keySetPath(keysDir);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ keys: keySet.keys }, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

/** The default set: RS256 for ID tokens (the OpenID Connect default) and ES256 for everything else. */
export const DEFAULT_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256'];

/**
 * Creates KEYS_DIR/jwks.json, or adds a key of `alg` to an existing set. Without `alg`, an
 * existing set is left alone: replacing keys invalidates every token in flight.
 */
export async function generateKeySet(keysDir: string, alg?: SigningAlgorithm): Promise<{ created: StoredKey[]; keySet: KeySet }> {
  let existing: KeySet | undefined;
  try {
    existing = await loadKeySet(keysDir);
  } catch (error) {
    if (!(error instanceof KeySetError && error.code === 'missing')) throw error;
  }
  if (existing && !alg) {
    throw new KeySetError('exists', `${keySetPath(keysDir)} already exists; use \`keys generate --alg ALG\` to add a key`);
  }
  const algorithms = alg ? (existing ? [alg] : [...new Set([alg, ...DEFAULT_ALGORITHMS])]) : DEFAULT_ALGORITHMS;
  const created = await Promise.all(algorithms.map((algorithm) => generateSigningKey(algorithm)));
  const keySet = { keys: [...(existing?.keys ?? []), ...created] };
  await saveKeySet(keysDir, keySet);
  return { created, keySet };
}

export function summariseKeys(keySet: KeySet): KeySummary[] {
  return keySet.keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    kty: String(key.kty),
    status: key.latchkey_status,
    createdAt: key.latchkey_created_at,
    ...(key.latchkey_retired_at ? { retiredAt: key.latchkey_retired_at } : {}),
  }));
}

/**
 * The private JWKS handed to oidc-provider: standard members only. Active keys first, newest
 * first, because the provider signs with the first key that fits an algorithm; retiring keys
 * come last, published for verification only.
 */
export function toProviderJwks(keySet: KeySet): { keys: JWK[] } {
  const rank = (key: StoredKey): number => (key.latchkey_status === 'active' ? 0 : 1);
  const ordered = [...keySet.keys].sort((a, b) => rank(a) - rank(b) || b.latchkey_created_at.localeCompare(a.latchkey_created_at));
  return {
    keys: ordered.map(({ latchkey_status: _status, latchkey_created_at: _createdAt, latchkey_retired_at: _retiredAt, ...jwk }) => jwk),
  };
}
