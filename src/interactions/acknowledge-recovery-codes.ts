import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import type { InteractionDeps } from './interaction-deps.js';
import { finishInteraction, loadSubmittedStep, requestParam } from './interaction-page.js';
import { buildAmr, SIGN_IN_ACR } from './sign-in-methods.js';
import { rememberBrowser } from './known-browsers.js';

/** POST /interaction/:uid/recovery-codes: the user has their codes; the first sign-in completes. */
export function createAcknowledgeRecoveryCodes(deps: InteractionDeps) {
  return async function acknowledgeRecoveryCodes(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'recovery_codes');
    if (!step) return;
    const { details, state } = step;

    await deps.loginStates.delete(details.uid);
    await deps.accounts.completeSignIn({ login: state.login, address: ctx.ip });
    deps.audit.record({
      ...auditContextOf(ctx),
      type: 'login.succeeded',
      outcome: 'success',
      accountId: state.accountId,
      clientId: requestParam(details, 'client_id') ?? null,
      details: { method: 'totp_enrolment' },
    });
    // The browser that enrolled the account's first authenticator is its first known browser.
    rememberBrowser(ctx, state.accountId);
    await finishInteraction(ctx, deps, { login: { accountId: state.accountId, acr: SIGN_IN_ACR, amr: buildAmr('totp'), remember: true } });
  };
}
