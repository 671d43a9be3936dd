import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Context } from 'koa';

import type { AdapterFactory } from 'oidc-provider';

import { InvalidAccountInputError, passwordRefusal } from '../accounts/account-errors.js';
import type { AccountService, TotpReplacement } from '../accounts/account-service.js';
import QRCode from 'qrcode';
import type { SecurityChange, SecurityNotices } from '../mail/security-notices.js';
import type { MailWriter } from '../mail/mail-writer.js';
import type { EmailVerification } from '../accounts/email-verification.js';
import { pathParam } from '../http/path-param.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditContextOf } from '../audit/provider-audit.js';
import type { PageCsrf } from '../http/page-csrf.js';
import { readForm } from '../http/read-form.js';
import { CsrfError } from '../interactions/interaction-errors.js';
import type { AccountSessions } from '../storage/account-sessions.js';
import type { Renderer } from '../http/renderer.js';
import { pageLocale, sendPage, type PageOptions } from '../http/send-page.js';
import type { PageScript } from '../http/page-scripts.js';
import { addPasskeyPages, type PasskeyPagesDeps } from './passkey-pages.js';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATH } from '../oidc/account-client.js';
import { message, type Message } from '../i18n/message.js';


// Catalogue keys of the standard claims' labels; an operator's own attributes show their name.
const LABELS: Readonly<Record<string, string>> = {
  name: 'claim.name', given_name: 'claim.givenName', family_name: 'claim.familyName', middle_name: 'claim.middleName', nickname: 'claim.nickname',
  preferred_username: 'claim.preferredUsername', profile: 'claim.profile', picture: 'claim.picture', website: 'claim.website', gender: 'claim.gender',
  birthdate: 'claim.birthdate', zoneinfo: 'claim.zoneinfo', locale: 'claim.locale', phone_number: 'claim.phoneNumber', address: 'claim.address',
};

function labelOf(claim: string): Message {
  const key = LABELS[claim];
  return key ? message(key) : message('common.detail', { detail: claim });
}

function formatAddress(address: Record<string, unknown>): string {
  if (typeof address.formatted === 'string') return address.formatted;
  return ['street_address', 'postal_code', 'locality', 'region', 'country'].map((part) => address[part]).filter((part) => typeof part === 'string').join(', ');
}

export interface AccountPagesDeps {
  readonly provider: () => Provider;
  readonly accounts: Pick<AccountService, 'findById' | 'reauthenticate' | 'confirmSecondFactor' | 'beginTotpReplacement' | 'openTotpReplacement' | 'completeTotpReplacement' | 'setPassword' | 'checkPasswordPolicy' | 'regenerateRecoveryCodes'>;
  readonly sessions: AccountSessions;
  readonly adapter: AdapterFactory;
  readonly csrf: PageCsrf;
  readonly audit: Pick<AuditLog, 'record'>;
  readonly renderer: Renderer;
  readonly issuer: string;
  readonly notices: SecurityNotices;
  readonly verification: EmailVerification;
  readonly mail: MailWriter;
  readonly passkeys: PasskeyPagesDeps['passkeys'];
  readonly passkeyScript: PageScript;
}

interface GrantPayload {
  readonly clientId?: string;
  readonly openid?: { readonly scope?: string };
}

interface SessionPayload {
  readonly uid?: string;
  readonly loginTs?: number;
  readonly authorizations?: Readonly<Record<string, { readonly grantId?: string }>>;
}

/** What the account has open: its applications (by client) and its signed-in browsers. */
async function openItems(deps: AccountPagesDeps, accountId: string) {
  const members = await deps.sessions.list(accountId);
  const grants: Array<{ member: string; id: string; clientId: string; scopes: string[] }> = [];
  const sessions: Array<{ member: string; uid: string; loginTs: number; grantIds: string[] }> = [];
  for (const member of members) {
    const [model, id = ''] = member.split(/:(.*)/s);
    if (model === 'Grant') {
      const payload = (await deps.adapter('Grant').find(id)) as GrantPayload | undefined;
      if (payload?.clientId && payload.clientId !== ACCOUNT_CLIENT_ID) {
        grants.push({ member, id, clientId: payload.clientId, scopes: (payload.openid?.scope ?? '').split(' ').filter(Boolean) });
      }
    } else if (model === 'Session') {
      const payload = (await deps.adapter('Session').find(id)) as SessionPayload | undefined;
      if (payload?.uid) {
        const grantIds = Object.values(payload.authorizations ?? {}).map((entry) => entry.grantId).filter((grantId): grantId is string => typeof grantId === 'string');
        sessions.push({ member, uid: payload.uid, loginTs: payload.loginTs ?? 0, grantIds });
      }
    }
  }
  return { grants, sessions };
}

export function createAccountPages(deps: AccountPagesDeps): Router {
  const router = new Router({ prefix: ACCOUNT_PATH });
  /** The signed-in account and its session, or undefined (then the page sends to sign-in). */
  const signedIn = async (ctx: Context) => {
    const session = await deps.provider().Session.get(ctx);
    const account = session.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    return account && account.status === 'active' ? { account, sessionUid: session.uid } : undefined;
  };
  /** A form posted from the account area: its token checked, and who is signed in (else off to sign in). */
  const submitted = async (ctx: Context) => {
    const form = await readForm(ctx);
    if (!deps.csrf.check(ctx, form.csrf)) throw new CsrfError();
    const current = await signedIn(ctx);
    if (!current) {
      ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
      return undefined;
    }
    return { form, current };
  };
  const page = (ctx: Context, view: string, model: Record<string, unknown>, options: Omit<PageOptions, 'status'> = {}): void => sendPage(ctx, deps.renderer, view, model, options);

  router.get('/', async (ctx) => {
    const current = await signedIn(ctx);
    if (!current) {
      ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
      return;
    }
    const { account } = current;
    const open = await openItems(deps, account.id);
    const byClient = new Map<string, Set<string>>();
    for (const grant of open.grants) {
      const scopes = byClient.get(grant.clientId) ?? new Set<string>();
      for (const scope of grant.scopes) scopes.add(scope);
      byClient.set(grant.clientId, scopes);
    }
    const apps = await Promise.all([...byClient].map(async ([clientId, scopes]) => {
      const client = await deps.provider().Client.find(clientId).catch(() => undefined);
      return { clientId, name: client?.clientName ?? clientId, scopes: [...scopes].sort().join(' ') };
    }));
    const devices = open.sessions
      .sort((a, b) => b.loginTs - a.loginTs)
      .map((entry) => ({ uid: entry.uid, signedInAt: new Date(entry.loginTs * 1000), current: entry.uid === current.sessionUid }));
    const profile = [
      ...(account.name ? [{ claim: 'name', label: labelOf('name'), value: account.name }] : []),
      ...Object.entries(account.profile).map(([claim, value]) => ({
        claim,
        label: labelOf(claim),
        value: claim === 'address' && typeof value === 'object' && value !== null ? formatAddress(value as Record<string, unknown>) : String(value),
      })).filter((entry) => entry.claim !== 'phone_number_verified'),
    ];
    const signOut = new URL(`${deps.issuer}/session/end`);
    signOut.search = new URLSearchParams({ client_id: ACCOUNT_CLIENT_ID, post_logout_redirect_uri: `${deps.issuer}/` }).toString();
    page(ctx, 'account', {
      title: 'account.title', email: account.email, emailVerified: account.emailVerified, verifyAction: `${ACCOUNT_PATH}/verify-email`, verifySent: ctx.query.sent === 'verify', profile, signOutHref: signOut.toString(), apps, devices,
      csrf: deps.csrf.tokenFor(ctx), revokeAction: `${ACCOUNT_PATH}/apps/revoke`, endSessionAction: `${ACCOUNT_PATH}/sessions/end`,
      passwordHref: `${ACCOUNT_PATH}/password`, passkeysHref: deps.passkeys.available ? `${ACCOUNT_PATH}/passkeys` : undefined, passkeyCount: account.passkeys.length, recoveryCodesHref: `${ACCOUNT_PATH}/recovery-codes`, authenticatorHref: `${ACCOUNT_PATH}/authenticator`,
    });
  });

  const notify = (ctx: Context, email: string, accountId: string, change: SecurityChange): void => deps.notices.securityChange({ id: accountId, email }, change, pageLocale(ctx, deps.renderer));

  /** Mails a link that confirms the address (at most one a minute). */
  router.post('/verify-email', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { current } = posted;
    const started = await deps.verification.start(current.account.id);
    if (started) {
      deps.mail.send({
        to: { id: current.account.id, email: started.email },
        subject: message('mail.verifyEmail.subject'),
        view: 'verify-email',
        model: { link: `${deps.issuer}${ACCOUNT_PATH}/verify-email/${started.token}` },
        locale: pageLocale(ctx, deps.renderer),
      });
    }
    ctx.status = 303;
    ctx.redirect(`${ACCOUNT_PATH}?sent=verify`);
  });

  /** The link from that mail: whoever holds it holds the mailbox, signed in or not. */
  router.get('/verify-email/:token', async (ctx) => {
    const outcome = await deps.verification.complete(pathParam(ctx, 'token'));
    if (!outcome.ok) {
      ctx.status = 410;
      return page(ctx, 'account-done', { title: 'link.invalid.title', message: 'account.verify.invalid', back: ACCOUNT_PATH });
    }
    deps.audit.record({ ...auditContextOf(ctx), type: 'account.email_verified', outcome: 'success', accountId: outcome.accountId });
    page(ctx, 'account-done', { title: 'account.verify.done.title', message: 'account.verify.done.text', back: ACCOUNT_PATH });
  });

  addPasskeyPages(router, deps, { signedIn, submitted, page, notify });

  const passwordView = (ctx: Context, error?: Message) => ({
    title: 'account.password.title', action: `${ACCOUNT_PATH}/password`, csrf: deps.csrf.tokenFor(ctx), back: ACCOUNT_PATH, ...(error ? { error } : {}),
  });

  router.get('/password', async (ctx) => {
    if (!(await signedIn(ctx))) return ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
    page(ctx, 'account-password', passwordView(ctx));
  });

  /**
   * Both factors again, then the new password. Like any password change it ends every session
   * and token of the account, this browser's included, and the owner is told by mail.
   */
  router.post('/password', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const retry = (error: Message) => {
      ctx.status = 400;
      page(ctx, 'account-password', passwordView(ctx, error));
    };
    const password = form.password ?? '';
    if (password !== (form.password_repeat ?? '')) return retry(message('password.mismatch'));
    try {
      deps.accounts.checkPasswordPolicy(password);
    } catch (error) {
      if (error instanceof InvalidAccountInputError) return retry(passwordRefusal(error));
      throw error;
    }
    const check = await deps.accounts.reauthenticate(current.account.id, form.current_password ?? '', form.code ?? '', ctx.ip);
    if (!check.ok) {
      deps.audit.record({ ...auditContextOf(ctx), type: 'account.password_change_failed', outcome: 'failure', accountId: current.account.id, details: { reason: check.reason } });
      return retry(message(check.reason === 'throttled' ? 'account.tooManyAttempts' : 'account.password.wrong'));
    }
    await deps.accounts.setPassword(current.account.id, password);
    deps.audit.record({ ...auditContextOf(ctx), type: 'account.password_changed', outcome: 'success', accountId: current.account.id });
    notify(ctx, current.account.email, current.account.id, 'password');
    page(ctx, 'password-reset-done', { title: 'passwordReset.done.title' });
  });

  const authenticatorView = async (ctx: Context, extra: { replacement?: TotpReplacement; error?: Message } = {}) => ({
    title: 'account.authenticator.title',
    action: `${ACCOUNT_PATH}/authenticator`,
    confirmAction: `${ACCOUNT_PATH}/authenticator/confirm`,
    csrf: deps.csrf.tokenFor(ctx),
    back: ACCOUNT_PATH,
    ...(extra.error ? { error: extra.error } : {}),
    ...(extra.replacement
      ? {
        secret: extra.replacement.secret,
        // Groups of four, set apart by style only: the element's text stays the key itself.
        secretGroups: extra.replacement.secret.match(/.{1,4}/g) ?? [extra.replacement.secret],
        uri: extra.replacement.uri,
        pending: extra.replacement.pending,
        qrSvg: await QRCode.toString(extra.replacement.uri, { type: 'svg', margin: 1, width: 200, errorCorrectionLevel: 'M' }),
      }
      : {}),
  });

  router.get('/authenticator', async (ctx) => {
    if (!(await signedIn(ctx))) return ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
    page(ctx, 'account-authenticator', await authenticatorView(ctx));
  });

  /** A code from the current app first; then the new app's QR code, nothing stored yet. */
  router.post('/authenticator', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    if (!(await deps.accounts.confirmSecondFactor(current.account.id, form.code ?? '', ctx.ip))) {
      ctx.status = 400;
      return page(ctx, 'account-authenticator', await authenticatorView(ctx, { error: message('account.wrongCode') }));
    }
    page(ctx, 'account-authenticator', await authenticatorView(ctx, { replacement: await deps.accounts.beginTotpReplacement(current.account.id) }));
  });

  /** A code from the new app, and the new app replaces the old one. */
  router.post('/authenticator/confirm', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const pending = form.pending ?? '';
    const outcome = await deps.accounts.completeTotpReplacement(current.account.id, pending, form.code ?? '', ctx.ip);
    if (outcome === 'ok') {
      deps.audit.record({ ...auditContextOf(ctx), type: 'totp.replaced', outcome: 'success', accountId: current.account.id });
      notify(ctx, current.account.email, current.account.id, 'authenticator');
      return page(ctx, 'account-done', { title: 'account.authenticator.done.title', message: 'account.authenticator.done.text', back: ACCOUNT_PATH });
    }
    ctx.status = 400;
    const replacement = await deps.accounts.openTotpReplacement(current.account.id, pending);
    if (outcome === 'invalid' && replacement) {
      return page(ctx, 'account-authenticator', await authenticatorView(ctx, { replacement, error: message('account.authenticator.wrongNewCode') }));
    }
    const why = outcome === 'changed' ? 'account.authenticator.changedMeanwhile' : outcome === 'throttled' ? 'account.authenticator.throttled' : 'account.authenticator.expired';
    page(ctx, 'account-authenticator', await authenticatorView(ctx, { error: message(why) }));
  });

  const codesView = (ctx: Context, extra: Record<string, unknown> = {}) => ({
    title: 'account.recoveryCodes.title', action: `${ACCOUNT_PATH}/recovery-codes`, csrf: deps.csrf.tokenFor(ctx), back: ACCOUNT_PATH, ...extra,
  });

  router.get('/recovery-codes', async (ctx) => {
    if (!(await signedIn(ctx))) return ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
    page(ctx, 'account-recovery-codes', codesView(ctx));
  });

  /** A TOTP code (or a recovery code) again, then a new set of codes, shown this once. */
  router.post('/recovery-codes', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const second = await deps.accounts.confirmSecondFactor(current.account.id, form.code ?? '', ctx.ip);
    if (!second) {
      ctx.status = 400;
      return page(ctx, 'account-recovery-codes', codesView(ctx, { error: message('account.wrongCode') }));
    }
    // Against the codes as they were before this request's code was checked: a set another tab
    // stored since then wins, and this one is refused.
    const codes = await deps.accounts.regenerateRecoveryCodes(current.account.id, current.account);
    if (!codes) {
      // Another regeneration (another tab) or an administrator's reset got there first.
      ctx.status = 409;
      return page(ctx, 'account-recovery-codes', codesView(ctx, { error: message('account.recoveryCodes.changedMeanwhile') }));
    }
    deps.audit.record({ ...auditContextOf(ctx), type: 'recovery_codes.regenerated', outcome: 'success', accountId: current.account.id });
    notify(ctx, current.account.email, current.account.id, 'recoveryCodes');
    ctx.set('Cache-Control', 'no-store');
    page(ctx, 'account-recovery-codes', codesView(ctx, {
      codes,
      // The page writes the file (a data: link, in the page's language): nothing else holds the codes.
      email: current.account.email,
      site: new URL(deps.issuer).host,
    }));
  });

  /** Removes an application's access: every grant of that client, with its codes and tokens. */
  router.post('/apps/revoke', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const clientId = form.client_id ?? '';
    const open = await openItems(deps, current.account.id);
    const members = open.grants.filter((grant) => grant.clientId === clientId).map((grant) => grant.member);
    if (members.length > 0) {
      await deps.sessions.end(current.account.id, members);
      deps.audit.record({ ...auditContextOf(ctx), type: 'account.app_revoked', outcome: 'success', accountId: current.account.id, clientId, details: { grants: members.length } });
    }
    ctx.status = 303;
    ctx.redirect(ACCOUNT_PATH);
  });

  /** Signs one browser out: its session and the grants it holds. */
  router.post('/sessions/end', async (ctx) => {
    const posted = await submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const open = await openItems(deps, current.account.id);
    const target = open.sessions.find((entry) => entry.uid === form.session);
    if (target) {
      const grantMembers = open.grants.filter((grant) => target.grantIds.includes(grant.id)).map((grant) => grant.member);
      await deps.sessions.end(current.account.id, [target.member, ...grantMembers]);
      deps.audit.record({ ...auditContextOf(ctx), type: 'account.session_ended', outcome: 'success', accountId: current.account.id, details: { this_browser: target.uid === current.sessionUid } });
    }
    ctx.status = 303;
    ctx.redirect(target?.uid === current.sessionUid ? '/' : ACCOUNT_PATH);
  });

  // Starts a sign-in as the account area's client; the code it ends with is never needed,
  // because the provider's session cookie is what the account area reads.
  router.get('/sign-in', (ctx) => {
    const url = new URL(`${deps.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${deps.issuer}${ACCOUNT_PATH}/callback`,
      code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    ctx.redirect(url.toString());
  });

  router.get('/callback', (ctx) => {
    // A cancelled or refused sign-in goes back to the start page, not round into another one.
    ctx.redirect(typeof ctx.query.error === 'string' ? '/' : ACCOUNT_PATH);
  });

  return router;
}

/** GET /: what this is, and the way to one's account. */
export function createHomePage(deps: { readonly renderer: Renderer }): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    sendPage(ctx, deps.renderer, 'home', { title: 'home.title' });
  });
  return router;
}
