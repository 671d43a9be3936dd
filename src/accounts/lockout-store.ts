export interface LockoutPolicy {
  readonly maxFailures: number;
  readonly windowSeconds: number;
  readonly lockSeconds: number;
}

/**
 * Failed-attempt counting per account, shared by every instance. After `maxFailures` failures
 * within `windowSeconds` the account is locked for `lockSeconds`, whatever is entered then.
 */
export interface LockoutStore {
  isLocked(accountId: string): Promise<boolean>;
  /** Counts a failure; true when this failure locked the account. */
  recordFailure(accountId: string): Promise<boolean>;
  /** Forgets the failures (after a full sign-in); an active lock stays. */
  clearFailures(accountId: string): Promise<void>;
  /** Lifts a lock and its failures (an admin action). */
  unlock(accountId: string): Promise<void>;
}

/** Atomic "first one wins" markers: a TOTP time step or recovery code is accepted once only. */
export interface OneTimeClaims {
  /** True for the first caller of `key` within `ttlSeconds`, false for everyone after. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}
