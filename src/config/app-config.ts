import type { ThrottlePolicy } from '../accounts/sign-in-throttle.js';
import type { AuditStorage } from '../audit/audit-storage-policy.js';
import type { AttributeDeclaration } from '../accounts/profile.js';

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

/** One key of DATA_ENCRYPTION_KEY; its id is written into every ciphertext it makes. */
export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * Who may vouch for the client address in X-Forwarded-For: nobody (the socket's peer is the
 * client), a number of proxy hops in front, or the addresses and ranges of the proxies.
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'hops'; readonly hops: number }
  | { readonly kind: 'addresses'; readonly ranges: readonly string[] };

export const REGISTRATION_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

/** What a client registering with an initial access token that names this policy may ask for. */
export interface RegistrationPolicy {
  readonly grantTypes: readonly (typeof REGISTRATION_GRANT_TYPES)[number][];
  readonly scopes: readonly string[];
}

/** Everything Latchkey reads from the environment and config/, validated once at start. */
export interface SigningKeyConfig {
  /** Cache-Control max-age of the JWKS. */
  readonly jwksMaxAgeSeconds: number;
  readonly prepublishSeconds: number;
  readonly retireAfterSeconds: number;
  /** 0: no scheduled rotation. */
  readonly rotateAfterSeconds: number;
  /** How often an instance re-reads the keys. */
  readonly refreshSeconds: number;
}

export interface AppConfig {
  readonly mode: RuntimeMode;
  readonly port: number;
  readonly issuer: string;
  readonly mongodbUri: string | undefined;
  /** One server's URL, or with `redisCluster` the comma-separated seed nodes of a cluster. */
  readonly redisUrl: string | undefined;
  /** REDIS_CLUSTER=true: REDIS_URL names Redis Cluster nodes (multi-key commands stay in one slot). */
  readonly redisCluster: boolean;
  readonly redisKeyPrefix: string;
  /** How long an instance may serve a client record from memory when no invalidation reaches it. */
  readonly clientCacheSeconds: number;
  readonly cookieKeys: Secret<readonly string[]>;
  readonly keysDir: string;
  /** The first key encrypts; every listed key decrypts. */
  readonly dataEncryptionKeys: Secret<readonly DataKey[]>;
  readonly trustProxy: TrustProxy;
  /** /metrics: a bearer token it demands, and/or a listen address of its own instead of PORT. */
  readonly metrics: { readonly token: string | undefined; readonly listen: { readonly host: string; readonly port: number } | undefined };
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutSeconds: number;
  /** Worker processes sharing the port (node:cluster); 1 runs in this process. */
  readonly webConcurrency: number;
  /**
   * OpenTelemetry tracing: on when an OTLP endpoint is set. Only the switch is read here; the
   * exporter reads the standard OTEL_* variables (headers, protocol, timeouts) itself.
   */
  readonly tracing: boolean;
  readonly ttl: TtlConfig;
  readonly scopes: readonly string[];
  /**
   * Whether confidential clients must use PKCE unless an administrator set otherwise on the
   * client (public clients always must).
   */
  readonly pkce: { readonly confidentialClients: PkcePolicy };
  /**
   * Whether a DPoP proof must carry a nonce this server issued (RFC 9449 section 8): 'required'
   * keeps a proof from being made ahead of time and used later; 'optional' accepts proofs
   * without one. Nonces are stateless and valid on every instance.
   */
  readonly dpop: { readonly nonces: DpopNoncePolicy };
  /**
   * Account attributes an operator adds to the standard claims: each is a claim of its own name,
   * released under its scope (which is added to `scopes`).
   */
  readonly customClaims: Readonly<Record<string, AttributeDeclaration>>;
  /**
   * `conform`: claims of the profile/email/address/phone scopes go to userinfo, and into the ID
   * token only when asked for with the claims parameter (OpenID Connect Core 5.4). `scopes`: they
   * go into the ID token as well, for relying parties that never call userinfo.
   */
  readonly idTokenClaims: IdTokenClaims;
  /**
   * Hosts (host or host:port) the provider may fetch from although they are on loopback or a
   * private network: relying parties inside the operator's network. Everyone else is refused.
   */
  readonly privateNetworkHosts: readonly string[];
  /** Named policies an initial access token can carry (`initial-access-token create --policy`). */
  readonly registrationPolicies: Readonly<Record<string, RegistrationPolicy>>;
  readonly argon2: { readonly memoryKiB: number; readonly timeCost: number; readonly parallelism: number };
  /**
   * argon2 computations one process runs at once: its share of the CPUs (CPUs / workers, at least
   * one). More would only make them take turns on the same cores, and cost more in all.
   */
  readonly passwordHashConcurrency: number;
  readonly password: { readonly minLength: number; readonly maxLength: number };
  /** Failed sign-in counting: per (login, address) pair, per login, per address (accounts/sign-in-throttle.ts). */
  readonly bruteForce: ThrottlePolicy;
  readonly rateLimit: {
    readonly interactionPostsPerMinute: number;
    /** Authorization requests per client address: each may store a sign-in in progress. */
    readonly authorizationRequestsPerMinute: number;
    readonly tokenRequestsPerMinute: number;
  };
  /**
   * Outgoing mail: SMTP_URL (smtp:// or smtps://, credentials in the URL) and the From address.
   * Unset: development prints mail to the terminal; production sends none.
   */
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string };
  /** Signing key rotation (keys/key-lifecycle.ts): all in seconds. */
  readonly signingKeys: SigningKeyConfig;
  /** How long a password reset link works, and how often one address may be sent one. */
  readonly passwordReset: { readonly ttlSeconds: number; readonly mailIntervalSeconds: number };
  /**
   * What the pages look like to people: the service's name, an accent colour (buttons and links;
   * refused at start unless white text on it meets WCAG AA contrast) and a logo (a PNG, JPEG or
   * SVG file, embedded in the pages so that they still load nothing from anywhere).
   */
  readonly branding: { readonly name: string; readonly accentColor: string; readonly logoDataUri: string | undefined };
  /** The issuer name authenticator apps show next to the account. */
  readonly totpIssuer: string;
  readonly audit: {
    readonly retentionDays: number;
    readonly flushIntervalMs: number;
    readonly batchSize: number;
    readonly maxBuffered: number;
    /** Server-side limit (maxTimeMS) on one audit query. */
    readonly queryTimeoutMs: number;
    /** How each event type is kept (`*` for the rest): see audit/audit-storage-policy.ts. */
    readonly storage: Readonly<Record<string, AuditStorage>>;
  };
}

export const PKCE_POLICIES = ['required', 'optional'] as const;
export type PkcePolicy = (typeof PKCE_POLICIES)[number];

export const DPOP_NONCE_POLICIES = ['required', 'optional'] as const;
export type DpopNoncePolicy = (typeof DPOP_NONCE_POLICIES)[number];

export const ID_TOKEN_CLAIMS = ['conform', 'scopes'] as const;
export type IdTokenClaims = (typeof ID_TOKEN_CLAIMS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
