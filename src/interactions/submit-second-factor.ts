import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import type { CheckFailed, Throttled } from '../accounts/account-service.js';
import type { InteractionDeps } from './interaction-deps.js';
import { pageLocale } from '../http/send-page.js';
import { finishInteraction, loadSubmittedStep, renderPage, requestParam, type SubmittedStep } from './interaction-page.js';
import { buildSecondFactorView } from './show-interaction.js';
import { describeRefusal, noteCounterEffects, noteRefusal } from './sign-in-refusals.js';
import { buildAmr, SIGN_IN_ACR, type SecondFactorMethod } from './sign-in-methods.js';
import { rememberBrowser, seenBefore } from './known-browsers.js';
import { passkeyPageOptions, signInPasskeyForm } from './passkey-forms.js';
import { message, type Message } from '../i18n/message.js';

const CODE_ERROR = message('secondFactor.wrongCode');
const PASSKEY_ERROR = message('secondFactor.passkeyFailed');

type SecondFactorStep = SubmittedStep<'second_factor'>;

/**
 * A failed second factor keeps the user on this step, with its own message: the page again,
 * the passkey offer included, and the failure audited and counted.
 */
async function refuse(ctx: Context, deps: InteractionDeps, step: SecondFactorStep, result: CheckFailed<'invalid' | 'replayed'> | Throttled, method: SecondFactorMethod): Promise<void> {
  const { details, state, account } = step;
  const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: state.accountId };
  const passkey = await signInPasskeyForm(deps, account, details.uid);
  if (result.reason === 'throttled') {
    noteRefusal(ctx, deps, context, result.refusal);
    return renderPage(ctx, deps, 'second-factor', buildSecondFactorView(deps, details.uid, describeRefusal(result.refusal), state.login, passkey), 429, passkeyPageOptions(passkey));
  }
  deps.audit.record({ ...context, type: 'login.second_factor_failed', outcome: 'failure', details: { reason: result.reason, ...(method === 'passkey' ? { method } : {}) } });
  noteCounterEffects(deps, context, result, 'second_factor', pageLocale(ctx, deps.renderer));
  const error: Message = method === 'passkey' ? PASSKEY_ERROR : CODE_ERROR;
  return renderPage(ctx, deps, 'second-factor', buildSecondFactorView(deps, details.uid, error, state.login, passkey), 401, passkeyPageOptions(passkey));
}

/** Both factors passed: the sign-in is complete, and the browser goes back to the provider. */
async function complete(ctx: Context, deps: InteractionDeps, step: SecondFactorStep, method: SecondFactorMethod, amr: string[]): Promise<void> {
  const { details, state, account } = step;
  const attempt = { login: state.login, address: ctx.ip };
  const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: state.accountId };
  await deps.loginStates.delete(details.uid);
  await deps.accounts.completeSignIn(attempt);
  if (!seenBefore(ctx, state.accountId)) {
    deps.notices.newSignIn({ id: account.id, email: account.email }, { address: ctx.ip, userAgent: ctx.get('user-agent'), at: new Date() }, pageLocale(ctx, deps.renderer));
  }
  rememberBrowser(ctx, state.accountId);
  if (method === 'recovery_code') deps.audit.record({ ...context, type: 'recovery_code.used', outcome: 'success' });
  deps.audit.record({ ...context, type: 'login.succeeded', outcome: 'success', details: { method } });
  await finishInteraction(ctx, deps, { login: { accountId: state.accountId, acr: SIGN_IN_ACR, amr, remember: true } });
}

/**
 * POST /interaction/:uid/second-factor: a TOTP or recovery code, after the password in this
 * interaction. Wrong codes and refusals keep the user on this step, each with its own message.
 */
export function createSubmitSecondFactor(deps: InteractionDeps) {
  return async function submitSecondFactor(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'second_factor');
    if (!step) return;
    const attempt = { login: step.state.login, address: ctx.ip };
    const result = await deps.accounts.checkSecondFactor(step.account, attempt, (step.form.code ?? '').slice(0, 64));
    if (!result.ok) return refuse(ctx, deps, step, result, 'totp');
    await complete(ctx, deps, step, result.method, buildAmr(result.method));
  };
}

/**
 * POST /interaction/:uid/passkey: the browser's passkey assertion instead of a code, over the
 * challenge this step's page was given. Counted by the same throttle as a code.
 */
export function createSubmitPasskey(deps: InteractionDeps) {
  return async function submitPasskey(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'second_factor');
    if (!step) return;
    const attempt = { login: step.state.login, address: ctx.ip };
    const result = await deps.passkeys.signIn(step.account, attempt, step.details.uid, step.form.credential ?? '');
    if (!result.ok) return refuse(ctx, deps, step, result, 'passkey');
    await complete(ctx, deps, step, 'passkey', buildAmr('passkey', { synced: result.synced }));
  };
}
