import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { extname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

import {
  type AppConfig,
  type DataKey,
  LOG_LEVELS,
  ID_TOKEN_CLAIMS,
  PKCE_POLICIES,
  DPOP_NONCE_POLICIES,
  REGISTRATION_GRANT_TYPES,
  type RuntimeMode,
  type TrustProxy,
  type SigningKeyConfig,
} from './app-config.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { AUDIT_STORAGE_CLASSES, type AuditStorage } from '../audit/audit-storage-policy.js';
import { distinctBytes, estimatedTextBits, looksLikePlaceholder } from './secret-strength.js';
import { errorMessage } from '../logging/error-message.js';

const DEFAULTS_FILE = new URL('../../config/defaults.json', import.meta.url);
const EXAMPLE_ENV_FILE = new URL('../../config/.env.example', import.meta.url);

const positiveSeconds = z.number().int().positive();

const defaultsSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  keysDir: z.string().min(1),
  trustProxy: z.union([z.boolean(), z.number().int().min(0), z.array(z.string().min(1))]),
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
  pkce: z.strictObject({ confidentialClients: z.enum(PKCE_POLICIES) }),
  dpop: z.strictObject({ nonces: z.enum(DPOP_NONCE_POLICIES) }),
  idTokenClaims: z.enum(ID_TOKEN_CLAIMS),
  // Names are checked below, where the message can name the claim (zod reports bad record keys vaguely).
  customClaims: z.record(
    z.string(),
    z.strictObject({
      type: z.enum(['string', 'number', 'boolean', 'string[]']),
      scope: z.string().regex(/^[a-z][a-z0-9_:.-]{0,39}$/, 'scope names are lower-case letters, digits and _ : . -')
        .refine((scope) => scope !== 'openid' && scope !== 'offline_access', 'openid and offline_access release no claims of their own'),
      description: z.string().max(200).optional(),
    }),
  ),
  registrationPolicies: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'policy names are lower-case letters, digits and dashes'),
    z.strictObject({
      grantTypes: z.array(z.enum(REGISTRATION_GRANT_TYPES)).min(1),
      scopes: z.array(z.string().min(1)).min(1),
    }),
  ),
  argon2: z.strictObject({
    // OWASP's floor for argon2id: 19 MiB, two passes, one lane.
    memoryKiB: z.number().int().min(19456),
    timeCost: z.number().int().min(2),
    parallelism: z.number().int().min(1),
  }),
  password: z.strictObject({ minLength: z.number().int().min(8), maxLength: z.number().int().max(4096) }),
  bruteForce: z.strictObject({
    pairFailures: z.number().int().min(1),
    pairWindowSeconds: positiveSeconds,
    accountFailures: z.number().int().min(1),
    accountWindowSeconds: positiveSeconds,
    accountMaxDelaySeconds: positiveSeconds,
    addressFailures: z.number().int().min(1),
    addressWindowSeconds: positiveSeconds,
  }),
  rateLimit: z.strictObject({
    interactionPostsPerMinute: z.number().int().min(1),
    authorizationRequestsPerMinute: z.number().int().min(1),
    tokenRequestsPerMinute: z.number().int().min(1),
  }),
  totpIssuer: z.string().min(1),
  branding: z.strictObject({ name: z.string().min(1).max(60), accentColor: z.string(), logoFile: z.string().optional() }),
  passwordReset: z.strictObject({ ttlSeconds: z.number().int().min(60).max(86_400), mailIntervalSeconds: z.number().int().min(1) }),
  signingKeys: z.strictObject({
    // 0: no scheduled rotation (keys rotate only with `latchkey keys rotate`).
    rotateAfterDays: z.number().int().min(0),
    jwksMaxAgeSeconds: z.number().int().min(0).max(86_400),
    prepublishMarginSeconds: z.number().int().min(0),
    refreshSeconds: z.number().int().min(1).max(3600),
  }),
  audit: z.strictObject({
    retentionDays: z.number().int().min(1),
    flushIntervalMs: z.number().int().min(10),
    batchSize: z.number().int().min(1),
    maxBuffered: z.number().int().min(100),
    queryTimeoutMs: z.number().int().min(100).max(60_000),
    storage: z.record(z.string().min(1), z.enum(AUDIT_STORAGE_CLASSES)),
  }),
}).superRefine((defaults, ctx) => {
  for (const name of Object.keys(defaults.customClaims)) {
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(name)) {
      ctx.addIssue({ code: 'custom', path: ['customClaims', name], message: 'claim names are lower-case letters, digits and underscores' });
    } else if (RESERVED_CLAIMS.has(name)) {
      ctx.addIssue({ code: 'custom', path: ['customClaims', name], message: `${name} is a standard or protocol claim; choose another name` });
    }
  }
  for (const [name, policy] of Object.entries(defaults.registrationPolicies)) {
    for (const scope of policy.scopes) {
      if (!defaults.scopes.includes(scope)) {
        ctx.addIssue({ code: 'custom', path: ['registrationPolicies', name, 'scopes'], message: `${scope} is not one of the configured scopes` });
      }
    }
  }
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

/** The values config/.env.example shows, which must never reach production. */
function readExampleValues(file: URL | string = EXAMPLE_ENV_FILE): Readonly<Record<string, string>> {
  try {
    const entries = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1] ?? '', (match[2] ?? '').trim()] as const);
    return Object.fromEntries(entries.filter(([, value]) => value !== ''));
  } catch {
    // An image without the example file still gets every other check.
    return {};
  }
}

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

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function readIssuer(env: Env, port: number, mode: RuntimeMode): string {
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
  // Cookies, codes and tokens would cross the network in the clear.
  if (mode === 'production' && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError('ISSUER', 'must use https in production (http is only allowed for loopback addresses)');
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

/**
 * WEB_CONCURRENCY: worker processes in one container, sharing the port. Production defaults to
 * one per CPU; development and tests to one. Several need the shared stores: in-memory ones are
 * per process, so sessions made by one worker would be unknown to the next.
 */
function readWebConcurrency(env: Env, mode: RuntimeMode): number {
  const raw = (env.WEB_CONCURRENCY ?? '').trim();
  const sharedStores = Boolean(env.REDIS_URL) && Boolean(env.MONGODB_URI);
  // Without shared stores production refuses to start anyway (REQUIRED_IN_PRODUCTION says why).
  if (raw === '') return mode === 'production' && sharedStores ? availableParallelism() : 1;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 64) throw new ConfigError('WEB_CONCURRENCY', `must be a whole number of workers from 1 to 64, got "${raw}"`);
  if (count > 1 && !sharedStores) throw new ConfigError('WEB_CONCURRENCY', 'more than one worker needs REDIS_URL and MONGODB_URI (in-memory stores are per process)');
  return count;
}

function readRedisCluster(env: Env): boolean {
  const raw = (env.REDIS_CLUSTER ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError('REDIS_CLUSTER', 'must be true or false');
}

/**
 * REDIS_URL: one server's URL; with REDIS_CLUSTER=true, one or more cluster nodes separated by
 * commas (any of them: the client learns the rest). A cluster has only database 0.
 */
function readRedisUrl(env: Env, cluster: boolean): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!cluster && raw.includes(',')) throw new ConfigError('REDIS_URL', 'names several servers: set REDIS_CLUSTER=true for a Redis Cluster');
  const urls = cluster ? raw.split(',').map((url) => url.trim()) : [raw];
  for (const url of urls) {
    readUrl({ REDIS_URL: url }, 'REDIS_URL', ['redis:', 'rediss:']);
    if (cluster && !['', '/', '/0'].includes(new URL(url).pathname)) throw new ConfigError('REDIS_URL', 'a Redis Cluster has only database 0: leave the /<db> off');
  }
  return urls.join(',');
}

// Resource servers may ask for access tokens of up to a day (resources/resource-service.ts).
const LONGEST_RESOURCE_TOKEN_SECONDS = 86_400;

function buildSigningKeys(defaults: ConfigDefaults, rotateAfterDays: number): SigningKeyConfig {
  const { signingKeys: keys, ttl } = defaults;
  return Object.freeze({
    jwksMaxAgeSeconds: keys.jwksMaxAgeSeconds,
    // A new key is published for one whole JWKS cache period (plus a margin, and the time
    // instances take to read it) before it signs.
    prepublishSeconds: keys.jwksMaxAgeSeconds + keys.prepublishMarginSeconds + keys.refreshSeconds,
    // Nothing a key signed outlives the longest token lifetime (JWT access and ID tokens).
    retireAfterSeconds: Math.max(ttl.accessTokenSeconds, ttl.idTokenSeconds, ttl.clientCredentialsSeconds, LONGEST_RESOURCE_TOKEN_SECONDS),
    rotateAfterSeconds: rotateAfterDays * 86_400,
    refreshSeconds: keys.refreshSeconds,
  });
}

/** KEY_ROTATION_DAYS: how often signing keys rotate by themselves (0: only by hand). */
function readSigningKeys(env: Env, defaults: ConfigDefaults): SigningKeyConfig {
  const raw = (env.KEY_ROTATION_DAYS ?? '').trim();
  if (raw === '') return buildSigningKeys(defaults, defaults.signingKeys.rotateAfterDays);
  if (!/^\d+$/.test(raw)) throw new ConfigError('KEY_ROTATION_DAYS', `must be a whole number of days (0: rotate by hand only), got "${raw}"`);
  return buildSigningKeys(defaults, Number(raw));
}

const MIN_COOKIE_KEY_LENGTH = 32;
const MIN_SECRET_BITS = 128;

/** Production secrets must not be the shipped example, a placeholder, or guessable. */
function checkSecretText(name: string, secret: string, example: string | undefined): void {
  if (example !== undefined && example.split(',').map((item) => item.trim()).includes(secret)) {
    throw new ConfigError(name, 'is the example value from config/.env.example; generate your own (`openssl rand -base64 32`)');
  }
  if (looksLikePlaceholder(secret)) throw new ConfigError(name, 'looks like a placeholder; generate a random value (`openssl rand -base64 32`)');
  if (estimatedTextBits(secret) < MIN_SECRET_BITS) {
    throw new ConfigError(name, 'is too weak for production; use at least 32 random characters (`openssl rand -base64 32`)');
  }
}

function readCookieKeys(env: Env, mode: RuntimeMode, examples: Readonly<Record<string, string>>): AppConfig['cookieKeys'] {
  const raw = env.COOKIE_KEYS;
  if (raw === undefined || raw.trim() === '') {
    return { value: [randomBytes(32).toString('base64url')], generated: true };
  }
  const keys = raw.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
  if (keys.length === 0) throw new ConfigError('COOKIE_KEYS', 'must list at least one key');
  if (keys.some((key) => key.length < MIN_COOKIE_KEY_LENGTH)) {
    throw new ConfigError('COOKIE_KEYS', `every key must be at least ${MIN_COOKIE_KEY_LENGTH} characters`);
  }
  if (mode === 'production') for (const key of keys) checkSecretText('COOKIE_KEYS', key, examples.COOKIE_KEYS);
  return { value: keys, generated: false };
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
/** The id of a DATA_ENCRYPTION_KEY written without one (the form before key rotation existed). */
export const UNNAMED_DATA_KEY_ID = 'default';

function decodeDataKey(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new ConfigError('DATA_ENCRYPTION_KEY', 'must be base64 (e.g. `openssl rand -base64 32`)');
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('DATA_ENCRYPTION_KEY', `must decode to 32 bytes, got ${key.length}`);
  return key;
}

/**
 * DATA_ENCRYPTION_KEY is one base64 key, or a comma-separated list of `id:base64` keys: the first
 * encrypts, all decrypt, so a new key can be put in front while data still sits under the old.
 */
function readDataEncryptionKeys(env: Env, mode: RuntimeMode, examples: Readonly<Record<string, string>>): AppConfig['dataEncryptionKeys'] {
  const raw = env.DATA_ENCRYPTION_KEY;
  if (raw === undefined || raw.trim() === '') {
    return { value: [{ id: UNNAMED_DATA_KEY_ID, key: randomBytes(32) }], generated: true };
  }
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  const keys: DataKey[] = entries.map((entry) => {
    const separator = entry.indexOf(':');
    if (separator === -1) {
      if (entries.length > 1) throw new ConfigError('DATA_ENCRYPTION_KEY', 'with several keys, write each as id:base64 (the first encrypts)');
      return { id: UNNAMED_DATA_KEY_ID, key: decodeDataKey(entry) };
    }
    const id = entry.slice(0, separator);
    if (!KEY_ID.test(id)) throw new ConfigError('DATA_ENCRYPTION_KEY', 'key ids are 1 to 32 letters, digits, dashes or underscores');
    return { id, key: decodeDataKey(entry.slice(separator + 1)) };
  });
  if (new Set(keys.map((key) => key.id)).size !== keys.length) throw new ConfigError('DATA_ENCRYPTION_KEY', 'lists a key id twice');
  if (mode === 'production') {
    const exampleKeys = (examples.DATA_ENCRYPTION_KEY ?? '').split(',').map((entry) => entry.slice(entry.indexOf(':') + 1).trim());
    for (const { key } of keys) {
      if (exampleKeys.includes(key.toString('base64'))) {
        throw new ConfigError('DATA_ENCRYPTION_KEY', 'is the example value from config/.env.example; generate your own (`openssl rand -base64 32`)');
      }
      if (distinctBytes(key) < 16) throw new ConfigError('DATA_ENCRYPTION_KEY', 'is not random enough; generate it with `openssl rand -base64 32`');
    }
  }
  return { value: keys, generated: false };
}

const TRUST_PROXY_HELP = 'must be false, true (one proxy), a hop count, or a comma-separated list of proxy addresses or CIDR ranges';

function toTrustProxy(value: boolean | number | readonly string[], source: string): TrustProxy {
  if (value === false || value === 0) return { kind: 'none' };
  if (value === true) return { kind: 'hops', hops: 1 };
  if (typeof value === 'number') return { kind: 'hops', hops: value };
  const ranges = value.map((entry) => entry.trim()).filter(Boolean);
  if (ranges.length === 0) throw new ConfigError(source, TRUST_PROXY_HELP);
  const check = new BlockList();
  for (const range of ranges) {
    const [address = '', prefix, ...rest] = range.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    const valid = family !== 0 && rest.length === 0 && Number.isInteger(bits) && bits >= 0 && bits <= (family === 6 ? 128 : 32);
    if (!valid) throw new ConfigError(source, `${TRUST_PROXY_HELP}; "${range}" is neither`);
    check.addSubnet(address, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { kind: 'addresses', ranges };
}

function readTrustProxy(env: Env, fallback: ConfigDefaults['trustProxy']): TrustProxy {
  const raw = env.TRUST_PROXY?.trim();
  if (raw === undefined || raw === '') return toTrustProxy(fallback, 'config/defaults.json trustProxy');
  const lower = raw.toLowerCase();
  if (['true', 'yes'].includes(lower)) return toTrustProxy(true, 'TRUST_PROXY');
  if (['false', 'no'].includes(lower)) return toTrustProxy(false, 'TRUST_PROXY');
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) throw new ConfigError('TRUST_PROXY', `${TRUST_PROXY_HELP}; ${hops} hops is more than any real chain of proxies`);
    return toTrustProxy(hops, 'TRUST_PROXY');
  }
  if (!/[.:]/.test(raw)) throw new ConfigError('TRUST_PROXY', `${TRUST_PROXY_HELP}, got "${raw}"`);
  return toTrustProxy(raw.split(','), 'TRUST_PROXY');
}

function readMetrics(env: Env, mode: RuntimeMode, examples: Readonly<Record<string, string>>): AppConfig['metrics'] {
  const token = env.METRICS_TOKEN?.trim() || undefined;
  if (token !== undefined) {
    if (token.length < 32) throw new ConfigError('METRICS_TOKEN', 'must be at least 32 characters');
    if (mode === 'production') checkSecretText('METRICS_TOKEN', token, examples.METRICS_TOKEN);
  }
  const listenRaw = env.METRICS_LISTEN?.trim() || undefined;
  let listen: AppConfig['metrics']['listen'];
  if (listenRaw !== undefined) {
    const match = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(listenRaw);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new ConfigError('METRICS_LISTEN', `must be [host:]port, e.g. 127.0.0.1:9464, got "${listenRaw}"`);
    listen = { host: (match[1] ?? '0.0.0.0').replace(/^\[|\]$/g, ''), port };
  }
  return { token, listen };
}

/**
 * Tracing is on when OTLP has somewhere to send spans. The endpoints are checked here, so a typo
 * is a start-up error rather than spans silently lost; OTEL_SDK_DISABLED=true turns it off.
 */
function readTracing(env: Env): boolean {
  const endpoints = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'].filter((name) => readUrl(env, name, ['http:', 'https:']) !== undefined);
  return endpoints.length > 0 && (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() !== 'true';
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

const AUDIT_STORAGE_HELP = 'must be a comma-separated list of type=class (class: durable, batched or log; type: an event type such as token.issued, or * for the rest)';

/** AUDIT_STORAGE overrides audit.storage per type, so an image's defaults need no edit. */
function readAuditStorage(env: Env, fallback: AppConfig['audit']['storage']): AppConfig['audit']['storage'] {
  const raw = env.AUDIT_STORAGE?.trim();
  if (raw === undefined || raw === '') return Object.freeze({ ...fallback });
  const storage: Record<string, AuditStorage> = { ...fallback };
  for (const entry of raw.split(',')) {
    const [type = '', storageClass = '', ...rest] = entry.split('=').map((part) => part.trim());
    const known = AUDIT_STORAGE_CLASSES.find((candidate) => candidate === storageClass);
    if (rest.length > 0 || !/^(\*|[a-z_]+(\.[a-z_]+)*)$/.test(type) || !known) {
      throw new ConfigError('AUDIT_STORAGE', `${AUDIT_STORAGE_HELP}; "${entry.trim()}" is not`);
    }
    storage[type] = known;
  }
  return Object.freeze(storage);
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const known = choices.find((candidate) => candidate === raw);
  if (!known) throw new ConfigError(name, `must be ${choices.join(' or ')}; got "${raw}"`);
  return known;
}

const LOGO_TYPES: Readonly<Record<string, string>> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml' };
const MAX_LOGO_BYTES = 256 * 1024;

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const channel = (offset: number): number => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function readBranding(env: Env, defaults: { name: string; accentColor: string; logoFile?: string | undefined }, cwd: string): AppConfig['branding'] {
  const name = env.BRAND_NAME?.trim() || defaults.name;
  if (name.length > 60) throw new ConfigError('BRAND_NAME', 'must be at most 60 characters');
  const accentColor = (env.BRAND_COLOR?.trim() || defaults.accentColor).toLowerCase();
  if (!/^#[0-9a-f]{6}$/.test(accentColor)) throw new ConfigError('BRAND_COLOR', 'must be a colour like #2f5bd3');
  // White text on the accent colour (buttons) must stay readable: WCAG AA asks for 4.5:1.
  const contrast = 1.05 / (luminance(accentColor) + 0.05);
  if (contrast < 4.5) throw new ConfigError('BRAND_COLOR', `gives white text a contrast of ${contrast.toFixed(2)}:1; WCAG AA needs 4.5:1, so choose a darker colour`);
  const logoFile = env.BRAND_LOGO_FILE?.trim() || defaults.logoFile;
  if (!logoFile) return Object.freeze({ name, accentColor, logoDataUri: undefined });
  const path = isAbsolute(logoFile) ? logoFile : resolve(cwd, logoFile);
  const type = LOGO_TYPES[extname(path).toLowerCase()];
  if (!type) throw new ConfigError('BRAND_LOGO_FILE', 'must be a .png, .jpg or .svg file');
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ConfigError('BRAND_LOGO_FILE', `cannot be read (${logoFile})`);
  }
  if (bytes.length > MAX_LOGO_BYTES) throw new ConfigError('BRAND_LOGO_FILE', 'must be at most 256 KiB (it is embedded in every page)');
  return Object.freeze({ name, accentColor, logoDataUri: `data:${type};base64,${bytes.toString('base64')}` });
}

function readMail(env: Env): AppConfig['mail'] {
  const smtpUrl = readUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const raw = env.MAIL_FROM?.trim();
  let from = raw && raw !== '' ? raw : undefined;
  if (from === undefined) {
    let host = 'localhost';
    try {
      host = new URL(env.ISSUER ?? 'http://localhost').hostname;
    } catch {
      // ISSUER's own check reports a bad value.
    }
    from = `Latchkey <no-reply@${host}>`;
  } else if (!/^[^<>@\s]*@[^<>@\s]+$|^[^<>]*<[^<>@\s]+@[^<>@\s]+>$/.test(from)) {
    throw new ConfigError('MAIL_FROM', 'must be an address (no-reply@example.com) or a name and address (Example <no-reply@example.com>)');
  }
  return Object.freeze({ smtpUrl, from });
}

function readPrivateNetworkHosts(env: Env): readonly string[] {
  const raw = env.PRIVATE_NETWORK_HOSTS?.trim();
  if (raw === undefined || raw === '') return Object.freeze([]);
  const hosts = raw.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  for (const host of hosts) {
    if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/.test(host) && !/^\[[0-9a-f:]+\](:\d{1,5})?$/.test(host)) {
      throw new ConfigError('PRIVATE_NETWORK_HOSTS', `takes host or host:port entries separated by commas; "${host}" is not one`);
    }
  }
  return Object.freeze(hosts);
}

// Claims a custom attribute may not shadow: the standard ones (Core 5.1) and the protocol's.
const RESERVED_CLAIMS = new Set([
  'sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address',
  'updated_at', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'auth_time', 'nonce', 'acr', 'amr', 'azp', 'sid', 'at_hash', 'c_hash',
  'scope', 'client_id', 'cnf', 'act', 'events',
]);

// Production never falls back to generated secrets or in-memory stores: each would lose data or
// sessions silently on restart, or differ between instances behind a load balancer.
const REQUIRED_IN_PRODUCTION = ['MONGODB_URI', 'REDIS_URL', 'COOKIE_KEYS', 'DATA_ENCRYPTION_KEY'] as const;

export interface LoadConfigOptions {
  readonly defaults?: ConfigDefaults;
  readonly cwd?: string;
  /**
   * The admin CLI runs single commands (some need no database at all), so it checks each
   * service when the command uses it instead of demanding all of them up front.
   */
  readonly requireProductionServices?: boolean;
  /** config/.env.example, whose values production refuses. */
  readonly exampleEnvFile?: URL | string;
}

/**
 * The only reader of process.env: validates everything once and returns a frozen config, or
 * throws one ConfigError that lists every problem found.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): AppConfig {
  const defaults = options.defaults ?? loadDefaults();
  const examples = readExampleValues(options.exampleEnvFile);
  const cwd = options.cwd ?? process.cwd();
  const mode = readMode(env);
  const problems: ConfigProblem[] = [];
  // Each setting is read on its own, so that one bad value does not hide the next.
  const read = <T>(reader: () => T, fallback: T): T => {
    try {
      return reader();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return fallback;
    }
  };

  if (mode === 'production' && options.requireProductionServices !== false) {
    for (const name of REQUIRED_IN_PRODUCTION) {
      if ((env[name] ?? '').trim() === '') problems.push({ variable: name, problem: 'is required when NODE_ENV=production' });
    }
  }
  const port = read(() => readPort(env, defaults.port), defaults.port);
  // Read once: REDIS_URL's form depends on it, and a bad value is one problem, not two.
  const redisCluster = read(() => readRedisCluster(env), false);
  const webConcurrency = read(() => readWebConcurrency(env, mode), 1);
  const keysDir = env.KEYS_DIR && env.KEYS_DIR !== '' ? env.KEYS_DIR : defaults.keysDir;
  const config: AppConfig = {
    mode,
    port,
    issuer: read(() => readIssuer(env, port, mode), ''),
    mongodbUri: read(() => readUrl(env, 'MONGODB_URI', ['mongodb:', 'mongodb+srv:']), undefined),
    redisUrl: read(() => readRedisUrl(env, redisCluster), undefined),
    redisCluster,
    redisKeyPrefix: defaults.redisKeyPrefix,
    clientCacheSeconds: defaults.clientCacheSeconds,
    cookieKeys: read(() => readCookieKeys(env, mode, examples), { value: [], generated: false }),
    keysDir: isAbsolute(keysDir) ? keysDir : resolve(cwd, keysDir),
    dataEncryptionKeys: read(() => readDataEncryptionKeys(env, mode, examples), { value: [], generated: false }),
    trustProxy: read(() => readTrustProxy(env, defaults.trustProxy), { kind: 'none' }),
    metrics: read(() => readMetrics(env, mode, examples), { token: undefined, listen: undefined }),
    logLevel: read(() => readLogLevel(env, defaults.logLevel), defaults.logLevel),
    shutdownTimeoutSeconds: defaults.shutdownTimeoutSeconds,
    webConcurrency,
    tracing: read(() => readTracing(env), false),
    ttl: Object.freeze({ ...defaults.ttl }),
    scopes: Object.freeze([...new Set([...defaults.scopes, ...Object.values(defaults.customClaims).map((claim) => claim.scope)])]),
    customClaims: Object.freeze(Object.fromEntries(Object.entries(defaults.customClaims).map(([name, claim]) => [name, Object.freeze({ ...claim })]))),
    privateNetworkHosts: read(() => readPrivateNetworkHosts(env), Object.freeze([])),
    idTokenClaims: read(() => readChoice(env, 'ID_TOKEN_CLAIMS', ID_TOKEN_CLAIMS, defaults.idTokenClaims), defaults.idTokenClaims),
    pkce: Object.freeze({ confidentialClients: read(() => readChoice(env, 'PKCE_CONFIDENTIAL_CLIENTS', PKCE_POLICIES, defaults.pkce.confidentialClients), defaults.pkce.confidentialClients) }),
    dpop: Object.freeze({ nonces: read(() => readChoice(env, 'DPOP_NONCES', DPOP_NONCE_POLICIES, defaults.dpop.nonces), defaults.dpop.nonces) }),
    registrationPolicies: Object.freeze(Object.fromEntries(Object.entries(defaults.registrationPolicies).map(([name, policy]) => [
      name,
      Object.freeze({ grantTypes: Object.freeze([...policy.grantTypes]), scopes: Object.freeze([...policy.scopes]) }),
    ]))),
    argon2: Object.freeze({ ...defaults.argon2 }),
    passwordHashConcurrency: Math.max(1, Math.floor(availableParallelism() / webConcurrency)),
    password: Object.freeze({ ...defaults.password }),
    bruteForce: Object.freeze({ ...defaults.bruteForce }),
    rateLimit: Object.freeze({
      interactionPostsPerMinute: read(() => readPositiveInteger(env, 'RATE_LIMIT_INTERACTION_PER_MINUTE', defaults.rateLimit.interactionPostsPerMinute), 0),
      authorizationRequestsPerMinute: read(() => readPositiveInteger(env, 'RATE_LIMIT_AUTHORIZATION_PER_MINUTE', defaults.rateLimit.authorizationRequestsPerMinute), 0),
      tokenRequestsPerMinute: read(() => readPositiveInteger(env, 'RATE_LIMIT_TOKEN_PER_MINUTE', defaults.rateLimit.tokenRequestsPerMinute), 0),
    }),
    totpIssuer: defaults.totpIssuer,
    branding: read(() => readBranding(env, defaults.branding, cwd), { name: defaults.branding.name, accentColor: '#2f5bd3', logoDataUri: undefined }),
    mail: read(() => readMail(env), { smtpUrl: undefined, from: 'Latchkey <no-reply@localhost>' }),
    passwordReset: Object.freeze({ ...defaults.passwordReset }),
    signingKeys: read(() => readSigningKeys(env, defaults), buildSigningKeys(defaults, defaults.signingKeys.rotateAfterDays)),
    audit: Object.freeze({ ...defaults.audit, storage: read(() => readAuditStorage(env, defaults.audit.storage), Object.freeze({ ...defaults.audit.storage })) }),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
