import type { Socket } from 'node:net';
import { Redis } from 'ioredis';

import { connectRedis, type RedisClient } from '../../../src/storage/redis-connection.js';
import { batchRedisWrites } from '../../../src/storage/redis-write-batching.js';
import { createCapturingLogger, requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

/** Counts the system-call-level writes a connection's socket makes (one per write or writev). */
function countWrites(socket: Socket): { writes: () => number; restore: () => void } {
  const internals = socket as Socket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = internals._write;
  const writev = internals._writev;
  let writes = 0;
  internals._write = function countedWrite(...args: unknown[]) {
    writes += 1;
    return write.apply(this, args);
  };
  internals._writev = function countedWritev(...args: unknown[]) {
    writes += 1;
    return writev.apply(this, args);
  };
  return {
    writes: () => writes,
    restore: () => {
      internals._write = write;
      internals._writev = writev;
    },
  };
}

function socketOf(redis: Redis): Socket {
  const socket = (redis as Redis & { stream?: Socket }).stream;
  if (!socket) throw new Error('not connected');
  return socket;
}

describe('Redis writes gathered per event-loop turn', () => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await connectRedis({ url: requireEnv('REDIS_URL'), cluster: false }, createCapturingLogger().logger);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('sends forty commands issued in one turn in one socket write, each with its own answer', async () => {
    const prefix = uniqueRedisPrefix();
    await Promise.all(Array.from({ length: 40 }, (_, i) => redis.set(`${prefix}${i}`, `value ${i}`, 'EX', 60)));
    const counter = countWrites(socketOf(redis as Redis));
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => redis.get(`${prefix}${i}`)));
      expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => `value ${i}`));
      expect(counter.writes()).toBe(1);
    } finally {
      counter.restore();
    }
  });

  it('answers a failing command among others with its own error, and the next turn writes again', async () => {
    const prefix = uniqueRedisPrefix();
    await redis.set(`${prefix}s`, 'v', 'EX', 60);
    const counter = countWrites(socketOf(redis as Redis));
    try {
      const [first, wrongType, last] = await Promise.allSettled([redis.get(`${prefix}s`), redis.hget(`${prefix}s`, 'f'), redis.incr(`${prefix}n`)]);
      expect(first).toEqual({ status: 'fulfilled', value: 'v' });
      expect(wrongType.status).toBe('rejected');
      expect(last).toEqual({ status: 'fulfilled', value: 1 });
      expect(await redis.get(`${prefix}s`)).toBe('v');
      expect(counter.writes()).toBe(2);
    } finally {
      counter.restore();
      await redis.del(`${prefix}s`, `${prefix}n`);
    }
  });

  it('still refuses at once while the connection is down, and batches again once it is back', async () => {
    // Its own connection: this one is cut.
    const own = await connectRedis({ url: requireEnv('REDIS_URL'), cluster: false }, createCapturingLogger().logger);
    try {
      const id = await own.client('ID');
      const admin = new Redis(requireEnv('REDIS_URL'));
      await admin.client('KILL', 'ID', String(id));
      await admin.quit();
      await expect(own.get('anything')).rejects.toThrow();
      for (let i = 0; i < 100 && own.status !== 'ready'; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(own.status).toBe('ready');
      const counter = countWrites(socketOf(own as Redis));
      const answers = await Promise.all([own.ping(), own.ping('again')]);
      expect(answers).toEqual(['PONG', 'again']);
      expect(counter.writes()).toBe(1);
      counter.restore();
    } finally {
      own.disconnect();
    }
  });

  it('wraps a connection once however often it is asked', async () => {
    const own = await connectRedis({ url: requireEnv('REDIS_URL'), cluster: false }, createCapturingLogger().logger);
    try {
      const wrapped = own.sendCommand;
      batchRedisWrites(own);
      expect(own.sendCommand).toBe(wrapped);
    } finally {
      own.disconnect();
    }
  });
});

describe('Redis Cluster writes gathered per node and turn', () => {
  it('sends the commands of one turn to each node in one write, answers in order', async () => {
    const cluster = await connectRedis({ url: requireEnv('REDIS_CLUSTER_URL'), cluster: true }, createCapturingLogger().logger);
    try {
      // Keys across every slot range, so each master gets some.
      const prefix = uniqueRedisPrefix();
      const keys = Array.from({ length: 60 }, (_, i) => `${prefix}${i}`);
      await Promise.all(keys.map((key, i) => cluster.set(key, String(i), 'EX', 60)));
      if (!('nodes' in cluster)) throw new Error('expected a cluster client');
      const masters = cluster.nodes('master');
      expect(masters.length).toBe(3);
      const counters = masters.map((node) => countWrites(socketOf(node)));
      try {
        const answers = await Promise.all(keys.map((key) => cluster.get(key)));
        expect(answers).toEqual(keys.map((_, i) => String(i)));
        // One write per master that had keys (all three do, with sixty keys).
        expect(counters.map((counter) => counter.writes())).toEqual([1, 1, 1]);
      } finally {
        for (const counter of counters) counter.restore();
      }
    } finally {
      cluster.disconnect();
    }
  });
});
