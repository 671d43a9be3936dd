import type { Context } from 'koa';

import type { CheckFailed } from '../accounts/account-service.js';
import type { ThrottleRefusal } from '../accounts/sign-in-throttle.js';
import type { AuditInput } from '../audit/audit-event.js';
import type { InteractionDeps } from './interaction-deps.js';
import { describeWait } from '../http/describe-wait.js';
import { message, type Message } from '../i18n/message.js';


/**
 * What a refused sign-in is told: which limit, and how long to wait. Limits are counted per
 * email as typed (existing or not) and per address, so this says nothing about accounts.
 */
export function describeRefusal(refusal: ThrottleRefusal): Message {
  const wait = describeWait(refusal.retryAfterSeconds);
  if (refusal.scope === 'pair') return message('refusal.pair', { wait });
  if (refusal.scope === 'account') return message('refusal.account', { wait });
  return message('refusal.address', { wait });
}

/** Records a refusal and sets Retry-After; the caller renders its page with status 429. */
export function noteRefusal(ctx: Context, deps: Pick<InteractionDeps, 'audit'>, context: Omit<AuditInput, 'type' | 'outcome'>, refusal: ThrottleRefusal): void {
  ctx.set('Retry-After', String(refusal.retryAfterSeconds));
  deps.audit.record({ ...context, type: 'login.throttled', outcome: 'failure', details: { scope: refusal.scope, retry_after_seconds: refusal.retryAfterSeconds } });
}

/** The owner hears that sign-ins were paused (an account that exists; the page says the same either way). */
async function tellOwnerOfPause(deps: Pick<InteractionDeps, 'accounts' | 'notices' | 'logger'>, accountId: string, address: string, locale: string): Promise<void> {
  try {
    const account = await deps.accounts.findById(accountId);
    if (account) await deps.notices.signInsPaused({ id: account.id, email: account.email }, { address }, locale);
  } catch (error) {
    deps.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, accountId }, 'sign-in pause notice skipped');
  }
}

/**
 * Audits what a failed check did to the counters: a pair locked, or the email slowed everywhere.
 * `locale` is the sign-in page's language, which the owner's notice is written in.
 */
export function noteCounterEffects(deps: Pick<InteractionDeps, 'audit' | 'accounts' | 'notices' | 'logger'>, context: Omit<AuditInput, 'type' | 'outcome'>, failure: CheckFailed<string>, step: string, locale: string): void {
  if (failure.pairLocked) {
    deps.audit.record({ ...context, type: 'login.locked', outcome: 'success', details: { scope: 'pair', after: step } });
    if (context.accountId) void tellOwnerOfPause(deps, context.accountId, context.ip ?? 'an unknown address', locale);
  }
  if (failure.delaySeconds) deps.audit.record({ ...context, type: 'account.throttled', outcome: 'success', details: { delay_seconds: failure.delaySeconds, after: step } });
}
