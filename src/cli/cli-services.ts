import type { RedisClient } from '../storage/redis-connection.js';
import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';

import type { AccountService } from '../accounts/account-service.js';
import type { AuditStore } from '../audit/audit-event.js';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import { createRedisAuditSpool } from '../audit/audit-spool.js';
import { createStoragePolicy } from '../audit/audit-storage-policy.js';
import { createMongoAuditStore } from '../audit/mongo-audit-store.js';
import { createDataCipher } from '../accounts/data-cipher.js';
import { createClientService, type ClientService } from '../clients/client-service.js';
import { withoutSealedSecret } from '../clients/sealed-client-adapter.js';
import { createAdminProvider, createClientValidator } from '../oidc/client-validator.js';
import { createMongoResourceStore } from '../resources/mongo-resource-store.js';
import { createResourceService, type ResourceService } from '../resources/resource-service.js';
import { createDurableAdapterFactory } from '../storage/durable-adapter.js';
import { createMongoClientDirectory } from '../storage/mongo-adapter.js';
import { createAccountClaimsCache } from '../accounts/account-claims-cache.js';
import type { AccountStore } from '../accounts/account-store.js';
import { buildAccountService } from '../accounts/build-account-service.js';
import { createLockedAccountStore } from '../accounts/locked-account-store.js';
import { createMongoAccountStore } from '../accounts/mongo-account-store.js';
import { createMemoryKeyedLock } from '../storage/memory-keyed-lock.js';
import { createRedisKeyedLock } from '../storage/redis-keyed-lock.js';
import type { AppConfig } from '../config/app-config.js';
import { createLogger } from '../logging/create-logger.js';
import { createMemoryOneTimeClaims } from '../storage/memory-account-guards.js';
import { createMemorySignInThrottle } from '../storage/memory-sign-in-throttle.js';
import { createRedisOneTimeClaims } from '../storage/redis-account-guards.js';
import { createRedisSignInThrottle } from '../storage/redis-sign-in-throttle.js';
import { createUnreachableAccountSessions } from '../storage/account-sessions.js';
import { createRedisAccountSessions, createRedisAdapterFactory } from '../storage/redis-adapter.js';
import { createRedisInvalidationPublisher } from '../storage/redis-invalidation.js';
import { createRedisKeys } from '../storage/redis-keys.js';
import { connectMongo } from '../storage/mongo-connection.js';
import { connectRedis } from '../storage/redis-connection.js';
import { CliError } from './cli-error.js';
import { DataKeyMismatchError } from '../secrets/check-data-keys.js';
import { checkDataKeysInMongo } from '../secrets/check-data-keys-in-mongo.js';
import { createMongoSettingStore } from '../settings/mongo-setting-store.js';
import { createMongoCanaryStore } from '../secrets/mongo-canary-store.js';
import { reencryptSecrets, type ReencryptionReport } from '../secrets/reencrypt-secrets.js';
import { createMongoSigningKeyStore } from '../keys/mongo-signing-key-store.js';
import { createSigningKeys, type SigningKeys } from '../keys/signing-keys.js';

export interface AccountServices {
  readonly accounts: AccountService;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

function requireDatabase(config: AppConfig, what: string): string {
  if (!config.mongodbUri) {
    throw new CliError(`MONGODB_URI is not set: ${what} work on the database the server uses (the in-memory dev store cannot be reached from here)`);
  }
  if (config.dataEncryptionKeys.generated) {
    throw new CliError('DATA_ENCRYPTION_KEY is not set: it must be the key the server uses, or secrets written here would be unreadable');
  }
  return config.mongodbUri;
}

/** Runs a start-up check; when it fails the connection is closed, so the command can exit. */
async function closeOnFailure(mongo: Connection, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (error) {
    await mongo.close();
    if (error instanceof DataKeyMismatchError) throw new CliError(error.message);
    throw error;
  }
}

export interface ClientServices {
  readonly clients: ClientService;
  readonly resources: ResourceService;
  /** Built on first use: only validation and initial access tokens need it. */
  provider(): Promise<Provider>;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

/**
 * Audit records written straight to MongoDB (or, with REDIS_URL, to the servers' spool while
 * MongoDB is unavailable); close() waits for them before the command exits.
 */
async function openAuditLog(config: AppConfig, mongo: Connection, redis: RedisClient | undefined): Promise<AuditLog> {
  const store = createMongoAuditStore(mongo);
  await store.ensureIndexes();
  return createAuditLog({
    store,
    spool: redis ? createRedisAuditSpool(redis, `${config.redisKeyPrefix}audit:spool`) : undefined,
    logger: createLogger('silent'),
    options: config.audit,
    storageOf: createStoragePolicy(config.audit.storage),
  });
}

/** The server's MongoDB (its data key checked) and, with REDIS_URL, its Redis, with an audit log on them. */
interface ServerDatabases {
  readonly mongo: Connection;
  readonly redis: RedisClient | undefined;
  readonly audit: AuditLog;
  /** The audit log first (its last records land), then Redis, then MongoDB. */
  readonly close: () => Promise<void>;
}

async function openServerDatabases(config: AppConfig, what: string, logger = createLogger('error')): Promise<ServerDatabases> {
  const mongo = await connectMongo(requireDatabase(config, what));
  await closeOnFailure(mongo, () => checkDataKeysInMongo(config, mongo));
  const redis = config.redisUrl ? await connectRedis({ url: config.redisUrl, cluster: config.redisCluster }, logger) : undefined;
  const audit = await openAuditLog(config, mongo, redis);
  return {
    mongo,
    redis,
    audit,
    close: async () => {
      await audit.close();
      await redis?.quit();
      await mongo.close();
    },
  };
}

/**
 * Account writes told to the running servers, which cache what tokens read of an account
 * (account-claims-cache.ts). Without REDIS_URL they learn of the change within
 * clientCacheSeconds.
 */
function announcingAccountWrites(config: AppConfig, redis: RedisClient | undefined, store: AccountStore): AccountStore {
  if (!redis) return store;
  return createAccountClaimsCache(store, { ttlSeconds: 0, maxEntries: 0, invalidation: createRedisInvalidationPublisher(redis, `${config.redisKeyPrefix}invalidate`) }).store;
}

/** The signing keys as the server keeps them, for `keys` and for `secrets reencrypt`. */
function openSigningKeys(config: AppConfig, mongo: Connection): SigningKeys {
  return createSigningKeys({ store: createMongoSigningKeyStore(mongo), cipher: createDataCipher(config.dataEncryptionKeys.value), timings: config.signingKeys, settings: createMongoSettingStore(mongo) });
}

/** The audit trail alone, for `latchkey audit`. */
export async function openAuditStore(config: AppConfig): Promise<{ store: AuditStore; close(): Promise<void> }> {
  if (!config.mongodbUri) throw new CliError('MONGODB_URI is not set: the audit trail lives in the database the server uses');
  const mongo = await connectMongo(config.mongodbUri);
  return { store: createMongoAuditStore(mongo, { queryTimeoutMs: config.audit.queryTimeoutMs }), close: () => mongo.close() };
}

/**
 * Client administration against the server's MongoDB. With REDIS_URL set, every change is
 * announced to running servers so that they drop their cached copy at once.
 */
export async function openClientServices(config: AppConfig): Promise<ClientServices> {
  const logger = createLogger('error');
  const { mongo, redis, audit, close } = await openServerDatabases(config, 'client commands', logger);
  const durable = await createDurableAdapterFactory({
    connection: mongo,
    cipher: createDataCipher(config.dataEncryptionKeys.value),
    redis,
    channel: `${config.redisKeyPrefix}invalidate`,
    cacheSeconds: 0,
    logger,
  });
  // Building it generates an RSA key, wasted on list, show, delete and every resources command.
  let building: Promise<Provider> | undefined;
  const provider = (): Promise<Provider> => (building ??= createAdminProvider(config, durable.factory));
  const resources = createResourceService({ store: createMongoResourceStore(mongo), cacheSeconds: 0, ...(durable.invalidation ? { invalidation: durable.invalidation } : {}) });
  const clients = createClientService({
    adapter: durable.factory,
    directory: createMongoClientDirectory(mongo, withoutSealedSecret),
    validate: async (metadata) => createClientValidator(await provider())(metadata),
    allowedScopes: config.scopes,
    resourceExists: async (identifier) => (await resources.lookup(identifier)) !== undefined,
  });
  return {
    clients,
    resources,
    provider,
    audit,
    async close() {
      // The invalidation subscriber first; the audit log's last records need only MongoDB and Redis.
      await durable.close();
      await close();
    },
  };
}

export interface KeyServices {
  readonly signingKeys: SigningKeys;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

/** The signing keys in the server's MongoDB (their private parts under DATA_ENCRYPTION_KEY). */
export async function openKeyServices(config: AppConfig): Promise<KeyServices> {
  const { mongo, audit, close } = await openServerDatabases(config, 'keys list, rotate and retire');
  const signingKeys = openSigningKeys(config, mongo);
  // A first `keys list` on an empty database sets the keys up as the server would.
  await signingKeys.bootstrap(config.keysDir);
  return { signingKeys, audit, close };
}

export interface SecretServices {
  reencrypt(): Promise<ReencryptionReport>;
  readonly audit: AuditLog;
  close(): Promise<void>;
}

/** What `secrets reencrypt` rewrites: client secrets and TOTP secrets, in the server's MongoDB. */
export async function openSecretServices(config: AppConfig): Promise<SecretServices> {
  const { mongo, redis, audit, close } = await openServerDatabases(config, 'secrets commands');
  const store = announcingAccountWrites(config, redis, createLockedAccountStore(createMongoAccountStore(mongo), redis ? createRedisKeyedLock(redis, config.redisKeyPrefix) : createMemoryKeyedLock()));
  const accounts = buildAccountService(config, { store, throttle: createMemorySignInThrottle(config.bruteForce), claims: createMemoryOneTimeClaims(), sessions: createUnreachableAccountSessions() });
  return {
    reencrypt: () => reencryptSecrets({
      connection: mongo,
      cipher: createDataCipher(config.dataEncryptionKeys.value),
      accounts,
      canaries: createMongoCanaryStore(mongo),
      settings: createMongoSettingStore(mongo),
      signingKeys: openSigningKeys(config, mongo),
    }),
    audit,
    close,
  };
}

/**
 * The account service against the server's own databases. MongoDB is required (the accounts
 * live there); RedisClient, when set, lets `users unlock` lift the throttling the servers share.
 */
export async function openAccountServices(config: AppConfig): Promise<AccountServices> {
  const { mongo, redis, audit, close } = await openServerDatabases(config, 'user commands');
  const mongoStore = createMongoAccountStore(mongo);
  await mongoStore.ensureIndexes();
  const keys = createRedisKeys(config.redisKeyPrefix);
  // Without REDIS_URL the CLI's writes are serialised only among themselves (see the README).
  const store = announcingAccountWrites(config, redis, createLockedAccountStore(mongoStore, redis ? createRedisKeyedLock(redis, config.redisKeyPrefix) : createMemoryKeyedLock()));
  const accounts = buildAccountService(config, {
    store,
    throttle: redis ? createRedisSignInThrottle(redis, config.redisKeyPrefix, config.bruteForce) : createMemorySignInThrottle(config.bruteForce),
    claims: redis ? createRedisOneTimeClaims(redis, config.redisKeyPrefix) : createMemoryOneTimeClaims(),
    sessions: redis ? createRedisAccountSessions(redis, keys, createRedisAdapterFactory(redis, keys)) : createUnreachableAccountSessions(),
  });
  return { accounts, audit, close };
}
