import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import type { InteractionDeps } from './interaction-deps.js';
import { pageLocale } from '../http/send-page.js';
import { loadSubmittedStep, redirectToInteraction, renderPage, requestParam } from './interaction-page.js';
import { buildEnrolView } from './show-interaction.js';
import { describeRefusal, noteCounterEffects, noteRefusal } from './sign-in-refusals.js';
import { message } from '../i18n/message.js';

/** POST /interaction/:uid/enrol: confirms the new authenticator with a code, then shows recovery codes. */
export function createSubmitEnrolment(deps: InteractionDeps) {
  return async function submitEnrolment(ctx: Context): Promise<void> {
    const step = await loadSubmittedStep(ctx, deps, 'enrol');
    if (!step) return;
    const { details, form, state } = step;

    const secret = deps.cipher.decrypt(state.secretEncrypted, 'enrolment');
    const result = await deps.accounts.confirmEnrolment(state.accountId, secret, (form.code ?? '').slice(0, 64), { login: state.login, address: ctx.ip });
    const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: state.accountId };
    if (!result.ok) {
      if (result.reason === 'throttled') {
        noteRefusal(ctx, deps, context, result.refusal);
        return renderPage(ctx, deps, 'enrol', await buildEnrolView(deps, details.uid, state.secretEncrypted, state.accountId, describeRefusal(result.refusal)), 429);
      }
      deps.audit.record({ ...context, type: 'totp.enrolment_failed', outcome: 'failure', details: { reason: result.reason } });
      noteCounterEffects(deps, context, result, 'enrolment', pageLocale(ctx, deps.renderer));
      if (result.reason === 'already_enrolled') {
        await deps.loginStates.delete(details.uid);
        return renderPage(ctx, deps, 'error', {
          title: 'enrol.already.title',
          heading: 'enrol.already.title',
          error: 'already_enrolled',
          description: message('enrol.already.text'),
        }, 409);
      }
      const view = await buildEnrolView(deps, details.uid, state.secretEncrypted, state.accountId, message('enrol.wrongCode'));
      return renderPage(ctx, deps, 'enrol', view, 401);
    }

    deps.audit.record({ ...context, type: 'totp.enrolled', outcome: 'success' });
    await deps.loginStates.set(
      details.uid,
      { stage: 'recovery_codes', accountId: state.accountId, login: state.login, codesEncrypted: deps.cipher.encrypt(JSON.stringify(result.recoveryCodes), 'recovery-codes') },
      deps.interactionTtlSeconds,
    );
    redirectToInteraction(ctx, details.uid);
  };
}
