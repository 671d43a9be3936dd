import type { JWK } from 'jose';

import { randomUUID } from 'node:crypto';

import type { DataCipher } from '../accounts/data-cipher.js';
import type { SettingStore } from '../settings/setting-store.js';
import { DEFAULT_ALGORITHMS, generateSigningKey, KeySetError, loadKeySet, type SigningAlgorithm, type StoredKey } from './key-set.js';
import { rotationDue, signingKeyOf, stateAt, type KeyTimings, type SigningKeyRecord } from './key-lifecycle.js';
import { publicJwk } from './public-jwk.js';
import type { SigningKeyStore, StoredSigningKey } from './signing-key-store.js';

const BOOTSTRAP_SETTING = 'signing-keys-bootstrap';
const BOOTSTRAP_WAIT_MS = 20_000;
const STALE_BOOTSTRAP_MS = 60_000;

function purposeOf(kid: string): string {
  return `signing-key:${kid}`;
}

/** The standard JWK members of a key in KEYS_DIR/jwks.json, without Latchkey's bookkeeping. */
function toJwk({ latchkey_status: _status, latchkey_created_at: _createdAt, latchkey_retired_at: _retiredAt, ...jwk }: StoredKey): JWK {
  return jwk;
}

export interface RotationOutcome {
  /** The new keys, each with the time it starts signing. */
  readonly created: readonly SigningKeyRecord[];
  /** Algorithms left alone: a successor was already scheduled (here or by another instance). */
  readonly alreadyScheduled: readonly SigningAlgorithm[];
}

/**
 * The signing keys every instance shares: stored with their private parts encrypted under
 * DATA_ENCRYPTION_KEY (bound to their kid), created, rotated and retired on a schedule written
 * into each record, so that instances agree without talking to each other.
 */
export function createSigningKeys(deps: { readonly store: SigningKeyStore; readonly cipher: DataCipher; readonly timings: KeyTimings; readonly settings: SettingStore }) {
  const { store, cipher, timings } = deps;

  /**
   * Of instances starting together on an empty store, one sets the keys up (it wins an
   * insert-once setting holding "<nonce> <time>"); the others wait for its keys. A claim left by
   * an instance that died half-way is taken over once it is a minute old.
   */
  const claimBootstrap = async (): Promise<boolean> => {
    const mine = `${randomUUID()} ${Date.now()}`;
    let held = await deps.settings.getOrCreate(BOOTSTRAP_SETTING, mine);
    const deadline = Date.now() + BOOTSTRAP_WAIT_MS;
    while (held !== mine) {
      if ((await store.list()).length > 0) return false;
      const since = Number(held.split(' ')[1] ?? 0);
      if (Date.now() - since > STALE_BOOTSTRAP_MS && (await deps.settings.replace(BOOTSTRAP_SETTING, held, mine))) return true;
      if (Date.now() > deadline) throw new KeySetError('missing', 'another instance began setting up the signing keys and has not finished; start again in a minute');
      await new Promise((resolve) => setTimeout(resolve, 200));
      held = (await deps.settings.get(BOOTSTRAP_SETTING)) ?? held;
    }
    return true;
  };

  const seal = (jwk: JWK, times: { createdAt: Date; activatesAt: Date; deactivatesAt: Date | null; retiresAt: Date | null }): StoredSigningKey => {
    const kid = String(jwk.kid);
    return { kid, alg: jwk.alg as SigningAlgorithm, privateJwkEncrypted: cipher.encrypt(JSON.stringify(jwk), purposeOf(kid)), publicJwk: publicJwk(jwk), ...times };
  };
  const open = (stored: StoredSigningKey): SigningKeyRecord => ({
    kid: stored.kid,
    alg: stored.alg,
    // Written by seal() above from a JWK; the ciphertext is authenticated and bound to the kid.
    privateJwk: JSON.parse(cipher.decrypt(stored.privateJwkEncrypted, purposeOf(stored.kid))) as JWK,
    createdAt: stored.createdAt,
    activatesAt: stored.activatesAt,
    deactivatesAt: stored.deactivatesAt,
    retiresAt: stored.retiresAt,
  });
  const load = async (): Promise<SigningKeyRecord[]> => (await store.list()).map(open);

  /** A new key for `alg` that signs from `activatesAt`, its predecessor's succession set by compare-and-set. */
  const succeed = async (current: SigningKeyRecord, activatesAt: Date, now: Date): Promise<SigningKeyRecord | undefined> => {
    const key = await generateSigningKey(current.alg, now);
    const stored = seal(toJwk(key), { createdAt: now, activatesAt, deactivatesAt: null, retiresAt: null });
    await store.insert(stored);
    const scheduled = await store.scheduleSuccession(current.kid, { deactivatesAt: activatesAt, retiresAt: new Date(activatesAt.getTime() + timings.retireAfterSeconds * 1000) });
    if (!scheduled) {
      // Another instance (or operator) scheduled a successor first: theirs stands, ours goes.
      await store.remove(stored.kid);
      return undefined;
    }
    return open(stored);
  };

  /** `keys`: the keys as just read; a successor is written only by compare-and-set anyway. */
  const rotateAlgorithms = async (keys: readonly SigningKeyRecord[], algorithms: readonly SigningAlgorithm[], now: Date, immediately: boolean): Promise<RotationOutcome> => {
    const created: SigningKeyRecord[] = [];
    const alreadyScheduled: SigningAlgorithm[] = [];
    const activatesAt = immediately ? now : new Date(now.getTime() + timings.prepublishSeconds * 1000);
    for (const alg of algorithms) {
      const current = signingKeyOf(keys, alg, now);
      if (!current || current.deactivatesAt !== null) {
        alreadyScheduled.push(alg);
        continue;
      }
      const next = await succeed(current, activatesAt, now);
      if (next) created.push(next);
      else alreadyScheduled.push(alg);
    }
    return { created, alreadyScheduled };
  };

  return {
    load,

    /**
     * The first start against an empty store: the keys of KEYS_DIR/jwks.json are imported (those
     * retiring there keep verifying until they retire), or, without that file, RS256 and ES256
     * keys are generated. Both sign at once: nobody can have cached a JWKS yet.
     */
    async bootstrap(keysDir: string, now: Date = new Date()): Promise<{ imported: number; generated: number }> {
      if ((await store.list()).length > 0) return { imported: 0, generated: 0 };
      if (!(await claimBootstrap())) return { imported: 0, generated: 0 };
      let fileKeys: readonly StoredKey[] = [];
      try {
        fileKeys = (await loadKeySet(keysDir)).keys;
      } catch (error) {
        if (!(error instanceof KeySetError && error.code === 'missing')) throw error;
      }
      const imported = fileKeys.map((key) => {
        const createdAt = new Date(key.latchkey_created_at);
        if (key.latchkey_status === 'active') return seal(toJwk(key), { createdAt, activatesAt: createdAt, deactivatesAt: null, retiresAt: null });
        const retiredAt = new Date(key.latchkey_retired_at ?? key.latchkey_created_at);
        return seal(toJwk(key), { createdAt, activatesAt: createdAt, deactivatesAt: retiredAt, retiresAt: new Date(retiredAt.getTime() + timings.retireAfterSeconds * 1000) });
      });
      const generated = imported.length > 0 ? [] : await Promise.all(DEFAULT_ALGORITHMS.map(async (alg) => seal(toJwk(await generateSigningKey(alg, now)), { createdAt: now, activatesAt: now, deactivatesAt: null, retiresAt: null })));
      for (const key of [...imported, ...generated]) await store.insert(key);
      return { imported: imported.length, generated: generated.length };
    },

    /**
     * A successor for every algorithm's signing key: published now, signing from `prepublish`
     * later (or at once when `immediately`, for a key that must stop signing now), the old key
     * verifying until `retireAfter` after that.
     */
    async rotate(now: Date = new Date(), options: { immediately?: boolean } = {}): Promise<RotationOutcome> {
      const keys = await load();
      const algorithms = [...new Set(keys.filter((key) => stateAt(key, now) === 'active').map((key) => key.alg))];
      return rotateAlgorithms(keys, algorithms, now, options.immediately ?? false);
    },

    /**
     * The scheduled rotation: only algorithms whose signing key is older than the rotation
     * period. `keys`: the keys the caller has just read (the key watcher), else read here.
     */
    async rotateIfDue(now: Date = new Date(), keys?: readonly SigningKeyRecord[]): Promise<RotationOutcome> {
      const current = keys ?? (await load());
      const due = rotationDue(current, now, timings);
      return due.length === 0 ? { created: [], alreadyScheduled: [] } : rotateAlgorithms(current, due, now, false);
    },

    /** Deletes keys that have left the JWKS for good; `keys` as for rotateIfDue. */
    async removeRetired(now: Date = new Date(), keys?: readonly { readonly kid: string; readonly retiresAt: Date | null }[]): Promise<string[]> {
      const gone = (keys ?? (await store.list())).filter((key) => key.retiresAt !== null && key.retiresAt.getTime() <= now.getTime());
      for (const key of gone) await store.remove(key.kid);
      return gone.map((key) => key.kid);
    },

    /** Moves every private key to the data key that encrypts now (`secrets reencrypt`). */
    async reencrypt(): Promise<number> {
      let rewritten = 0;
      for (const stored of await store.list()) {
        if (cipher.isCurrent(stored.privateJwkEncrypted)) continue;
        const next = cipher.encrypt(cipher.decrypt(stored.privateJwkEncrypted, purposeOf(stored.kid)), purposeOf(stored.kid));
        if (await store.replaceCiphertext(stored.kid, stored.privateJwkEncrypted, next)) rewritten += 1;
      }
      return rewritten;
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;
