import { connectRedis, type RedisClient } from '../../../src/storage/redis-connection.js';
import { defineRedisScript } from '../../../src/storage/redis-script.js';
import { createCapturingLogger, requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

const targets = [
  { name: 'one Redis server', url: () => requireEnv('REDIS_URL'), cluster: false },
  { name: 'a Redis Cluster of three masters', url: () => requireEnv('REDIS_CLUSTER_URL'), cluster: true },
];

describe.each(targets)('Lua scripts by SHA on $name', (target) => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await connectRedis({ url: target.url(), cluster: target.cluster }, createCapturingLogger().logger);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('runs by EVALSHA once loaded, loads itself after the server forgot it, and passes errors on', async () => {
    // A script no other test defines, so its first call here meets NOSCRIPT.
    const tag = uniqueRedisPrefix();
    const script = defineRedisScript(`-- ${tag}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const key = `{${tag}}counter`;
    const sent: string[] = [];
    const monitor = (command: string): void => void sent.push(command);
    const original = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      monitor(command.name);
      return (original as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof redis.sendCommand;
    try {
      expect(await script(redis, [key], [2])).toBe(2);
      expect(sent).toEqual(['evalsha', 'eval']);
      sent.length = 0;
      expect(await script(redis, [key], [3])).toBe(5);
      expect(sent).toEqual(['evalsha']);
      // A restart or failover empties the script cache: the next call loads it again.
      await (target.cluster && 'nodes' in redis ? Promise.all(redis.nodes('master').map((node) => node.script('FLUSH'))) : redis.script('FLUSH'));
      sent.length = 0;
      expect(await script(redis, [key], [1])).toBe(6);
      expect(sent.filter((name) => name !== 'script')).toEqual(['evalsha', 'eval']);
      // An error from the script itself is the caller's, not a reason to retry.
      await redis.set(key, 'not a number', 'EX', 60);
      sent.length = 0;
      await expect(script(redis, [key], [1])).rejects.toThrow(/not an integer/);
      expect(sent).toEqual(['evalsha']);
    } finally {
      redis.sendCommand = original as typeof redis.sendCommand;
      await redis.del(key);
    }
  });
});
