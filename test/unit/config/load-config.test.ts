import { availableParallelism } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, loadDefaults } from '../../../src/config/load-config.js';

const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  ISSUER: 'https://id.example.org',
  MONGODB_URI: 'mongodb://db.internal:27017/latchkey',
  REDIS_URL: 'redis://cache.internal:6379/0',
  COOKIE_KEYS: `${randomBytes(32).toString('base64url')},${randomBytes(32).toString('base64url')}`,
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
};

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives a development config with in-memory stores and generated secrets when nothing is set', () => {
    const config = loadConfig({}, { cwd: '/srv/latchkey' });
    expect(config.mode).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.mongodbUri).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.keysDir).toBe('/srv/latchkey/keys');
    expect(config.cookieKeys.generated).toBe(true);
    expect(config.dataEncryptionKeys.generated).toBe(true);
    expect(config.dataEncryptionKeys.value.map((key) => [key.id, key.key.length])).toEqual([['default', 32]]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('derives the issuer from PORT and strips a trailing slash from ISSUER', () => {
    expect(loadConfig({ PORT: '8080' }).issuer).toBe('http://localhost:8080');
    expect(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer).toBe('https://id.example.com');
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig({ ...PRODUCTION_ENV, TRUST_PROXY: 'true', LOG_LEVEL: 'warn', KEYS_DIR: '/etc/latchkey/keys' });
    expect(config.mode).toBe('production');
    expect(config.cookieKeys).toEqual({ value: PRODUCTION_ENV.COOKIE_KEYS.split(','), generated: false });
    expect(config.dataEncryptionKeys.generated).toBe(false);
    expect(config.trustProxy).toEqual({ kind: 'hops', hops: 1 });
    expect(config.logLevel).toBe('warn');
    expect(config.keysDir).toBe('/etc/latchkey/keys');
  });

  it.each(['MONGODB_URI', 'REDIS_URL', 'COOKIE_KEYS', 'DATA_ENCRYPTION_KEY'] as const)(
    'refuses production without %s and names it',
    (missing) => {
      const env: Record<string, string> = { ...PRODUCTION_ENV };
      delete env[missing];
      const error = errorOf(() => loadConfig(env));
      expect(error.variable).toBe(missing);
      expect(error.message).toBe(`${missing}: is required when NODE_ENV=production`);
    },
  );

  it('lets the admin CLI load a production config without every service', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, { requireProductionServices: false }).mode).toBe('production');
  });

  it.each([
    ['PORT', 'eighty', 'PORT: must be an integer from 0 to 65535, got "eighty"'],
    ['PORT', '70000', 'PORT: must be an integer from 0 to 65535, got "70000"'],
    ['ISSUER', 'id.example.com', 'ISSUER: must be an absolute URL, got "id.example.com"'],
    ['ISSUER', 'ftp://id.example.com', 'ISSUER: must use https (or http for local development)'],
    ['ISSUER', 'https://id.example.com/?x=1', 'ISSUER: must not contain a query or fragment'],
    ['MONGODB_URI', 'postgres://db', 'MONGODB_URI: must start with mongodb:// or mongodb+srv://'],
    ['REDIS_URL', 'http://cache', 'REDIS_URL: must start with redis:// or rediss://'],
    ['REDIS_URL', 'redis://a:6379,redis://b:6379', 'REDIS_URL: names several servers: set REDIS_CLUSTER=true for a Redis Cluster'],
    ['REDIS_CLUSTER', 'yes', 'REDIS_CLUSTER: must be true or false'],
    ['WEB_CONCURRENCY', 'many', 'WEB_CONCURRENCY: must be a whole number of workers from 1 to 64, got "many"'],
    ['WEB_CONCURRENCY', '2', 'WEB_CONCURRENCY: more than one worker needs REDIS_URL and MONGODB_URI (in-memory stores are per process)'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector port 4318', 'OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://collector:4317', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must start with http:// or https://'],
    ['KEY_ROTATION_DAYS', 'quarterly', 'KEY_ROTATION_DAYS: must be a whole number of days (0: rotate by hand only), got "quarterly"'],
    ['COOKIE_KEYS', 'short', 'COOKIE_KEYS: every key must be at least 32 characters'],
    ['DATA_ENCRYPTION_KEY', 'not base64!', 'DATA_ENCRYPTION_KEY: must be base64 (e.g. `openssl rand -base64 32`)'],
    ['DATA_ENCRYPTION_KEY', Buffer.alloc(16).toString('base64'), 'DATA_ENCRYPTION_KEY: must decode to 32 bytes, got 16'],
    ['TRUST_PROXY', 'maybe', 'TRUST_PROXY: must be false, true (one proxy), a hop count, or a comma-separated list of proxy addresses or CIDR ranges, got "maybe"'],
    ['TRUST_PROXY', '10.0.0.0/33', 'TRUST_PROXY: must be false, true (one proxy), a hop count, or a comma-separated list of proxy addresses or CIDR ranges; "10.0.0.0/33" is neither'],
    ['DATA_ENCRYPTION_KEY', `${Buffer.alloc(32, 1).toString('base64')},${Buffer.alloc(32, 2).toString('base64')}`, 'DATA_ENCRYPTION_KEY: with several keys, write each as id:base64 (the first encrypts)'],
    ['DATA_ENCRYPTION_KEY', `a:${Buffer.alloc(32, 1).toString('base64')},a:${Buffer.alloc(32, 2).toString('base64')}`, 'DATA_ENCRYPTION_KEY: lists a key id twice'],
    ['METRICS_LISTEN', 'nowhere', 'METRICS_LISTEN: must be [host:]port, e.g. 127.0.0.1:9464, got "nowhere"'],
    ['METRICS_TOKEN', 'short', 'METRICS_TOKEN: must be at least 32 characters'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    ['RATE_LIMIT_TOKEN_PER_MINUTE', '0', 'RATE_LIMIT_TOKEN_PER_MINUTE: must be a positive whole number, got "0"'],
  ])('rejects %s=%s with one line naming it', (name, value, message) => {
    expect(errorOf(() => loadConfig({ [name]: value })).message).toBe(message);
  });

  it('derives the signing key schedule: published a JWKS cache period (plus margin and refresh) before signing, retired a day after, rotating every KEY_ROTATION_DAYS', () => {
    expect(loadConfig({}).signingKeys).toEqual({ jwksMaxAgeSeconds: 600, prepublishSeconds: 960, retireAfterSeconds: 86_400, rotateAfterSeconds: 90 * 86_400, refreshSeconds: 60 });
    expect(loadConfig({ KEY_ROTATION_DAYS: '0' }).signingKeys.rotateAfterSeconds).toBe(0);
    expect(loadConfig({ KEY_ROTATION_DAYS: '30' }).signingKeys.rotateAfterSeconds).toBe(30 * 86_400);
  });

  it('runs one worker per CPU in production with shared stores, one elsewhere, or WEB_CONCURRENCY', () => {
    const stores = { REDIS_URL: 'redis://cache:6379', MONGODB_URI: 'mongodb://db/latchkey' };
    expect(loadConfig({ ...stores }).webConcurrency).toBe(1);
    expect(loadConfig({ ...stores, WEB_CONCURRENCY: '3' }).webConcurrency).toBe(3);
    expect(loadConfig({ ...stores, NODE_ENV: 'production' }, { requireProductionServices: false }).webConcurrency).toBe(availableParallelism());
  });

  it("gives each worker its share of the CPUs for argon2, at least one", () => {
    const stores = { REDIS_URL: 'redis://cache:6379', MONGODB_URI: 'mongodb://db/latchkey' };
    expect(loadConfig({ ...stores }).passwordHashConcurrency).toBe(availableParallelism());
    expect(loadConfig({ ...stores, WEB_CONCURRENCY: '2' }).passwordHashConcurrency).toBe(Math.max(1, Math.floor(availableParallelism() / 2)));
    expect(loadConfig({ ...stores, WEB_CONCURRENCY: '64' }).passwordHashConcurrency).toBe(1);
  });

  it('traces when an OTLP endpoint is set, unless OTEL_SDK_DISABLED=true', () => {
    expect(loadConfig({}).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing).toBe(false);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces' }).tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBe(false);
  });

  it('reads a Redis Cluster as REDIS_CLUSTER=true and its seed nodes in REDIS_URL, database 0 only', () => {
    const config = loadConfig({ REDIS_CLUSTER: 'true', REDIS_URL: 'redis://10.0.0.1:7000, rediss://user:pw@10.0.0.2:7001' });
    expect(config).toMatchObject({ redisCluster: true, redisUrl: 'redis://10.0.0.1:7000,rediss://user:pw@10.0.0.2:7001' });
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379/2' })).toMatchObject({ redisCluster: false, redisUrl: 'redis://cache:6379/2' });
    expect(errorOf(() => loadConfig({ REDIS_CLUSTER: 'true', REDIS_URL: 'redis://10.0.0.1:7000/3' })).message).toBe('REDIS_URL: a Redis Cluster has only database 0: leave the /<db> off');
    expect(errorOf(() => loadConfig({ REDIS_CLUSTER: 'true', REDIS_URL: 'redis://10.0.0.1:7000,http://x' })).message).toBe('REDIS_URL: must start with redis:// or rediss://');
    // A bad switch is one problem, even with REDIS_URL set (it used to be listed twice).
    expect(errorOf(() => loadConfig({ REDIS_CLUSTER: 'yes', REDIS_URL: 'redis://10.0.0.1:7000' })).message).toBe('REDIS_CLUSTER: must be true or false');
  });

  it.each([
    ['false', { kind: 'none' }],
    ['true', { kind: 'hops', hops: 1 }],
    ['2', { kind: 'hops', hops: 2 }],
    ['0', { kind: 'none' }],
    ['10.0.0.0/8, 192.168.1.10,2001:db8::/32', { kind: 'addresses', ranges: ['10.0.0.0/8', '192.168.1.10', '2001:db8::/32'] }],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('reads a rotated DATA_ENCRYPTION_KEY list: the first encrypts', () => {
    const [k2, k1] = [randomBytes(32), randomBytes(32)];
    const config = loadConfig({ DATA_ENCRYPTION_KEY: `k2:${k2.toString('base64')}, k1:${k1.toString('base64')}` });
    expect(config.dataEncryptionKeys.value).toEqual([{ id: 'k2', key: k2 }, { id: 'k1', key: k1 }]);
  });

  it('reads the metrics settings', () => {
    const token = randomBytes(32).toString('base64url');
    expect(loadConfig({ METRICS_TOKEN: token, METRICS_LISTEN: '127.0.0.1:9464' }).metrics).toEqual({ token, listen: { host: '127.0.0.1', port: 9464 } });
    expect(loadConfig({ METRICS_LISTEN: '9464' }).metrics.listen).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('lets AUDIT_STORAGE override how event types are kept, over the defaults', () => {
    const defaults = loadConfig({}).audit.storage;
    expect(defaults['token.issued']).toBe('log');
    const storage = loadConfig({ AUDIT_STORAGE: ' token.issued = batched , authorization.success=log,*=durable' }).audit.storage;
    expect(storage).toEqual({ ...defaults, 'token.issued': 'batched', 'authorization.success': 'log', '*': 'durable' });
  });

  it.each(['token.issued=kept', 'token.issued', 'Token.Issued=log', 'token.issued=log=x', '=log'])('refuses AUDIT_STORAGE %p and says what it takes', (value) => {
    expect(errorOf(() => loadConfig({ AUDIT_STORAGE: value })).message).toMatch(/^AUDIT_STORAGE: must be a comma-separated list of type=class .*; ".*" is not$/);
  });

  it('reads the PKCE default, the ID token claims policy and the private network hosts', () => {
    expect(loadConfig({})).toMatchObject({ pkce: { confidentialClients: 'optional' }, dpop: { nonces: 'required' }, idTokenClaims: 'conform', privateNetworkHosts: [] });
    expect(loadConfig({ PKCE_CONFIDENTIAL_CLIENTS: 'required', DPOP_NONCES: 'optional', ID_TOKEN_CLAIMS: 'scopes', PRIVATE_NETWORK_HOSTS: 'RP.internal:8443, 10.0.0.5,[::1]:443' }))
      .toMatchObject({ pkce: { confidentialClients: 'required' }, dpop: { nonces: 'optional' }, idTokenClaims: 'scopes', privateNetworkHosts: ['rp.internal:8443', '10.0.0.5', '[::1]:443'] });
  });

  it('reads the branding, embeds the logo, and refuses an accent colour white text cannot be read on', () => {
    expect(loadConfig({}).branding).toEqual({ name: 'Latchkey', accentColor: '#2f5bd3', logoDataUri: undefined });
    const logo = join(tmpdir(), `latchkey-logo-${process.pid}.svg`);
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
    try {
      const branding = loadConfig({ BRAND_NAME: 'Acme ID', BRAND_COLOR: '#0B6E4F', BRAND_LOGO_FILE: logo }).branding;
      expect(branding).toMatchObject({ name: 'Acme ID', accentColor: '#0b6e4f' });
      expect(branding.logoDataUri).toMatch(/^data:image\/svg\+xml;base64,/);
    } finally {
      rmSync(logo);
    }
    expect(errorOf(() => loadConfig({ BRAND_COLOR: '#ffcc00' })).message).toMatch(/^BRAND_COLOR: gives white text a contrast of 1\.\d+:1; WCAG AA needs 4\.5:1/);
    expect(errorOf(() => loadConfig({ BRAND_COLOR: 'red' })).message).toBe('BRAND_COLOR: must be a colour like #2f5bd3');
    expect(errorOf(() => loadConfig({ BRAND_LOGO_FILE: '/nowhere/logo.gif' })).message).toBe('BRAND_LOGO_FILE: must be a .png, .jpg or .svg file');
  });

  it('reads the mail settings, with a From on the issuer host by default', () => {
    expect(loadConfig({ ISSUER: 'https://id.example.org' }).mail).toEqual({ smtpUrl: undefined, from: 'Latchkey <no-reply@id.example.org>' });
    expect(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example.org:465', MAIL_FROM: 'Example ID <id@example.org>' }).mail).toEqual({ smtpUrl: 'smtps://u:p@mail.example.org:465', from: 'Example ID <id@example.org>' });
  });

  it.each([
    ['SMTP_URL', 'https://mail.example.org', 'SMTP_URL: must start with smtp:// or smtps://'],
    ['MAIL_FROM', 'not an address', 'MAIL_FROM: must be an address (no-reply@example.com) or a name and address (Example <no-reply@example.com>)'],
    ['PKCE_CONFIDENTIAL_CLIENTS', 'sometimes', 'PKCE_CONFIDENTIAL_CLIENTS: must be required or optional; got "sometimes"'],
    ['DPOP_NONCES', 'never', 'DPOP_NONCES: must be required or optional; got "never"'],
    ['ID_TOKEN_CLAIMS', 'all', 'ID_TOKEN_CLAIMS: must be conform or scopes; got "all"'],
    ['PRIVATE_NETWORK_HOSTS', 'https://rp.internal/', 'PRIVATE_NETWORK_HOSTS: takes host or host:port entries separated by commas; "https://rp.internal/" is not one'],
  ])('refuses %s=%p', (name, value, message) => {
    expect(errorOf(() => loadConfig({ [name]: value })).message).toBe(message);
  });

  it('adds the scope of each declared attribute to the scopes, and refuses attributes that shadow standard claims', () => {
    const defaults = loadDefaults();
    const config = loadConfig({}, { defaults: { ...defaults, customClaims: { department: { type: 'string', scope: 'organisation' } } } });
    expect(config.scopes).toContain('organisation');
    expect(config.customClaims).toEqual({ department: { type: 'string', scope: 'organisation' } });
    const file = join(tmpdir(), `latchkey-defaults-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ ...defaults, customClaims: { email: { type: 'string', scope: 'organisation' } } }));
    try {
      expect(() => loadDefaults(file)).toThrow(/customClaims\.email.*standard or protocol claim/);
    } finally {
      rmSync(file);
    }
  });

  it.each([
    ['ISSUER', 'http://id.example.org', 'ISSUER: must use https in production (http is only allowed for loopback addresses)'],
    ['COOKIE_KEYS', 'change-me-to-a-long-random-secret-value-0001', 'COOKIE_KEYS: is the example value from config/.env.example; generate your own (`openssl rand -base64 32`)'],
    ['COOKIE_KEYS', 'my-application-cookie-secret-for-latchkey', 'COOKIE_KEYS: looks like a placeholder; generate a random value (`openssl rand -base64 32`)'],
    ['COOKIE_KEYS', 'abababababababababababababababababab', 'COOKIE_KEYS: is too weak for production; use at least 32 random characters (`openssl rand -base64 32`)'],
    ['DATA_ENCRYPTION_KEY', 'k1:ZXhhbXBsZS1leGFtcGxlLWV4YW1wbGUtZXhhbXBsZS0=', 'DATA_ENCRYPTION_KEY: is the example value from config/.env.example; generate your own (`openssl rand -base64 32`)'],
    ['DATA_ENCRYPTION_KEY', Buffer.alloc(32, 7).toString('base64'), 'DATA_ENCRYPTION_KEY: is not random enough; generate it with `openssl rand -base64 32`'],
  ])('refuses production with a weak or example %s', (name, value, message) => {
    expect(errorOf(() => loadConfig({ ...PRODUCTION_ENV, [name]: value })).message).toBe(message);
  });

  it('accepts http only for a loopback issuer in production', () => {
    expect(loadConfig({ ...PRODUCTION_ENV, ISSUER: 'http://127.0.0.1:3000' }).issuer).toBe('http://127.0.0.1:3000');
    expect(loadConfig({ ...PRODUCTION_ENV, ISSUER: 'http://localhost:3000' }).issuer).toBe('http://localhost:3000');
  });

  it('lists every problem of a production environment in one message', () => {
    const error = errorOf(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example.org', COOKIE_KEYS: 'short', TRUST_PROXY: 'maybe' }));
    expect(error.problems.map((problem) => problem.variable)).toEqual(['MONGODB_URI', 'REDIS_URL', 'DATA_ENCRYPTION_KEY', 'ISSUER', 'COOKIE_KEYS', 'TRUST_PROXY']);
    expect(error.message).toContain('MONGODB_URI: is required when NODE_ENV=production; REDIS_URL: is required');
  });

  it('never puts a secret value in an error message', () => {
    const secret = 'x'.repeat(20);
    expect(errorOf(() => loadConfig({ COOKIE_KEYS: secret })).message).not.toContain(secret);
  });
});

describe('loadDefaults', () => {
  it('reads config/defaults.json', () => {
    const defaults = loadDefaults();
    expect(defaults.ttl.authorizationCodeSeconds).toBeGreaterThan(0);
    expect(defaults.scopes).toContain('openid');
  });

  it('names the broken field of a bad defaults file', () => {
    const file = new URL('data:application/json,{"port":"x"}');
    expect(() => loadDefaults(file)).toThrow(ConfigError);
  });
});
