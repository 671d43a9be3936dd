import type { Context } from 'koa';

import { auditContextOf } from '../audit/provider-audit.js';
import { readForm } from '../http/read-form.js';
import type { InteractionDeps } from './interaction-deps.js';
import { checkCsrf, finishInteraction, loadInteraction, redirectToInteraction, requestParam, requireActiveAccount } from './interaction-page.js';

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** POST /interaction/:uid/consent: approve records a grant (remembered for later sign-ins); deny ends with access_denied. */
export function createSubmitConsent(deps: InteractionDeps) {
  return async function submitConsent(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    const form = await readForm(ctx);
    checkCsrf(deps, details.uid, form);
    if (details.prompt.name !== 'consent') return redirectToInteraction(ctx, details.uid);

    const context = { ...auditContextOf(ctx), clientId: requestParam(details, 'client_id') ?? null, accountId: details.session?.accountId ?? null };
    if (form.decision !== 'approve') {
      deps.audit.record({ ...context, type: 'consent.denied', outcome: 'success' });
      return finishInteraction(ctx, deps, { error: 'access_denied', error_description: 'End-User denied the request' });
    }
    const accountId = details.session?.accountId;
    const clientId = requestParam(details, 'client_id') ?? '';
    if (!accountId) return redirectToInteraction(ctx, details.uid);
    await requireActiveAccount(deps, details.uid, accountId);

    const grant = details.grantId
      ? await deps.provider.Grant.find(details.grantId)
      : new deps.provider.Grant({ accountId, clientId });
    if (!grant) return redirectToInteraction(ctx, details.uid);
    const missing = details.prompt.details as ConsentDetails;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await deps.consents.remember(accountId, clientId, { scope: grant.getOIDCScope(), claims: grant.getOIDCClaims(), resources: grant.resources ?? {} }, deps.grantTtlSeconds);
    deps.audit.record({ ...context, type: 'consent.granted', outcome: 'success', details: { scope: grant.getOIDCScope() } });
    await finishInteraction(ctx, deps, { consent: { grantId } });
  };
}
