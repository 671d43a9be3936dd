import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import type { InteractionDeps } from './interaction-deps.js';
import { pageLocale } from '../http/send-page.js';
import { finishInteraction, loadSubmittedStep, renderPage, requestParam } from './interaction-page.js';
import { buildSecondFactorView } from './show-interaction.js';
import { describeRefusal, noteCounterEffects, noteRefusal } from './sign-in-refusals.js';
import { buildAmr, SIGN_IN_ACR } from './sign-in-methods.js';
import { rememberBrowser, seenBefore } from './known-browsers.js';
import { message } from '../i18n/message.js';

const CODE_ERROR = message('secondFactor.wrongCode');

/**
 * POST /interaction/:uid/second-factor: a TOTP or recovery code, after the password in this
 * interaction. Wrong codes and refusals keep the user on this step, each with its own message.
 */
export function createSubmitSecondFactor(deps: InteractionDeps) {
  return async function submitSecondFactor(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'second_factor');
    if (!step) return;
    const { details, form, state, account } = step;

    const attempt = { login: state.login, address: ctx.ip };
    const result = await deps.accounts.checkSecondFactor(account, attempt, (form.code ?? '').slice(0, 64));
    const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: state.accountId };
    if (!result.ok) {
      if (result.reason === 'throttled') {
        noteRefusal(ctx, deps, context, result.refusal);
        return renderPage(ctx, deps, 'second-factor', buildSecondFactorView(deps, details.uid, describeRefusal(result.refusal), state.login), 429);
      }
      deps.audit.record({ ...context, type: 'login.second_factor_failed', outcome: 'failure', details: { reason: result.reason } });
      noteCounterEffects(deps, context, result, 'second_factor', pageLocale(ctx, deps.renderer));
      return renderPage(ctx, deps, 'second-factor', buildSecondFactorView(deps, details.uid, CODE_ERROR, state.login), 401);
    }

    await deps.loginStates.delete(details.uid);
    await deps.accounts.completeSignIn(attempt);
    if (!seenBefore(ctx, state.accountId)) {
      deps.notices.newSignIn({ id: account.id, email: account.email }, { address: ctx.ip, userAgent: ctx.get('user-agent'), at: new Date() }, pageLocale(ctx, deps.renderer));
    }
    rememberBrowser(ctx, state.accountId);
    if (result.method === 'recovery_code') deps.audit.record({ ...context, type: 'recovery_code.used', outcome: 'success' });
    deps.audit.record({ ...context, type: 'login.succeeded', outcome: 'success', details: { method: result.method } });
    await finishInteraction(ctx, deps, { login: { accountId: state.accountId, acr: SIGN_IN_ACR, amr: buildAmr(result.method), remember: true } });
  };
}
