import type Router from '@koa/router';
import type { Context } from 'koa';

import type { Account } from '../accounts/account.js';
import type { PasskeyService } from '../accounts/passkey-service.js';
import type { AccountService } from '../accounts/account-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditContextOf } from '../audit/provider-audit.js';
import type { PageCsrf } from '../http/page-csrf.js';
import type { PageScript } from '../http/page-scripts.js';
import type { PageOptions } from '../http/send-page.js';
import type { SecurityChange } from '../mail/security-notices.js';
import { message, type Message } from '../i18n/message.js';
import { ACCOUNT_PATH } from '../oidc/account-client.js';
import { passkeyPageOptions, passkeyRefusal, toPasskeyForm } from '../interactions/passkey-forms.js';

const PASSKEYS_PATH = `${ACCOUNT_PATH}/passkeys`;

export interface PasskeyPagesDeps {
  readonly passkeys: PasskeyService;
  readonly passkeyScript: PageScript;
  readonly accounts: Pick<AccountService, 'confirmSecondFactor' | 'findById'>;
  readonly csrf: PageCsrf;
  readonly audit: Pick<AuditLog, 'record'>;
}

/** What the account area's own helpers give these routes: who is signed in, the posted form, a page, a notice. */
export interface AccountPageTools {
  signedIn(ctx: Context): Promise<{ account: Account; sessionUid: string } | undefined>;
  submitted(ctx: Context): Promise<{ form: Record<string, string>; current: { account: Account; sessionUid: string } } | undefined>;
  page(ctx: Context, view: string, model: Record<string, unknown>, options?: Omit<PageOptions, 'status'>): void;
  notify(ctx: Context, email: string, accountId: string, change: SecurityChange): void;
}

const NOTICES: Readonly<Record<string, string>> = { added: 'account.passkeys.added', removed: 'account.passkeys.removed', renamed: 'account.passkeys.renamed' };

/**
 * /account/passkeys: the account's passkeys, each renamable and removable, and adding one. Adding
 * takes a code from the authenticator app (or a recovery code) first, as replacing the app does:
 * a borrowed session alone cannot plant a key of its own.
 */
export function addPasskeyPages(router: Router, deps: PasskeyPagesDeps, tools: AccountPageTools): void {
  const listView = (ctx: Context, account: Account, extra: { error?: Message; status?: Message } = {}) => ({
    title: 'account.passkeys.title',
    csrf: deps.csrf.tokenFor(ctx),
    back: ACCOUNT_PATH,
    available: deps.passkeys.available,
    canAdd: deps.passkeys.available && account.passkeys.length < deps.passkeys.limit,
    limit: deps.passkeys.limit,
    passkeys: account.passkeys.map((passkey) => ({ id: passkey.id, name: passkey.name, synced: passkey.synced, createdAt: passkey.createdAt, lastUsedAt: passkey.lastUsedAt })),
    addAction: PASSKEYS_PATH,
    renameAction: `${PASSKEYS_PATH}/rename`,
    removeAction: `${PASSKEYS_PATH}/remove`,
    ...extra,
  });
  const showList = (ctx: Context, account: Account, status: number, extra: { error?: Message; status?: Message } = {}): void => {
    ctx.status = status;
    tools.page(ctx, 'account-passkeys', listView(ctx, account, extra));
  };
  const backToList = (ctx: Context, notice: string): void => {
    ctx.status = 303;
    ctx.redirect(`${PASSKEYS_PATH}?done=${notice}`);
  };
  /** The account as it is now: a change refused as stale is shown against the current list. */
  const reread = async (account: Account): Promise<Account> => (await deps.accounts.findById(account.id)) ?? account;

  router.get('/passkeys', async (ctx) => {
    const current = await tools.signedIn(ctx);
    if (!current) return ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
    const done = typeof ctx.query.done === 'string' ? NOTICES[ctx.query.done] : undefined;
    tools.page(ctx, 'account-passkeys', listView(ctx, current.account, done ? { status: message(done) } : {}));
  });

  /** Step one of adding: a code, then the page that asks the browser to make the passkey. */
  router.post('/passkeys', async (ctx) => {
    const posted = await tools.submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    if (!(await deps.accounts.confirmSecondFactor(current.account.id, form.code ?? '', ctx.ip))) {
      return showList(ctx, current.account, 400, { error: message('account.wrongCode') });
    }
    const passkey = toPasskeyForm(await deps.passkeys.registrationOptions(current.account, current.sessionUid), `${PASSKEYS_PATH}/add`, deps.passkeyScript);
    if (!passkey) return showList(ctx, current.account, 409, { error: message('passkey.refused.limit') });
    tools.page(ctx, 'account-passkey-add', {
      title: 'account.passkeys.addTitle',
      csrf: deps.csrf.tokenFor(ctx),
      back: PASSKEYS_PATH,
      passkey,
      name: (form.passkey_name ?? '').slice(0, 64),
    }, passkeyPageOptions(passkey));
  });

  /** Step two: the browser's new passkey, over the challenge step one issued to this session. */
  router.post('/passkeys/add', async (ctx) => {
    const posted = await tools.submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const result = await deps.passkeys.register(current.account, current.sessionUid, form.credential ?? '', form.passkey_name ?? '');
    if (!result.ok) {
      deps.audit.record({ ...auditContextOf(ctx), type: 'passkey.add_failed', outcome: 'failure', accountId: current.account.id, details: { reason: result.reason } });
      return showList(ctx, await reread(current.account), 400, { error: passkeyRefusal(result.reason) });
    }
    deps.audit.record({ ...auditContextOf(ctx), type: 'passkey.added', outcome: 'success', accountId: current.account.id, details: { synced: result.passkey.synced } });
    tools.notify(ctx, current.account.email, current.account.id, 'passkeyAdded');
    backToList(ctx, 'added');
  });

  router.post('/passkeys/rename', async (ctx) => {
    const posted = await tools.submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const outcome = await deps.passkeys.rename(current.account, form.id ?? '', form.name ?? '');
    if (outcome !== 'ok') {
      const why = outcome === 'invalid' ? 'account.passkeys.nameNeeded' : outcome === 'missing' ? 'account.passkeys.missing' : 'passkey.refused.changed';
      return showList(ctx, await reread(current.account), 400, { error: message(why) });
    }
    deps.audit.record({ ...auditContextOf(ctx), type: 'passkey.renamed', outcome: 'success', accountId: current.account.id });
    backToList(ctx, 'renamed');
  });

  /** Removing one weakens nothing (the app's codes still work), so it needs no code; the owner is told. */
  router.post('/passkeys/remove', async (ctx) => {
    const posted = await tools.submitted(ctx);
    if (!posted) return;
    const { form, current } = posted;
    const outcome = await deps.passkeys.remove(current.account, form.id ?? '');
    if (!outcome.ok) {
      return showList(ctx, await reread(current.account), 400, { error: message(outcome.reason === 'missing' ? 'account.passkeys.missing' : 'passkey.refused.changed') });
    }
    deps.audit.record({ ...auditContextOf(ctx), type: 'passkey.removed', outcome: 'success', accountId: current.account.id, details: { synced: outcome.passkey.synced } });
    tools.notify(ctx, current.account.email, current.account.id, 'passkeyRemoved');
    backToList(ctx, 'removed');
  });
}
