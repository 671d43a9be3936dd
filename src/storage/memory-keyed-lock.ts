import type { KeyedLock } from '../accounts/locked-account-store.js';

/** The lock of one process: work per key runs in the order it arrived. */
export function createMemoryKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async withLock(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const run = previous.then(work, work);
      const tail = run.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await run;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
