import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import type { InteractionDeps } from './interaction-deps.js';
import { pageLocale } from '../http/send-page.js';
import { finishInteraction, loadSubmittedStep, renderPage, requestParam, type SubmittedStep } from './interaction-page.js';
import { passkeyPageOptions, passkeyRefusal } from './passkey-forms.js';
import { buildRecoveryCodesView } from './show-interaction.js';
import { buildAmr, SIGN_IN_ACR } from './sign-in-methods.js';
import { rememberBrowser } from './known-browsers.js';

/** The user has their codes: the first sign-in completes (its second factor was the enrolment's code). */
async function completeFirstSignIn(ctx: Context, deps: InteractionDeps, step: SubmittedStep<'recovery_codes'>): Promise<void> {
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
}

/** POST /interaction/:uid/recovery-codes: the user has their codes; the first sign-in completes. */
export function createAcknowledgeRecoveryCodes(deps: InteractionDeps) {
  return async function acknowledgeRecoveryCodes(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'recovery_codes');
    if (!step) return;
    await completeFirstSignIn(ctx, deps, step);
  };
}

/**
 * POST /interaction/:uid/passkey-enrol: from the recovery codes page, a passkey made in this
 * browser is added beside the new authenticator app, and the first sign-in completes. A passkey
 * that does not check out leaves the user on the page, codes and all, to try again or go on.
 */
export function createEnrolPasskey(deps: InteractionDeps) {
  return async function enrolPasskey(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'recovery_codes');
    if (!step) return;
    const { details, form, state, account } = step;
    const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: state.accountId };
    const result = await deps.passkeys.register(account, details.uid, form.credential ?? '', form.passkey_name ?? '');
    if (!result.ok) {
      deps.audit.record({ ...context, type: 'passkey.add_failed', outcome: 'failure', details: { reason: result.reason } });
      const fresh = (await deps.accounts.findById(account.id)) ?? account;
      const { model, passkey } = await buildRecoveryCodesView(deps, details.uid, state.codesEncrypted, fresh, passkeyRefusal(result.reason));
      return renderPage(ctx, deps, 'recovery-codes', model, 400, passkeyPageOptions(passkey));
    }
    deps.audit.record({ ...context, type: 'passkey.added', outcome: 'success', details: { synced: result.passkey.synced } });
    deps.notices.securityChange({ id: account.id, email: account.email }, 'passkeyAdded', pageLocale(ctx, deps.renderer));
    await completeFirstSignIn(ctx, deps, step);
  };
}
