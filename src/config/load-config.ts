import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

import { type AppConfig, LOG_LEVELS, type RuntimeMode } from './app-config.js';
import { ConfigError } from './config-error.js';
import { errorMessage } from '../logging/error-message.js';

const DEFAULTS_FILE = new URL('../../config/defaults.json', import.meta.url);

const positiveSeconds = z.number().int().positive();

const defaultsSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  keysDir: z.string().min(1),
  trustProxy: z.boolean(),
  logLevel: z.enum(LOG_LEVELS),
  shutdownTimeoutSeconds: positiveSeconds,
  redisKeyPrefix: z.string().min(1),
  clientCacheSeconds: z.number().int().min(0),
  ttl: z.strictObject({
    accessTokenSeconds: positiveSeconds,
    clientCredentialsSeconds: positiveSeconds,
    authorizationCodeSeconds: positiveSeconds,
    idTokenSeconds: positiveSeconds,
    refreshTokenSeconds: positiveSeconds,
    sessionSeconds: positiveSeconds,
    grantSeconds: positiveSeconds,
    interactionSeconds: positiveSeconds,
    initialAccessTokenSeconds: positiveSeconds,
  }),
  scopes: z.array(z.string().min(1)).min(1),
  argon2: z.strictObject({
    // OWASP's floor for argon2id: 19 MiB, two passes, one lane.
    memoryKiB: z.number().int().min(19456),
    timeCost: z.number().int().min(2),
    parallelism: z.number().int().min(1),
  }),
  password: z.strictObject({ minLength: z.number().int().min(8), maxLength: z.number().int().max(4096) }),
  lockout: z.strictObject({ maxFailures: z.number().int().min(1), windowSeconds: positiveSeconds, lockSeconds: positiveSeconds }),
  rateLimit: z.strictObject({ interactionPostsPerMinute: z.number().int().min(1), tokenRequestsPerMinute: z.number().int().min(1) }),
  totpIssuer: z.string().min(1),
  audit: z.strictObject({
    retentionDays: z.number().int().min(1),
    flushIntervalMs: z.number().int().min(10),
    batchSize: z.number().int().min(1),
    maxBuffered: z.number().int().min(100),
  }),
});

export type ConfigDefaults = z.infer<typeof defaultsSchema>;

/** Reads config/defaults.json; a broken file is a ConfigError naming the field. */
export function loadDefaults(file: URL | string = DEFAULTS_FILE): ConfigDefaults {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('config/defaults.json', errorMessage(error));
  }
  const parsed = defaultsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`config/defaults.json ${issue?.path.join('.') ?? ''}`.trim(), issue?.message ?? 'invalid');
  }
  return parsed.data;
}

type Env = Readonly<Record<string, string | undefined>>;

function readMode(env: Env): RuntimeMode {
  const value = env.NODE_ENV;
  if (value === 'production' || value === 'test') return value;
  return 'development';
}

function readPort(env: Env, fallback: number): number {
  const raw = env.PORT;
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError('PORT', `must be an integer from 0 to 65535, got "${raw}"`);
  }
  return port;
}

function readIssuer(env: Env, port: number): string {
  const raw = env.ISSUER;
  if (raw === undefined || raw === '') return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('ISSUER', `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('ISSUER', 'must use https (or http for local development)');
  }
  if (url.search || url.hash) {
    throw new ConfigError('ISSUER', 'must not contain a query or fragment');
  }
  // Relying parties compare the issuer as a string; a trailing slash would make /.well-known paths ambiguous.
  return raw.replace(/\/+$/, '');
}

function readUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

const MIN_COOKIE_KEY_LENGTH = 32;

function readCookieKeys(env: Env): AppConfig['cookieKeys'] {
  const raw = env.COOKIE_KEYS;
  if (raw === undefined || raw.trim() === '') {
    return { value: [randomBytes(32).toString('base64url')], generated: true };
  }
  const keys = raw.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
  if (keys.length === 0) throw new ConfigError('COOKIE_KEYS', 'must list at least one key');
  if (keys.some((key) => key.length < MIN_COOKIE_KEY_LENGTH)) {
    throw new ConfigError('COOKIE_KEYS', `every key must be at least ${MIN_COOKIE_KEY_LENGTH} characters`);
  }
  return { value: keys, generated: false };
}

function readDataEncryptionKey(env: Env): AppConfig['dataEncryptionKey'] {
  const raw = env.DATA_ENCRYPTION_KEY;
  if (raw === undefined || raw.trim() === '') {
    return { value: randomBytes(32), generated: true };
  }
  const trimmed = raw.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    throw new ConfigError('DATA_ENCRYPTION_KEY', 'must be base64 (e.g. `openssl rand -base64 32`)');
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new ConfigError('DATA_ENCRYPTION_KEY', `must decode to 32 bytes, got ${key.length}`);
  }
  return { value: key, generated: false };
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function readPositiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(name, `must be a positive whole number, got "${raw}"`);
  return value;
}

function readLogLevel(env: Env, fallback: AppConfig['logLevel']): AppConfig['logLevel'] {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return fallback;
  const level = LOG_LEVELS.find((candidate) => candidate === raw.toLowerCase());
  if (!level) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
}

// Production never falls back to generated secrets or in-memory stores: each would lose data or
// sessions silently on restart, or differ between instances behind a load balancer.
const REQUIRED_IN_PRODUCTION = ['MONGODB_URI', 'REDIS_URL', 'COOKIE_KEYS', 'DATA_ENCRYPTION_KEY'] as const;

function checkProductionRequirements(env: Env): void {
  for (const name of REQUIRED_IN_PRODUCTION) {
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw new ConfigError(name, 'is required when NODE_ENV=production');
    }
  }
}

export interface LoadConfigOptions {
  readonly defaults?: ConfigDefaults;
  readonly cwd?: string;
  /**
   * The admin CLI runs single commands (some need no database at all), so it checks each
   * service when the command uses it instead of demanding all of them up front.
   */
  readonly requireProductionServices?: boolean;
}

/** The only reader of process.env: validates everything once and returns a frozen config. */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): AppConfig {
  const defaults = options.defaults ?? loadDefaults();
  const cwd = options.cwd ?? process.cwd();
  const mode = readMode(env);
  if (mode === 'production' && options.requireProductionServices !== false) checkProductionRequirements(env);
  const port = readPort(env, defaults.port);
  const keysDir = env.KEYS_DIR && env.KEYS_DIR !== '' ? env.KEYS_DIR : defaults.keysDir;
  const config: AppConfig = {
    mode,
    port,
    issuer: readIssuer(env, port),
    mongodbUri: readUrl(env, 'MONGODB_URI', ['mongodb:', 'mongodb+srv:']),
    redisUrl: readUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: defaults.redisKeyPrefix,
    clientCacheSeconds: defaults.clientCacheSeconds,
    cookieKeys: readCookieKeys(env),
    keysDir: isAbsolute(keysDir) ? keysDir : resolve(cwd, keysDir),
    dataEncryptionKey: readDataEncryptionKey(env),
    trustProxy: readBoolean(env, 'TRUST_PROXY', defaults.trustProxy),
    logLevel: readLogLevel(env, defaults.logLevel),
    shutdownTimeoutSeconds: defaults.shutdownTimeoutSeconds,
    ttl: Object.freeze({ ...defaults.ttl }),
    scopes: Object.freeze([...defaults.scopes]),
    argon2: Object.freeze({ ...defaults.argon2 }),
    password: Object.freeze({ ...defaults.password }),
    lockout: Object.freeze({ ...defaults.lockout }),
    rateLimit: Object.freeze({
      interactionPostsPerMinute: readPositiveInteger(env, 'RATE_LIMIT_INTERACTION_PER_MINUTE', defaults.rateLimit.interactionPostsPerMinute),
      tokenRequestsPerMinute: readPositiveInteger(env, 'RATE_LIMIT_TOKEN_PER_MINUTE', defaults.rateLimit.tokenRequestsPerMinute),
    }),
    totpIssuer: defaults.totpIssuer,
    audit: Object.freeze({ ...defaults.audit }),
  };
  return Object.freeze(config);
}
