import type { AccountService } from '../accounts/account-service.js';
import { buildAccountService } from '../accounts/build-account-service.js';
import { createMongoAccountStore } from '../accounts/mongo-account-store.js';
import type { AppConfig } from '../config/app-config.js';
import { createLogger } from '../logging/create-logger.js';
import { createMemoryLockoutStore, createMemoryOneTimeClaims } from '../storage/memory-account-guards.js';
import { createRedisLockoutStore, createRedisOneTimeClaims } from '../storage/redis-account-guards.js';
import { connectMongo } from '../storage/mongo-connection.js';
import { connectRedis } from '../storage/redis-connection.js';
import { CliError } from './cli-error.js';

export interface AccountServices {
  readonly accounts: AccountService;
  close(): Promise<void>;
}

/**
 * The account service against the server's own databases. MongoDB is required (the accounts
 * live there); Redis, when set, lets enable lift a lockout that the servers share.
 */
export async function openAccountServices(config: AppConfig): Promise<AccountServices> {
  if (!config.mongodbUri) {
    throw new CliError('MONGODB_URI is not set: user commands work on the accounts database the server uses (the in-memory dev store cannot be reached from here)');
  }
  if (config.dataEncryptionKey.generated) {
    throw new CliError('DATA_ENCRYPTION_KEY is not set: it must be the key the server uses, or TOTP secrets written here would be unreadable');
  }
  const logger = createLogger('error');
  const mongo = await connectMongo(config.mongodbUri);
  const store = createMongoAccountStore(mongo);
  await store.ensureIndexes();
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : undefined;
  const accounts = buildAccountService(config, {
    store,
    lockout: redis ? createRedisLockoutStore(redis, config.redisKeyPrefix, config.lockout) : createMemoryLockoutStore(config.lockout),
    claims: redis ? createRedisOneTimeClaims(redis, config.redisKeyPrefix) : createMemoryOneTimeClaims(),
  });
  return {
    accounts,
    async close() {
      await redis?.quit();
      await mongo.close();
    },
  };
}
