import { createMetrics } from '../../../src/http/metrics.js';
import { connectRedis, type RedisClient } from '../../../src/storage/redis-connection.js';
import { createCapturingLogger, requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

const audit = {
  stats: () => ({ buffered: 0, written: 0, spooled: 0, dropped: 0, byType: new Map<string, number>() }),
  spoolLength: async () => 0,
};

/** The count of one (command, outcome) series in the scrape, 0 when it is not there. */
function countOf(text: string, command: string, outcome: 'ok' | 'error'): number {
  const match = new RegExp(`^latchkey_redis_command_duration_seconds_count\\{command="${command}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

const targets = [
  { name: 'one Redis server', url: () => requireEnv('REDIS_URL'), cluster: false },
  { name: 'a Redis Cluster of three masters', url: () => requireEnv('REDIS_CLUSTER_URL'), cluster: true },
];

describe.each(targets)('Redis command latency on $name', (target) => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await connectRedis({ url: target.url(), cluster: target.cluster }, createCapturingLogger().logger);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('observes each command once, by name and outcome, transactions and failures included', async () => {
    const metrics = createMetrics({ audit });
    metrics.watchRedis(redis);
    // One hash tag: on the cluster every key is in one slot, as Latchkey's own keys are.
    const prefix = `{${uniqueRedisPrefix()}}`;
    await redis.set(`${prefix}s`, 'v', 'EX', 60);
    for (let i = 0; i < 3; i += 1) expect(await redis.get(`${prefix}s`)).toBe('v');
    await Promise.all([redis.get(`${prefix}a`), redis.get(`${prefix}b`)]);
    // A wrong-type command and a script Redis does not know both fail on the server.
    await expect(redis.hget(`${prefix}s`, 'field')).rejects.toThrow(/WRONGTYPE/);
    await expect(redis.evalsha('0'.repeat(40), 0)).rejects.toThrow(/NOSCRIPT/);
    await redis.multi().set(`${prefix}t`, '1', 'EX', 60).incr(`${prefix}t`).exec();
    await redis.del(`${prefix}s`, `${prefix}t`);

    const text = await metrics.registry.metrics();
    expect(countOf(text, 'set', 'ok')).toBe(2);
    expect(countOf(text, 'get', 'ok')).toBe(5);
    expect(countOf(text, 'get', 'error')).toBe(0);
    expect(countOf(text, 'hget', 'error')).toBe(1);
    expect(countOf(text, 'evalsha', 'error')).toBe(1);
    expect(countOf(text, 'multi', 'ok')).toBe(1);
    expect(countOf(text, 'incr', 'ok')).toBe(1);
    expect(countOf(text, 'exec', 'ok')).toBe(1);
    expect(countOf(text, 'del', 'ok')).toBe(1);
    expect(text).toMatch(/^latchkey_redis_command_duration_seconds_bucket\{le="\+Inf",command="get",outcome="ok"\} 5$/m);
    expect(text).toMatch(/^latchkey_redis_command_duration_seconds_sum\{command="get",outcome="ok"\} [\d.e-]+$/m);
  });

  it('keeps the command label set bounded when many different commands are sent', async () => {
    const metrics = createMetrics({ audit });
    metrics.watchRedis(redis);
    const names = Array.from({ length: 60 }, (_, i) => `nosuchcommand${i}`);
    for (const name of names) await expect(redis.call(name)).rejects.toThrow(/unknown command/i);
    await redis.call('NOSUCHCOMMAND0').catch(() => undefined);

    const text = await metrics.registry.metrics();
    const labels = new Set([...text.matchAll(/^latchkey_redis_command_duration_seconds_count\{command="([^"]+)"/gm)].map((match) => match[1]));
    expect(labels.size).toBeLessThanOrEqual(41);
    expect(labels.has('other')).toBe(true);
    // Upper and lower case of one command share its series.
    expect(countOf(text, 'nosuchcommand0', 'error')).toBe(2);
    const total = [...text.matchAll(/^latchkey_redis_command_duration_seconds_count\{command="[^"]+",outcome="error"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(total).toBe(61);
  });
});
