import cluster from 'node:cluster';

import type { RedisClient } from './storage/redis-connection.js';
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import compose from 'koa-compose';
import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';
import type { AdapterFactory, AdapterPayload } from 'oidc-provider';

import type { AccountService } from './accounts/account-service.js';
import type { AccountStore } from './accounts/account-store.js';
import { createAccountClaimsCache } from './accounts/account-claims-cache.js';
import { buildAccountService } from './accounts/build-account-service.js';
import { createDataCipher } from './accounts/data-cipher.js';
import { createClientService, type ClientService } from './clients/client-service.js';
import { createSealedClientAdapterFactory, withoutSealedSecret } from './clients/sealed-client-adapter.js';
import type { OneTimeClaims } from './accounts/one-time-claims.js';
import type { SignInThrottle } from './accounts/sign-in-throttle.js';
import { createMemoryAccountStore } from './accounts/memory-account-store.js';
import { createLockedAccountStore } from './accounts/locked-account-store.js';
import { createMongoAccountStore } from './accounts/mongo-account-store.js';
import type { AuditStore } from './audit/audit-event.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { primaryChannel, type PrimaryChannel } from './http/pool-metrics.js';
import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import { createRedisAuditSpool } from './audit/audit-spool.js';
import { createStoragePolicy } from './audit/audit-storage-policy.js';
import { createMemoryAuditStore } from './audit/memory-audit-store.js';
import { createMongoAuditStore } from './audit/mongo-audit-store.js';
import { recordProviderEvents } from './audit/provider-audit.js';
import type { AppConfig } from './config/app-config.js';
import type { ReadinessCheck } from './http/health.js';
import { createMemoryResourceStore } from './resources/memory-resource-store.js';
import { createMongoResourceStore } from './resources/mongo-resource-store.js';
import type { ResourceStore } from './resources/resource-server.js';
import { createResourceService, type ResourceService } from './resources/resource-service.js';
import { createRateLimit } from './http/rate-limit.js';
import { createRenderer, type Renderer } from './http/renderer.js';
import { createCsrf } from './interactions/csrf.js';
import type { InteractionDeps } from './interactions/interaction-deps.js';
import type { LoginState } from './interactions/login-state.js';
import type { JWK } from 'jose';

import { generateKeySet, KeySetError, loadKeySet, type KeySet } from './keys/key-set.js';
import { jwksAt, stateAt, type SigningKeyRecord } from './keys/key-lifecycle.js';
import { createKeyWatcher } from './keys/key-watcher.js';
import { createMemorySigningKeyStore } from './keys/memory-signing-key-store.js';
import { createMongoSigningKeyStore } from './keys/mongo-signing-key-store.js';
import { createSigningKeys, type SigningKeys } from './keys/signing-keys.js';
import type { Logger } from './logging/create-logger.js';
import { createProvider } from './oidc/create-provider.js';
import { createClientValidator } from './oidc/client-validator.js';
import { createFindAccount } from './oidc/find-account.js';
import { createPasswordReset, type ResetGrant } from './accounts/password-reset.js';
import { createPageCsrf } from './http/page-csrf.js';
import { createDisabledMailer, createSmtpMailer, createTerminalMailer, type Mailer } from './mail/mailer.js';
import { createPasswordResetPages } from './pages/password-reset-pages.js';
import { createSecurityNotices } from './mail/security-notices.js';
import { createMailWriter } from './mail/mail-writer.js';
import { createEmailVerification, type VerificationGrant } from './accounts/email-verification.js';
import { createAccountPages, createHomePage } from './pages/account-pages.js';
import { createPasskeyChallenges } from './accounts/passkey-challenges.js';
import { createPasskeyService, relyingPartyFor } from './accounts/passkey-service.js';
import { createPageScriptsRouter, loadPasskeyScript } from './http/page-scripts.js';
import { DPOP_NONCE_KEY_SETTING } from './oidc/dpop.js';
import { createTokenExchange } from './oidc/token-exchange.js';
import { watchFrontchannelLogout } from './oidc/frontchannel-logout.js';
import { PAIRWISE_KEY_SETTING } from './oidc/pairwise-subject.js';
import { createMemorySettingStore, type SettingStore } from './settings/setting-store.js';
import { loadSharedKey } from './settings/shared-key.js';
import { createMongoSettingStore } from './settings/mongo-setting-store.js';
import { createRememberedConsents, type RememberedConsent } from './oidc/remembered-consents.js';
import { createRoutingAdapterFactory } from './storage/adapter-factory.js';
import { createDurableAdapterFactory } from './storage/durable-adapter.js';
import type { CacheInvalidation } from './storage/coherent-cache.js';
import type { ExpiringStore } from './storage/expiring-store.js';
import { createMemoryOneTimeClaims } from './storage/memory-account-guards.js';
import { createMemorySignInThrottle } from './storage/memory-sign-in-throttle.js';
import { createMemoryAccountSessions, createMemoryAdapterFactory, createMemoryClientDirectory, createMemoryStorage, type MemoryStorage } from './storage/memory-adapter.js';
import { createMemoryExpiringStore } from './storage/memory-expiring-store.js';
import { createMongoClientDirectory, deleteExpiredDurableRecords } from './storage/mongo-adapter.js';
import { connectMongo, pingMongo } from './storage/mongo-connection.js';
import { createRedisOneTimeClaims } from './storage/redis-account-guards.js';
import { createRedisSignInThrottle } from './storage/redis-sign-in-throttle.js';
import { createRedisAccountSessions, createRedisAdapterFactory } from './storage/redis-adapter.js';
import type { AccountSessions } from './storage/account-sessions.js';
import { connectRedis } from './storage/redis-connection.js';
import { createRedisExpiringStore } from './storage/redis-expiring-store.js';
import { createRedisKeys } from './storage/redis-keys.js';
import { createMemoryKeyedLock } from './storage/memory-keyed-lock.js';
import { createRedisKeyedLock } from './storage/redis-keyed-lock.js';
import { errorMessage } from './logging/error-message.js';
import { checkDataKeysInMongo } from './secrets/check-data-keys-in-mongo.js';

/** Everything a running Latchkey holds, built eagerly in one place; close() releases it all. */
export interface Container {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly renderer: Renderer;
  readonly adapter: AdapterFactory;
  /** Reads a client record from its store, past every cache: for decisions that must not lag. */
  loadClientRecord(clientId: string): Promise<AdapterPayload | undefined>;
  /** The provider for the keys of the moment; read it per use, it changes as keys change state. */
  readonly provider: Provider;
  /** The signing keys as this instance last read them, with their schedule. */
  readonly signingKeys: readonly SigningKeyRecord[];
  /** Rotation and retirement of the signing keys every instance shares. */
  readonly keys: SigningKeys;
  /** Mounts whichever provider is current. */
  readonly providerMiddleware: Middleware;
  /** Re-reads the signing keys now (SIGHUP) instead of at the next refresh. */
  reloadKeys(): Promise<void>;
  readonly accounts: AccountService;
  readonly clients: ClientService;
  readonly resources: ResourceService;
  readonly audit: AuditLog;
  /** This process's metrics, served on /metrics. */
  readonly metrics: Metrics;
  readonly auditStore: AuditStore;
  readonly interactions: InteractionDeps;
  /** /password-reset: asking for a link by email, and following it. */
  readonly passwordResetPages: Router;
  /** /account (a signed-in person's own pages) and / (the landing page). */
  readonly accountPages: Router;
  readonly homePage: Router;
  /** The few scripts our pages load (passkey forms), under /assets. */
  readonly pageScripts: Router;
  readonly rateLimits: { readonly interactions: Middleware; readonly token: Middleware; readonly authorization: Middleware };
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly storage: { readonly redis: 'redis' | 'memory'; readonly mongo: 'mongodb' | 'memory' };
  close(): Promise<void>;
}

/** Development without MongoDB: the keys of KEYS_DIR/jwks.json, generated there on first start. */
async function loadOrCreateKeySet(config: AppConfig, logger: Logger): Promise<KeySet> {
  try {
    return await loadKeySet(config.keysDir);
  } catch (error) {
    if (config.mode === 'production' || !(error instanceof KeySetError && error.code === 'missing')) throw error;
    const { keySet, created } = await generateKeySet(config.keysDir);
    logger.warn({ keysDir: config.keysDir, kids: created.map((key) => key.kid) }, 'generated development signing keys');
    return keySet;
  }
}

const SWEEP_INTERVAL_MS = 60_000;
const RETENTION_INTERVAL_MS = 3_600_000;
// A passkey page may sit open a while before its owner touches the key.
const PASSKEY_CHALLENGE_SECONDS = 600;
const PASSKEYS_PER_ACCOUNT = 10;
// Accounts whose tokens are in use at once; each entry is a few hundred bytes of claims.
const ACCOUNT_CACHE_ENTRIES = 10_000;

function describeError(error: unknown): { message: string } {
  return { message: errorMessage(error) };
}

/** Stores with a lifetime: RedisClient when configured, else one process's memory. */
interface EphemeralStores {
  readonly adapter: AdapterFactory;
  readonly throttle: SignInThrottle;
  readonly sessions: AccountSessions;
  readonly claims: OneTimeClaims;
  readonly loginStates: ExpiringStore<LoginState>;
  readonly consents: ExpiringStore<RememberedConsent>;
  readonly resetGrants: ExpiringStore<ResetGrant>;
  readonly verifyGrants: ExpiringStore<VerificationGrant>;
  readonly rateLimitDb: RedisClient | Map<string, unknown>;
}

function buildRedisStores(redis: RedisClient, config: AppConfig): EphemeralStores {
  const prefix = config.redisKeyPrefix;
  const keys = createRedisKeys(prefix);
  const adapter = createRedisAdapterFactory(redis, keys);
  return {
    adapter,
    sessions: createRedisAccountSessions(redis, keys, adapter),
    throttle: createRedisSignInThrottle(redis, prefix, config.bruteForce),
    claims: createRedisOneTimeClaims(redis, prefix),
    loginStates: createRedisExpiringStore(redis, prefix, 'login'),
    consents: createRedisExpiringStore(redis, prefix, 'consent'),
    resetGrants: createRedisExpiringStore(redis, prefix, 'reset'),
    verifyGrants: createRedisExpiringStore(redis, prefix, 'verify'),
    rateLimitDb: redis,
  };
}

function buildMemoryStores(memory: MemoryStorage, config: AppConfig): EphemeralStores {
  const adapter = createMemoryAdapterFactory(memory);
  return {
    adapter,
    sessions: createMemoryAccountSessions(memory, adapter),
    throttle: createMemorySignInThrottle(config.bruteForce),
    claims: createMemoryOneTimeClaims(),
    loginStates: createMemoryExpiringStore(),
    consents: createMemoryExpiringStore(),
    resetGrants: createMemoryExpiringStore(),
    verifyGrants: createMemoryExpiringStore(),
    rateLimitDb: new Map(),
  };
}

/** SMTP when configured; development prints mail instead; production without SMTP sends none. */
function buildMailer(config: AppConfig, logger: Logger): Mailer | (Mailer & { close(): void }) {
  if (config.mail.smtpUrl) return createSmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from });
  return config.mode === 'production' ? createDisabledMailer() : createTerminalMailer(logger);
}

/**
 * The composition root: opens connections, loads keys, builds the provider and the services.
 * `primary` is a pool worker's channel to its primary process (WEB_CONCURRENCY > 1), through
 * which /metrics answers for the whole pool; a worker of node:cluster opens its own by default.
 */
export async function createContainer(config: AppConfig, logger: Logger, options: { readonly primary?: PrimaryChannel | undefined } = {}): Promise<Container> {
  // Opened here with the other connections, so every way of starting a worker gets it.
  const primary = options.primary ?? (cluster.isWorker ? primaryChannel(process) : undefined);
  const closers: Array<() => Promise<void>> = [];
  const readinessChecks: ReadinessCheck[] = [];
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) {
      try {
        await closer();
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'error while closing');
      }
    }
  };

  try {
    // Without MongoDB (development) the signing keys come from KEYS_DIR, made there if missing.
    if (!config.mongodbUri) await loadOrCreateKeySet(config, logger);
    const memory = createMemoryStorage();
    if (!config.redisUrl || !config.mongodbUri) {
      const sweep = setInterval(() => {
        memory.artifacts.sweep();
        memory.indexes.sweep();
        memory.grants.sweep();
        memory.accounts.sweep();
        memory.revokedGrants.sweep();
      }, SWEEP_INTERVAL_MS);
      sweep.unref();
      closers.push(async () => clearInterval(sweep));
    }

    let redis: RedisClient | undefined;
    let ephemeral = buildMemoryStores(memory, config);
    if (config.redisUrl) {
      const connected = await connectRedis({ url: config.redisUrl, cluster: config.redisCluster }, logger);
      redis = connected;
      closers.push(async () => {
        await connected.quit();
      });
      ephemeral = buildRedisStores(connected, config);
      readinessChecks.push({ name: 'redis', check: async () => void (await connected.ping()) });
    }

    const cipher = createDataCipher(config.dataEncryptionKeys.value);
    let durable = createSealedClientAdapterFactory(createMemoryAdapterFactory(memory), cipher);
    let uncachedDurable = durable;
    let directory = createMemoryClientDirectory(memory, withoutSealedSecret);
    let accountStore: AccountStore = createMemoryAccountStore();
    let auditStore: AuditStore = createMemoryAuditStore();
    let resourceStore: ResourceStore = createMemoryResourceStore();
    let settings: SettingStore = createMemorySettingStore();
    let invalidation: CacheInvalidation | undefined;
    let mongo: Connection | undefined;
    if (config.mongodbUri) {
      const connected = await connectMongo(config.mongodbUri);
      mongo = connected;
      closers.push(async () => connected.close());
      await checkDataKeysInMongo(config, connected);
      const mongoAccounts = createMongoAccountStore(connected);
      await mongoAccounts.ensureIndexes();
      accountStore = createLockedAccountStore(mongoAccounts, redis ? createRedisKeyedLock(redis, config.redisKeyPrefix) : createMemoryKeyedLock());
      const mongoAudit = createMongoAuditStore(connected, { queryTimeoutMs: config.audit.queryTimeoutMs });
      await mongoAudit.ensureIndexes();
      auditStore = mongoAudit;
      resourceStore = createMongoResourceStore(connected);
      settings = createMongoSettingStore(connected);
      const built = await createDurableAdapterFactory({
        connection: connected,
        cipher,
        redis,
        channel: `${config.redisKeyPrefix}invalidate`,
        cacheSeconds: config.clientCacheSeconds,
        logger,
      });
      closers.push(() => built.close());
      durable = built.factory;
      invalidation = built.invalidation;
      uncachedDurable = built.uncached;
      directory = createMongoClientDirectory(connected, withoutSealedSecret);
      readinessChecks.push({ name: 'mongodb', check: () => pingMongo(connected) });
      const cleanup = setInterval(() => {
        deleteExpiredDurableRecords(connected).catch((error: unknown) => {
          logger.warn({ err: describeError(error) }, 'expired record cleanup failed');
        });
      }, SWEEP_INTERVAL_MS);
      cleanup.unref();
      closers.push(async () => clearInterval(cleanup));
    }

    const audit = createAuditLog({
      store: auditStore,
      spool: redis ? createRedisAuditSpool(redis, `${config.redisKeyPrefix}audit:spool`) : undefined,
      logger,
      options: config.audit,
      storageOf: createStoragePolicy(config.audit.storage),
    });
    // Registered after the stores, so it runs before them at close: the last batch still lands.
    closers.push(() => audit.close());
    const metrics = createMetrics({ audit, ...(primary ? { pool: { channel: primary, workers: config.webConcurrency } } : {}) });
    closers.push(async () => metrics.close());
    if (redis) metrics.watchRedis(redis);
    if (mongo) metrics.watchMongo(mongo);
    const retention = setInterval(() => {
      const cutoff = new Date(Date.now() - config.audit.retentionDays * 86_400_000);
      auditStore.deleteOlderThan(cutoff).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'audit retention failed'));
    }, RETENTION_INTERVAL_MS);
    retention.unref();
    closers.push(async () => clearInterval(retention));

    const pairwiseKey = await loadSharedKey(settings, cipher, PAIRWISE_KEY_SETTING);
    const dpopNonceKey = await loadSharedKey(settings, cipher, DPOP_NONCE_KEY_SETTING);
    const accountsForTokens = createAccountClaimsCache(accountStore, { ttlSeconds: config.clientCacheSeconds, maxEntries: ACCOUNT_CACHE_ENTRIES, ...(invalidation ? { invalidation } : {}) });
    const accounts = buildAccountService(config, { store: accountsForTokens.store, throttle: ephemeral.throttle, claims: ephemeral.claims, sessions: ephemeral.sessions });
    const consents = createRememberedConsents(ephemeral.consents);
    const resources = createResourceService({ store: resourceStore, cacheSeconds: config.clientCacheSeconds, ...(invalidation ? { invalidation } : {}) });
    const renderer = createRenderer(undefined, { brand: config.branding });
    const adapter = createRoutingAdapterFactory(durable, ephemeral.adapter);
    const tokenExchange = createTokenExchange({ resources, accounts: accountsForTokens, audit });
    // A provider is built per key set: oidc-provider has no way to swap keys in a running
    // instance, so a reload builds a new one and every consumer reads `current` per request.
    const buildForKeys = (jwks: { keys: JWK[] }): Provider => {
      const built = createProvider({
        config,
        adapter,
        jwks,
        findAccount: createFindAccount(accountsForTokens, config.customClaims),
        consents,
        resources,
        renderer,
        pairwiseKey,
        dpopNonceKey,
        tokenExchange,
        logger,
      });
      recordProviderEvents(built, audit);
      watchFrontchannelLogout(built);
      metrics.watchProvider(built);
      return built;
    };
    const signingKeys = createSigningKeys({ store: mongo ? createMongoSigningKeyStore(mongo) : createMemorySigningKeyStore(), cipher, timings: config.signingKeys, settings });
    const bootstrapped = await signingKeys.bootstrap(config.keysDir);
    if (bootstrapped.imported > 0) logger.info({ keysDir: config.keysDir, keys: bootstrapped.imported }, 'signing keys imported from KEYS_DIR');
    if (bootstrapped.generated > 0 && mongo) logger.info({ keys: bootstrapped.generated }, 'signing keys generated');
    let current: Provider | undefined;
    // Replaced by the first apply() below, before the server can take a request.
    let mounted: Middleware = () => {
      throw new Error('the provider is not built yet');
    };
    const watcher = createKeyWatcher({
      signingKeys,
      refreshSeconds: config.signingKeys.refreshSeconds,
      logger,
      apply(keys, now) {
        const first = current === undefined;
        const next = buildForKeys(jwksAt(keys, now));
        current = next;
        mounted = compose(next.middleware);
        if (!first) logger.info({ keys: keys.map((key) => ({ kid: key.kid, alg: key.alg, state: stateAt(key, now) })) }, 'signing keys changed');
      },
      onChanged({ rotated, removed }) {
        for (const key of rotated) audit.record({ type: 'signing_keys.rotated', outcome: 'success', details: { kid: key.kid, alg: key.alg, activates_at: key.activatesAt.toISOString(), scheduled: true } });
        if (removed.length > 0) audit.record({ type: 'signing_keys.retired', outcome: 'success', details: { kids: removed.join(' ') } });
      },
    });
    await watcher.start();
    closers.push(async () => watcher.close());
    if (!current) throw new KeySetError('missing', 'no signing keys could be loaded');
    const provider: Provider = current;
    const currentProvider = (): Provider => current ?? provider;
    const clients = createClientService({
      adapter,
      directory,
      validate: createClientValidator(provider),
      allowedScopes: config.scopes,
      resourceExists: async (identifier) => (await resources.lookup(identifier)) !== undefined,
    });
    const mailer = buildMailer(config, logger);
    if ('close' in mailer) closers.push(async () => mailer.close());
    const mail = createMailWriter({ mailer, renderer, logger, issuer: config.issuer });
    const notices = createSecurityNotices({ mail, claims: ephemeral.claims });
    const passkeys = createPasskeyService({
      store: accountsForTokens.store,
      throttle: ephemeral.throttle,
      claims: ephemeral.claims,
      challenges: createPasskeyChallenges(config.cookieKeys.value, { lifetimeSeconds: PASSKEY_CHALLENGE_SECONDS }),
      relyingParty: relyingPartyFor(config.issuer, config.branding.name),
      limit: PASSKEYS_PER_ACCOUNT,
    });
    const passkeyScript = loadPasskeyScript(config.issuer);
    const interactions: InteractionDeps = {
      get provider() {
        return currentProvider();
      },
      accounts,
      passkeys,
      passkeyScript,
      cipher,
      loginStates: ephemeral.loginStates,
      consents,
      csrf: createCsrf(config.cookieKeys.value),
      renderer,
      logger,
      audit,
      notices,
      interactionTtlSeconds: config.ttl.interactionSeconds,
      grantTtlSeconds: config.ttl.grantSeconds,
    };
    const rateLimitNamespace = `${config.redisKeyPrefix}ratelimit`;
    const rateLimits = {
      interactions: createRateLimit({ db: ephemeral.rateLimitDb, namespace: `${rateLimitNamespace}:interaction`, perMinute: config.rateLimit.interactionPostsPerMinute }),
      token: createRateLimit({ db: ephemeral.rateLimitDb, namespace: `${rateLimitNamespace}:token`, perMinute: config.rateLimit.tokenRequestsPerMinute }),
      authorization: createRateLimit({ db: ephemeral.rateLimitDb, namespace: `${rateLimitNamespace}:authorization`, perMinute: config.rateLimit.authorizationRequestsPerMinute }),
    };

    const passwordResetPages = createPasswordResetPages({
      reset: createPasswordReset({
        accounts,
        grants: ephemeral.resetGrants,
        claims: ephemeral.claims,
        ttlSeconds: config.passwordReset.ttlSeconds,
        mailIntervalSeconds: config.passwordReset.mailIntervalSeconds,
      }),
      mailer,
      mail,
      renderer,
      csrf: createPageCsrf(interactions.csrf),
      audit,
      issuer: config.issuer,
      ttlMinutes: Math.round(config.passwordReset.ttlSeconds / 60),
      rateLimit: rateLimits.interactions,
    });

    return {
      config,
      logger,
      renderer,
      adapter,
      loadClientRecord: async (clientId) => (await uncachedDurable('Client').find(clientId)) ?? undefined,
      get provider() {
        return currentProvider();
      },
      get signingKeys() {
        return watcher.keys;
      },
      providerMiddleware: async (ctx, next) => {
        await mounted(ctx, next);
      },
      reloadKeys: () => watcher.reload(),
      keys: signingKeys,
      accounts,
      clients,
      resources,
      audit,
      auditStore,
      metrics,
      interactions,
      passwordResetPages,
      accountPages: createAccountPages({
        provider: currentProvider, accounts, sessions: ephemeral.sessions, adapter, csrf: createPageCsrf(interactions.csrf), audit, renderer, issuer: config.issuer, notices, mail, passkeys, passkeyScript,
        verification: createEmailVerification({ accounts, grants: ephemeral.verifyGrants, claims: ephemeral.claims, ttlSeconds: 86_400, mailIntervalSeconds: config.passwordReset.mailIntervalSeconds }),
      }),
      homePage: createHomePage({ renderer }),
      pageScripts: createPageScriptsRouter([passkeyScript]),
      rateLimits,
      readinessChecks,
      storage: { redis: redis ? 'redis' : 'memory', mongo: mongo ? 'mongodb' : 'memory' },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
