import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

import { ConfigError } from '../config/config-error.js';
import { loadDefaults } from '../config/load-config.js';

type Env = Readonly<Record<string, string | undefined>>;

export const DEV_SECRETS_FILE = 'dev-secrets.json';

interface DevSecrets {
  readonly cookieKeys: string;
  readonly dataEncryptionKey: string;
}

function readSecrets(file: string): DevSecrets | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(raw) as Partial<DevSecrets>;
  if (typeof parsed.cookieKeys !== 'string' || typeof parsed.dataEncryptionKey !== 'string') {
    throw new ConfigError(file, 'is not a development secrets file; delete it to have a new one made');
  }
  return { cookieKeys: parsed.cookieKeys, dataEncryptionKey: parsed.dataEncryptionKey };
}

/**
 * Development only: COOKIE_KEYS and DATA_ENCRYPTION_KEY that were not given are made once and
 * kept in KEYS_DIR/dev-secrets.json (mode 0600, git-ignored like the dev keys), so that a
 * restart can still decrypt what MongoDB holds and the CLI, run from the same directory, uses the
 * same key as the server. Production and tests get their secrets from the environment only.
 */
export function withDevSecrets(env: Env, cwd: string = process.cwd()): { env: Env; file?: string } {
  if (env.NODE_ENV === 'production' || env.NODE_ENV === 'test') return { env };
  if (env.COOKIE_KEYS && env.DATA_ENCRYPTION_KEY) return { env };
  const keysDir = env.KEYS_DIR && env.KEYS_DIR !== '' ? env.KEYS_DIR : loadDefaults().keysDir;
  const dir = isAbsolute(keysDir) ? keysDir : resolve(cwd, keysDir);
  const file = join(dir, DEV_SECRETS_FILE);
  let secrets = readSecrets(file);
  if (!secrets) {
    const made: DevSecrets = { cookieKeys: randomBytes(32).toString('base64url'), dataEncryptionKey: randomBytes(32).toString('base64') };
    mkdirSync(dir, { recursive: true });
    try {
      // 'wx': of two processes starting together, one writes and the other reads what it wrote.
      writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      secrets = made;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      secrets = readSecrets(file) ?? made;
    }
  }
  return {
    env: { ...env, COOKIE_KEYS: env.COOKIE_KEYS || secrets.cookieKeys, DATA_ENCRYPTION_KEY: env.DATA_ENCRYPTION_KEY || secrets.dataEncryptionKey },
    file,
  };
}
