import type { Connection } from 'mongoose';

import { buildAccountService } from '../accounts/build-account-service.js';
import { createMongoAccountStore } from '../accounts/mongo-account-store.js';
import type { AppConfig } from '../config/app-config.js';
import { createMemoryOneTimeClaims } from '../storage/memory-account-guards.js';
import { createMemorySignInThrottle } from '../storage/memory-sign-in-throttle.js';
import { createUnreachableAccountSessions } from '../storage/account-sessions.js';
import { checkDataKeys } from './check-data-keys.js';
import { createMongoCanaryStore } from './mongo-canary-store.js';

/**
 * The data-key check as the server and the CLI both run it before touching a secret: a wrong
 * DATA_ENCRYPTION_KEY stops the process with one clear line instead of failing at a sign-in,
 * and the CLI never writes a secret the servers could not read.
 */
export async function checkDataKeysInMongo(config: AppConfig, connection: Connection): Promise<void> {
  // Only the probe reads accounts here; throttling and claims are never touched.
  const accounts = buildAccountService(config, { store: createMongoAccountStore(connection), throttle: createMemorySignInThrottle(config.bruteForce), claims: createMemoryOneTimeClaims(), sessions: createUnreachableAccountSessions() });
  await checkDataKeys({ keys: config.dataEncryptionKeys.value, canaries: createMongoCanaryStore(connection), probeExisting: () => accounts.probeTotpSecret() });
}
