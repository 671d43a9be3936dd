import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { AppConfig, LogLevel } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger, type Logger } from '../../src/logging/create-logger.js';

export function requireEnv(name: 'REDIS_URL' | 'MONGODB_URI' | 'REDIS_CLUSTER_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\``);
  return value;
}

/** A MongoDB URI for a database of this test's own, so parallel suites never share data. */
export function uniqueMongoUri(): string {
  const url = new URL(requireEnv('MONGODB_URI'));
  url.pathname = `/latchkey_test_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

export function uniqueRedisPrefix(): string {
  return `lk-test-${randomBytes(6).toString('hex')}:`;
}

/** A logger that keeps its lines in memory, so tests can assert on (or against) what was logged. */
export function createCapturingLogger(level: LogLevel = 'info'): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger(level, stream), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

export async function makeTempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'latchkey-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A port that was free a moment ago; the issuer must name the port before the server listens. */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Config for a server under test: real Redis and MongoDB unless `memory` is asked for. */
export function createTestConfig(options: { keysDir: string; port: number; memory?: boolean; env?: Readonly<Record<string, string>> }): AppConfig {
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: String(options.port),
    ISSUER: `http://127.0.0.1:${options.port}`,
    KEYS_DIR: options.keysDir,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  if (!options.memory) {
    // A suite may name its own Redis (a cluster); otherwise the one the test script started.
    env.REDIS_URL = options.env?.REDIS_URL ?? requireEnv('REDIS_URL');
    env.MONGODB_URI = uniqueMongoUri();
  }
  const config = loadConfig(env);
  // Every request of a suite comes from 127.0.0.1; the per-IP limits get their own test.
  return { ...config, redisKeyPrefix: uniqueRedisPrefix(), rateLimit: { interactionPostsPerMinute: 10_000, authorizationRequestsPerMinute: 10_000, tokenRequestsPerMinute: 100_000 } };
}

/** DATA_ENCRYPTION_KEY as the environment spells it, for a CLI run against a test server's data. */
export function dataKeyEnv(config: AppConfig): string {
  return config.dataEncryptionKeys.value.map(({ id, key }) => `${id}:${key.toString('base64')}`).join(',');
}

/**
 * Polls `url` until it answers 2xx: a server started as its own process (its log level may hide
 * the "listening" line). Fails after `timeoutMs`, or as soon as `exited` (the process's exit)
 * settles.
 */
export async function waitUntilAnswering(url: string, options: { readonly exited?: Promise<unknown>; readonly timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  let gone = false;
  void options.exited?.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the server exited before ${url} answered`);
    const answered = await fetch(url).then((response) => response.ok, () => false);
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
