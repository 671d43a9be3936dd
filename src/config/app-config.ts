export type RuntimeMode = 'production' | 'development' | 'test';

export interface TtlConfig {
  readonly accessTokenSeconds: number;
  readonly clientCredentialsSeconds: number;
  readonly authorizationCodeSeconds: number;
  readonly idTokenSeconds: number;
  readonly refreshTokenSeconds: number;
  readonly sessionSeconds: number;
  readonly grantSeconds: number;
  readonly interactionSeconds: number;
  readonly initialAccessTokenSeconds: number;
}

/** Where a secret came from: development runs may generate what production must be given. */
export interface Secret<T> {
  readonly value: T;
  readonly generated: boolean;
}

/** Everything Latchkey reads from the environment and config/, validated once at start. */
export interface AppConfig {
  readonly mode: RuntimeMode;
  readonly port: number;
  readonly issuer: string;
  readonly mongodbUri: string | undefined;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  /** How long an instance may serve a client record from memory when no invalidation reaches it. */
  readonly clientCacheSeconds: number;
  readonly cookieKeys: Secret<readonly string[]>;
  readonly keysDir: string;
  readonly dataEncryptionKey: Secret<Buffer>;
  readonly trustProxy: boolean;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutSeconds: number;
  readonly ttl: TtlConfig;
  readonly scopes: readonly string[];
  readonly argon2: { readonly memoryKiB: number; readonly timeCost: number; readonly parallelism: number };
  readonly password: { readonly minLength: number; readonly maxLength: number };
  readonly lockout: { readonly maxFailures: number; readonly windowSeconds: number; readonly lockSeconds: number };
  readonly rateLimit: { readonly interactionPostsPerMinute: number; readonly tokenRequestsPerMinute: number };
  /** The issuer name authenticator apps show next to the account. */
  readonly totpIssuer: string;
  readonly audit: { readonly retentionDays: number; readonly flushIntervalMs: number; readonly batchSize: number; readonly maxBuffered: number };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
