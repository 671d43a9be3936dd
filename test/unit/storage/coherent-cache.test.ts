import { createCoherentCache, type CacheInvalidation } from '../../../src/storage/coherent-cache.js';

/** An invalidation channel the test drives by hand: what another instance's message would do. */
function manualChannel(): CacheInvalidation & { deliver(kind: string, id: string): void; lose(): void; regain(): void; published: string[] } {
  const handlers: Array<(kind: string, id: string) => void> = [];
  const resets: Array<() => void> = [];
  const published: string[] = [];
  let listening = true;
  return {
    published,
    async publish(kind, id) {
      published.push(`${kind}:${id}`);
    },
    onInvalidate: (handler) => void handlers.push(handler),
    onReset: (handler) => void resets.push(handler),
    get listening() {
      return listening;
    },
    deliver: (kind, id) => handlers.forEach((handler) => handler(kind, id)),
    lose() {
      listening = false;
      resets.forEach((reset) => reset());
    },
    regain() {
      listening = true;
      resets.forEach((reset) => reset());
    },
  };
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('a cache that invalidations always win over', () => {
  it('does not store a read that began before an invalidation and ended after it', async () => {
    const channel = manualChannel();
    const cache = createCoherentCache<string>({ kind: 'Client', ttlSeconds: 600, maxEntries: 10, invalidation: channel });
    const slowRead = deferred<string>();
    const filling = cache.get('c1', () => slowRead.promise);
    // Meanwhile another instance rotates the secret and says so; the read above saw the old one.
    channel.deliver('Client', 'c1');
    slowRead.resolve('old secret');
    expect(await filling).toBe('old secret');
    let loads = 0;
    expect(await cache.get('c1', async () => {
      loads += 1;
      return 'rotated secret';
    })).toBe('rotated secret');
    expect(loads).toBe(1);
    // An uncontested read is stored and served from memory.
    expect(await cache.get('c1', async () => 'not read')).toBe('rotated secret');
  });

  it('drops an entry on an invalidation of its kind only, and publishes its own', async () => {
    const channel = manualChannel();
    const cache = createCoherentCache<string>({ kind: 'Resource', ttlSeconds: 600, maxEntries: 10, invalidation: channel });
    await cache.get('r1', async () => 'first');
    channel.deliver('Client', 'r1');
    expect(await cache.get('r1', async () => 'second')).toBe('first');
    channel.deliver('Resource', 'r1');
    expect(await cache.get('r1', async () => 'second')).toBe('second');
    await cache.invalidate('r1');
    expect(channel.published).toEqual(['Resource:r1']);
    expect(await cache.get('r1', async () => 'third')).toBe('third');
  });

  it('drops everything when the channel is lost, caches nothing until it is back, then caches again', async () => {
    const channel = manualChannel();
    const cache = createCoherentCache<string>({ kind: 'Client', ttlSeconds: 600, maxEntries: 10, invalidation: channel });
    await cache.get('c1', async () => 'before');
    channel.lose();
    expect(await cache.get('c1', async () => 'during 1')).toBe('during 1');
    expect(await cache.get('c1', async () => 'during 2')).toBe('during 2');
    channel.regain();
    expect(await cache.get('c1', async () => 'after')).toBe('after');
    expect(await cache.get('c1', async () => 'not read')).toBe('after');
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const cache = createCoherentCache<number>({ kind: 'Client', ttlSeconds: 600, maxEntries: 2 });
    await cache.get('a', async () => 1);
    await cache.get('b', async () => 2);
    await cache.get('c', async () => 3);
    expect(await cache.get('a', async () => 10)).toBe(10);
    expect(await cache.get('c', async () => 30)).toBe(3);
  });
});
