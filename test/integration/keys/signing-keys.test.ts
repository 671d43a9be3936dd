import { randomBytes } from 'node:crypto';

import { createDataCipher } from '../../../src/accounts/data-cipher.js';
import { generateKeySet, loadKeySet } from '../../../src/keys/key-set.js';
import { stateAt } from '../../../src/keys/key-lifecycle.js';
import { createMemorySigningKeyStore } from '../../../src/keys/memory-signing-key-store.js';
import { createMongoSigningKeyStore } from '../../../src/keys/mongo-signing-key-store.js';
import type { SigningKeyStore } from '../../../src/keys/signing-key-store.js';
import { createSigningKeys } from '../../../src/keys/signing-keys.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { createMemorySettingStore, type SettingStore } from '../../../src/settings/setting-store.js';
import { createMongoSettingStore } from '../../../src/settings/mongo-setting-store.js';
import { makeTempDir, uniqueMongoUri } from '../../support/test-env.js';

const TIMINGS = { prepublishSeconds: 600, retireAfterSeconds: 3600, rotateAfterSeconds: 86_400 };
const cipher = createDataCipher([{ id: 'k1', key: randomBytes(32) }]);

function describeSigningKeys(name: string, setup: () => Promise<{ store: () => SigningKeyStore; settings: SettingStore; teardown(): Promise<void> }>): void {
  describe(`signing keys in ${name}`, () => {
    let subject: Awaited<ReturnType<typeof setup>>;
    beforeEach(async () => {
      subject = await setup();
    });
    afterEach(async () => {
      await subject.teardown();
    });

    it('generates RS256 and ES256 on an empty store, stores private parts only encrypted, and does it once when instances start together', async () => {
      const dir = await makeTempDir();
      const store = subject.store();
      const instances = [createSigningKeys({ store, cipher, timings: TIMINGS, settings: subject.settings }), createSigningKeys({ store, cipher, timings: TIMINGS, settings: subject.settings })];
      await Promise.all(instances.map((keys) => keys.bootstrap(dir.path)));
      const stored = await store.list();
      expect(stored.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
      for (const key of stored) {
        expect(key.publicJwk).not.toHaveProperty('d');
        expect(key.privateJwkEncrypted).not.toContain('"d"');
      }
      const loaded = await instances[1]!.load();
      expect(loaded.every((key) => typeof key.privateJwk.d === 'string')).toBe(true);
      // A later start finds them and adds nothing.
      expect(await instances[0]!.bootstrap(dir.path)).toEqual({ imported: 0, generated: 0 });
      await dir.remove();
    });

    it('imports KEYS_DIR/jwks.json into an empty store, kids kept', async () => {
      const dir = await makeTempDir();
      const { keySet } = await generateKeySet(dir.path);
      const keys = createSigningKeys({ store: subject.store(), cipher, timings: TIMINGS, settings: subject.settings });
      expect(await keys.bootstrap(dir.path)).toEqual({ imported: 2, generated: 0 });
      expect((await keys.load()).map((key) => key.kid).sort()).toEqual(keySet.keys.map((key) => key.kid).sort());
      expect((await loadKeySet(dir.path)).keys).toHaveLength(2);
      await dir.remove();
    });

    it('schedules one successor per algorithm when two instances rotate at once; a key that must stop signs no more from now', async () => {
      const dir = await makeTempDir();
      const store = subject.store();
      const a = createSigningKeys({ store, cipher, timings: TIMINGS, settings: subject.settings });
      const b = createSigningKeys({ store, cipher, timings: TIMINGS, settings: subject.settings });
      await a.bootstrap(dir.path);
      const now = new Date();
      const outcomes = await Promise.all([a.rotate(now), b.rotate(now)]);
      expect(outcomes.flatMap((outcome) => outcome.created).map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
      const keys = await a.load();
      expect(keys).toHaveLength(4);
      const successors = keys.filter((key) => stateAt(key, now) === 'next');
      expect(successors.every((key) => key.activatesAt.getTime() === now.getTime() + TIMINGS.prepublishSeconds * 1000)).toBe(true);
      const previous = keys.filter((key) => key.deactivatesAt !== null);
      expect(previous.every((key) => key.retiresAt!.getTime() === key.deactivatesAt!.getTime() + TIMINGS.retireAfterSeconds * 1000)).toBe(true);
      // Rotating again before they sign changes nothing.
      expect((await a.rotate(now)).created).toEqual([]);

      // Later, an immediate rotation: the new keys sign at once, the old ones only verify.
      const later = new Date(now.getTime() + TIMINGS.prepublishSeconds * 1000 + 1000);
      const urgent = await a.rotate(later, { immediately: true });
      expect(urgent.created.every((key) => stateAt(key, later) === 'active')).toBe(true);
      expect((await a.load()).filter((key) => stateAt(key, later) === 'active').map((key) => key.kid).sort()).toEqual(urgent.created.map((key) => key.kid).sort());

      // Once retired they are removed, and not before.
      const keysNow = await a.load();
      const firstRetirement = Math.min(...keysNow.filter((key) => key.retiresAt).map((key) => key.retiresAt!.getTime()));
      expect(await a.removeRetired(new Date(firstRetirement - 1))).toEqual([]);
      expect(await a.removeRetired(new Date(firstRetirement))).toHaveLength(2);
      await dir.remove();
    });

    it('rotates on schedule only what is older than the period', async () => {
      const dir = await makeTempDir();
      const keys = createSigningKeys({ store: subject.store(), cipher, timings: TIMINGS, settings: subject.settings });
      const start = new Date();
      await keys.bootstrap(dir.path, start);
      expect((await keys.rotateIfDue(new Date(start.getTime() + 1000))).created).toEqual([]);
      expect((await keys.rotateIfDue(new Date(start.getTime() + TIMINGS.rotateAfterSeconds * 1000))).created).toHaveLength(2);
      await dir.remove();
    });

    it('re-encrypts the private parts under the current data key, readable after the old key is gone', async () => {
      const dir = await makeTempDir();
      const oldKey = { id: 'old', key: randomBytes(32) };
      const newKey = { id: 'new', key: randomBytes(32) };
      const store = subject.store();
      await createSigningKeys({ store, cipher: createDataCipher([oldKey]), timings: TIMINGS, settings: subject.settings }).bootstrap(dir.path);
      expect(await createSigningKeys({ store, cipher: createDataCipher([newKey, oldKey]), timings: TIMINGS, settings: subject.settings }).reencrypt()).toBe(2);
      expect(await createSigningKeys({ store, cipher: createDataCipher([newKey]), timings: TIMINGS, settings: subject.settings }).load()).toHaveLength(2);
      await dir.remove();
    });
  });
}

describeSigningKeys('memory', async () => {
  const store = createMemorySigningKeyStore();
  return { store: () => store, settings: createMemorySettingStore(), teardown: async () => undefined };
});

describeSigningKeys('MongoDB', async () => {
  const connection = await connectMongo(uniqueMongoUri());
  return {
    store: () => createMongoSigningKeyStore(connection),
    settings: createMongoSettingStore(connection),
    async teardown() {
      await connection.dropDatabase();
      await connection.close();
    },
  };
});
