import type { Context } from 'koa';

import { toLogin } from '../accounts/account-service.js';
import { auditContextOf } from '../audit/provider-audit.js';
import { readForm } from '../http/read-form.js';
import type { InteractionDeps } from './interaction-deps.js';
import { pageLocale } from '../http/send-page.js';
import { checkCsrf, loadInteraction, redirectToInteraction, renderPage, requestParam } from './interaction-page.js';
import { askingClientOf, buildLoginView, LOGIN_ERROR } from './show-interaction.js';
import { describeRefusal, noteCounterEffects, noteRefusal } from './sign-in-refusals.js';

/** POST /interaction/:uid/login: the password step. Success leads to the second factor, never to a login. */
export function createSubmitLogin(deps: InteractionDeps) {
  return async function submitLogin(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    const form = await readForm(ctx);
    checkCsrf(deps, details.uid, form);
    if (details.prompt.name !== 'login') return redirectToInteraction(ctx, details.uid);

    const email = (form.email ?? '').slice(0, 320);
    const result = await deps.accounts.checkPassword(email, form.password ?? '', ctx.ip);
    if (!result.ok) {
      const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: result.reason === 'throttled' ? null : (result.accountId ?? null) };
      if (result.reason === 'throttled') {
        noteRefusal(ctx, deps, context, result.refusal);
        const asking = await askingClientOf(deps, details);
        return renderPage(ctx, deps, 'login', buildLoginView(deps, details.uid, { email, error: describeRefusal(result.refusal), asking }), 429, { imageOrigin: asking.logo?.origin });
      }
      deps.audit.record({ ...context, type: 'login.password_failed', outcome: 'failure', details: { reason: result.reason } });
      noteCounterEffects(deps, context, result, 'password', pageLocale(ctx, deps.renderer));
      const asking = await askingClientOf(deps, details);
      return renderPage(ctx, deps, 'login', buildLoginView(deps, details.uid, { email, error: LOGIN_ERROR, asking }), 401, { imageOrigin: asking.logo?.origin });
    }

    const { account } = result;
    const login = toLogin(email);
    if (account.totpSecretEncrypted) {
      const hasPasskeys = deps.passkeys.available && account.passkeys.length > 0;
      await deps.loginStates.set(details.uid, { stage: 'second_factor', accountId: account.id, login, ...(hasPasskeys ? { hasPasskeys } : {}) }, deps.interactionTtlSeconds);
    } else {
      const enrolment = deps.accounts.startEnrolment(account);
      await deps.loginStates.set(
        details.uid,
        { stage: 'enrol', accountId: account.id, login, secretEncrypted: deps.cipher.encrypt(enrolment.secret, 'enrolment') },
        deps.interactionTtlSeconds,
      );
    }
    redirectToInteraction(ctx, details.uid);
  };
}
