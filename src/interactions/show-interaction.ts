import type { Context } from 'koa';
import QRCode from 'qrcode';

import type { InteractionDeps } from './interaction-deps.js';
import { loadInteraction, renderPage, requestParam, type InteractionDetails } from './interaction-page.js';
import { describeScope } from './scope-descriptions.js';
import { message, type Message } from '../i18n/message.js';
import { clientDisplayName } from '../oidc/account-client.js';
import type { Account } from '../accounts/account.js';
import { enrolPasskeyForm, passkeyPageOptions, signInPasskeyForm, type PasskeyForm } from './passkey-forms.js';

export const LOGIN_ERROR = message('login.wrongCredentials');

/** The application behind an interaction, for the pages to say who is asking: name and logo. */
export async function askingClientOf(deps: Pick<InteractionDeps, 'provider'>, details: InteractionDetails): Promise<{ name?: string | Message; logo?: { src: string; origin?: string } }> {
  const clientId = requestParam(details, 'client_id');
  const client = clientId ? await deps.provider.Client.find(clientId).catch(() => undefined) : undefined;
  if (!client) return {};
  const logo = consentLogo(client.logoUri);
  const name = clientDisplayName(client);
  return { ...(name ? { name } : {}), ...(logo ? { logo } : {}) };
}

/** View model of the login page; `error` when a previous attempt failed. */
export function buildLoginView(deps: Pick<InteractionDeps, 'csrf'>, uid: string, options: { email?: string; error?: Message; asking?: { name?: string | Message; logo?: { src: string } } } = {}): Record<string, unknown> {
  return {
    title: 'login.title',
    // Which application is asking, so nobody types their password for an app they did not open.
    clientName: options.asking?.name,
    clientLogo: options.asking?.logo?.src,
    action: `/interaction/${uid}/login`,
    abortAction: `/interaction/${uid}/abort`,
    csrf: deps.csrf.tokenFor(uid),
    email: options.email ?? '',
    error: options.error,
  };
}

export function buildSecondFactorView(deps: Pick<InteractionDeps, 'csrf'>, uid: string, error?: Message, login?: string, passkey?: PasskeyForm): Record<string, unknown> {
  return {
    title: 'secondFactor.title',
    passkey,
    action: `/interaction/${uid}/second-factor`,
    abortAction: `/interaction/${uid}/abort`,
    restartAction: `/interaction/${uid}/restart`,
    login,
    csrf: deps.csrf.tokenFor(uid),
    error,
  };
}

export async function buildEnrolView(deps: Pick<InteractionDeps, 'csrf' | 'accounts' | 'cipher'>, uid: string, secretEncrypted: string, accountId: string, error?: Message): Promise<Record<string, unknown>> {
  const secret = deps.cipher.decrypt(secretEncrypted, 'enrolment');
  const account = await deps.accounts.findById(accountId);
  const uri = account ? deps.accounts.buildTotpUri(secret, account.email) : '';
  return {
    title: 'enrol.title',
    action: `/interaction/${uid}/enrol`,
    abortAction: `/interaction/${uid}/abort`,
    csrf: deps.csrf.tokenFor(uid),
    secret,
    // Groups of four are easier to type by hand; shown apart by style only, so the element's
    // text is still the key itself (what a copy or a script reads).
    secretGroups: secret.match(/.{1,4}/g) ?? [secret],
    // On the phone that has the authenticator app, the link opens it directly.
    uri,
    // Rendered here as inline SVG: the page loads nothing from anywhere, the QR included.
    qrSvg: await QRCode.toString(uri, { type: 'svg', margin: 1, width: 200, errorCorrectionLevel: 'M' }),
    error,
  };
}

/** The first sign-in's recovery codes, with the offer of a passkey beside them where one can be added. */
export async function buildRecoveryCodesView(deps: Pick<InteractionDeps, 'csrf' | 'cipher' | 'passkeys' | 'passkeyScript'>, uid: string, codesEncrypted: string, account: Account | undefined, error?: Message): Promise<{ model: Record<string, unknown>; passkey: PasskeyForm | undefined }> {
  const passkey = await enrolPasskeyForm(deps, account, uid);
  const codes = JSON.parse(deps.cipher.decrypt(codesEncrypted, 'recovery-codes')) as string[];
  return {
    passkey,
    model: { title: 'recoveryCodes.title', action: `/interaction/${uid}/recovery-codes`, csrf: deps.csrf.tokenFor(uid), codes, passkey, error },
  };
}

interface ConsentClient {
  readonly clientName?: string | undefined;
  readonly clientId: string;
  readonly logoUri?: string | undefined;
  readonly policyUri?: string | undefined;
  readonly tosUri?: string | undefined;
}

/**
 * The client's logo: inline (data:image) or https, loaded from the origin it was registered with
 * (the page's CSP allows that origin alone). Anything else is not shown.
 */
export function consentLogo(logoUri: string | undefined): { src: string; origin?: string } | undefined {
  if (!logoUri) return undefined;
  if (logoUri.startsWith('data:image/')) return { src: logoUri };
  try {
    const url = new URL(logoUri);
    return url.protocol === 'https:' ? { src: url.href, origin: url.origin } : undefined;
  } catch {
    return undefined;
  }
}

function buildConsentView(deps: Pick<InteractionDeps, 'csrf' | 'accounts'>, details: InteractionDetails, client: ConsentClient): Record<string, unknown> {
  const requested = (requestParam(details, 'scope') ?? '').split(' ').filter(Boolean);
  const promptDetails = details.prompt.details as { missingOIDCScope?: string[] };
  const scopes = promptDetails.missingOIDCScope ?? requested;
  return {
    title: 'consent.title',
    action: `/interaction/${details.uid}/consent`,
    csrf: deps.csrf.tokenFor(details.uid),
    clientName: clientDisplayName(client) ?? client.clientId,
    logo: consentLogo(client.logoUri)?.src,
    scopes: scopes.map((scope) => ({ scope, description: describeScope(scope, deps.accounts.attributeDeclarations) })),
    // Links, not loads: following them is the user's choice.
    policyUri: client.policyUri?.startsWith('https://') ? client.policyUri : undefined,
    tosUri: client.tosUri?.startsWith('https://') ? client.tosUri : undefined,
  };
}

/** GET /interaction/:uid: shows whichever step this sign-in has reached. */
export function createShowInteraction(deps: InteractionDeps) {
  return async function showInteraction(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    const uid = details.uid;
    if (details.prompt.name === 'login') {
      const state = await deps.loginStates.get(uid);
      if (!state) {
        const asking = await askingClientOf(deps, details);
        return renderPage(ctx, deps, 'login', buildLoginView(deps, uid, { asking }), 200, { imageOrigin: asking.logo?.origin });
      }
      if (state.stage === 'second_factor') {
        // Only an account that had passkeys at the password step costs this page a read.
        const passkey = state.hasPasskeys ? await signInPasskeyForm(deps, await deps.accounts.findById(state.accountId), uid) : undefined;
        return renderPage(ctx, deps, 'second-factor', buildSecondFactorView(deps, uid, undefined, state.login, passkey), 200, passkeyPageOptions(passkey));
      }
      if (state.stage === 'enrol') return renderPage(ctx, deps, 'enrol', await buildEnrolView(deps, uid, state.secretEncrypted, state.accountId));
      const account = deps.passkeys.available ? await deps.accounts.findById(state.accountId) : undefined;
      const { model, passkey } = await buildRecoveryCodesView(deps, uid, state.codesEncrypted, account);
      return renderPage(ctx, deps, 'recovery-codes', model, 200, passkeyPageOptions(passkey));
    }
    if (details.prompt.name === 'consent') {
      const client = await deps.provider.Client.find(requestParam(details, 'client_id') ?? '');
      if (!client) return renderPage(ctx, deps, 'error', { title: 'errorPage.title', error: 'invalid_client', description: message('errorPage.clientGone') }, 400);
      const signedIn = details.session?.accountId ? await deps.accounts.findById(details.session.accountId) : undefined;
      return renderPage(ctx, deps, 'consent', { ...buildConsentView(deps, details, client), signedInAs: signedIn?.email }, 200, { imageOrigin: consentLogo(client.logoUri)?.origin });
    }
    return renderPage(ctx, deps, 'error', { title: 'errorPage.title', error: 'unsupported_prompt', description: message('errorPage.unsupportedPrompt') }, 400);
  };
}
