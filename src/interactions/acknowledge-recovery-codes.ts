import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import { readForm } from '../http/read-form.js';
import type { InteractionDeps } from './interaction-deps.js';
import { checkCsrf, finishInteraction, loadInteraction, redirectToInteraction } from './interaction-page.js';
import { buildAmr } from './sign-in-methods.js';

/** POST /interaction/:uid/recovery-codes: the user has their codes; the first sign-in completes. */
export function createAcknowledgeRecoveryCodes(deps: InteractionDeps) {
  return async function acknowledgeRecoveryCodes(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    const form = await readForm(ctx);
    checkCsrf(deps, details.uid, form);
    const state = await deps.loginStates.get(details.uid);
    if (details.prompt.name !== 'login' || state?.stage !== 'recovery_codes') return redirectToInteraction(ctx, details.uid);

    await deps.loginStates.delete(details.uid);
    await deps.accounts.completeSignIn(state.accountId);
    deps.audit.record({
      ...auditContextOf(ctx),
      type: 'login.succeeded',
      outcome: 'success',
      accountId: state.accountId,
      clientId: String(details.params.client_id ?? '') || null,
      details: { method: 'totp_enrolment' },
    });
    await finishInteraction(ctx, deps, { login: { accountId: state.accountId, amr: buildAmr('totp'), remember: true } });
  };
}
