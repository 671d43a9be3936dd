import type { SignInAttempt, SignInThrottle, ThrottleRefusal } from './sign-in-throttle.js';

/** Refused before anything was checked (sign-in-throttle.ts says by which counter). */
export interface Throttled {
  readonly ok: false;
  readonly reason: 'throttled';
  readonly refusal: ThrottleRefusal;
}

/** A check that ran and failed, and what the failure did to the counters. */
export interface CheckFailed<R extends string> {
  readonly ok: false;
  readonly reason: R;
  readonly accountId?: string;
  /** This failure locked the (login, address) pair. */
  readonly pairLocked?: boolean;
  /** This failure put the login past its ceiling: further attempts wait this long. */
  readonly delaySeconds?: number;
}

/** Counts a failed check and reports what it did to the counters. */
export async function countFailure<R extends string>(throttle: Pick<SignInThrottle, 'failed'>, attempt: SignInAttempt, reason: R, accountId?: string): Promise<CheckFailed<R>> {
  const { pairLocked, delaySeconds } = await throttle.failed(attempt);
  return { ok: false, reason, ...(accountId ? { accountId } : {}), pairLocked, delaySeconds };
}
