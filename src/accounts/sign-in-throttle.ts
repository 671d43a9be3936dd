/**
 * How failed sign-ins are slowed, modelled on Auth0's brute-force protection and suspicious-IP
 * throttling: a (login, address) pair is locked after a few failures, an account-wide ceiling
 * across all addresses adds a growing delay instead of a lock, and an address that fails across
 * many logins is refused for a while. Logins are the email as typed (normalised), existing or
 * not, so the answers say nothing about which accounts exist.
 */
export interface ThrottlePolicy {
  /** Failures of one login from one address before that pair is locked for the rest of the window. */
  readonly pairFailures: number;
  readonly pairWindowSeconds: number;
  /** Failures of one login from all addresses before every further failure adds a delay. */
  readonly accountFailures: number;
  readonly accountWindowSeconds: number;
  /** The longest the account delay grows (it doubles with each failure past the ceiling). */
  readonly accountMaxDelaySeconds: number;
  /** Failures from one address across all logins before that address is refused. */
  readonly addressFailures: number;
  readonly addressWindowSeconds: number;
}

/** Who is trying: the login as typed (normalised) and the client address. */
export interface SignInAttempt {
  readonly login: string;
  readonly address: string;
}

export interface ThrottleRefusal {
  /** pair: this login from this address; account: this login from anywhere; address: any login from here. */
  readonly scope: 'pair' | 'account' | 'address';
  readonly retryAfterSeconds: number;
}

export interface ThrottleStatus {
  readonly lockedAddresses: readonly { readonly address: string; readonly until: Date }[];
  readonly slowedUntil: Date | undefined;
  /** Failures counted against the login across all addresses in the current window. */
  readonly recentFailures: number;
}

/** Shared by every instance (Redis), or one process's memory in development. */
export interface SignInThrottle {
  /**
   * Before a password or code is checked: one atomic check-and-count per counter. The attempt
   * is counted as a failure in advance, so concurrent attempts can never check more than the
   * limit allows; a refusal means nothing may be checked.
   */
  begin(attempt: SignInAttempt): Promise<ThrottleRefusal | undefined>;
  /** The check failed. Says whether this failure locked the pair, and any delay it set on the login. */
  failed(attempt: SignInAttempt): Promise<{ readonly pairLocked: boolean; readonly delaySeconds: number }>;
  /** The check passed: takes back what begin counted. */
  passed(attempt: SignInAttempt): Promise<void>;
  /** A whole sign-in finished: this pair's failures are forgotten. */
  signedIn(attempt: SignInAttempt): Promise<void>;
  status(login: string): Promise<ThrottleStatus>;
  /** Lifts every lock and delay on the login (an administrator's `users unlock`). */
  clear(login: string): Promise<void>;
}

/** The delay after the n-th failure past the account ceiling: 1 s, 2 s, 4 s ... up to the maximum. */
export function accountDelaySeconds(failuresOverCeiling: number, maxSeconds: number): number {
  if (failuresOverCeiling <= 0) return 0;
  return Math.min(2 ** Math.min(failuresOverCeiling - 1, 30), maxSeconds);
}
