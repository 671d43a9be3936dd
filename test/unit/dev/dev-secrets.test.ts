import { statSync } from 'node:fs';
import { join } from 'node:path';

import { DEV_SECRETS_FILE, withDevSecrets } from '../../../src/dev/dev-secrets.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { makeTempDir } from '../../support/test-env.js';

describe('development secrets kept beside the keys', () => {
  it('makes them once (mode 0600) and gives the same ones to every later start and to the CLI', async () => {
    const dir = await makeTempDir();
    try {
      const first = withDevSecrets({ KEYS_DIR: dir.path });
      expect(first.file).toBe(join(dir.path, DEV_SECRETS_FILE));
      expect(statSync(first.file ?? '').mode & 0o777).toBe(0o600);
      const again = withDevSecrets({ KEYS_DIR: dir.path });
      expect(again.env).toEqual(first.env);
      // They are values loadConfig accepts, not placeholders.
      const config = loadConfig(first.env);
      expect(config.cookieKeys.generated).toBe(false);
      expect(config.dataEncryptionKeys.value[0]?.key).toHaveLength(32);
    } finally {
      await dir.remove();
    }
  });

  it('keeps what the environment gives, and never touches production or test runs', async () => {
    const dir = await makeTempDir();
    try {
      const given = withDevSecrets({ KEYS_DIR: dir.path, COOKIE_KEYS: 'mine-mine-mine-mine-mine-mine-mine-mine' });
      expect(given.env.COOKIE_KEYS).toBe('mine-mine-mine-mine-mine-mine-mine-mine');
      for (const mode of ['production', 'test']) {
        const env = { KEYS_DIR: join(dir.path, mode), NODE_ENV: mode };
        expect(withDevSecrets(env)).toEqual({ env });
      }
    } finally {
      await dir.remove();
    }
  });
});
