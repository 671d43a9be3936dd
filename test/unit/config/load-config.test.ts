import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, loadDefaults } from '../../../src/config/load-config.js';

const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  MONGODB_URI: 'mongodb://db.internal:27017/latchkey',
  REDIS_URL: 'redis://cache.internal:6379/0',
  COOKIE_KEYS: 'a-cookie-signing-key-that-is-long-enough-1,a-cookie-signing-key-that-is-long-enough-2',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
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
    expect(config.dataEncryptionKey.generated).toBe(true);
    expect(config.dataEncryptionKey.value).toHaveLength(32);
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
    expect(config.dataEncryptionKey.generated).toBe(false);
    expect(config.trustProxy).toBe(true);
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
    ['COOKIE_KEYS', 'short', 'COOKIE_KEYS: every key must be at least 32 characters'],
    ['DATA_ENCRYPTION_KEY', 'not base64!', 'DATA_ENCRYPTION_KEY: must be base64 (e.g. `openssl rand -base64 32`)'],
    ['DATA_ENCRYPTION_KEY', Buffer.alloc(16).toString('base64'), 'DATA_ENCRYPTION_KEY: must decode to 32 bytes, got 16'],
    ['TRUST_PROXY', 'maybe', 'TRUST_PROXY: must be true or false, got "maybe"'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    ['RATE_LIMIT_TOKEN_PER_MINUTE', '0', 'RATE_LIMIT_TOKEN_PER_MINUTE: must be a positive whole number, got "0"'],
  ])('rejects %s=%s with one line naming it', (name, value, message) => {
    expect(errorOf(() => loadConfig({ [name]: value })).message).toBe(message);
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
