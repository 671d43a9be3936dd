import Router from '@koa/router';
import type { Context, Middleware } from 'koa';

import { InvalidAccountInputError, passwordRefusal } from '../accounts/account-errors.js';
import type { PasswordReset } from '../accounts/password-reset.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditContextOf } from '../audit/provider-audit.js';
import { pathParam } from '../http/path-param.js';
import type { PageCsrf } from '../http/page-csrf.js';
import { readForm } from '../http/read-form.js';
import type { Renderer } from '../http/renderer.js';
import { pageLocale, sendPage } from '../http/send-page.js';
import { message, type Message } from '../i18n/message.js';
import type { Mailer } from '../mail/mailer.js';
import type { MailWriter } from '../mail/mail-writer.js';
import { CsrfError } from '../interactions/interaction-errors.js';

export interface PasswordResetPagesDeps {
  readonly reset: PasswordReset;
  /** Whether reset mails reach anyone (the request page says so when not). */
  readonly mailer: Pick<Mailer, 'delivers'>;
  readonly mail: MailWriter;
  readonly renderer: Renderer;
  readonly csrf: PageCsrf;
  readonly audit: Pick<AuditLog, 'record'>;
  readonly issuer: string;
  readonly ttlMinutes: number;
  readonly rateLimit: Middleware;
}

export const PASSWORD_RESET_PATH = '/password-reset';

function page(ctx: Context, renderer: Renderer, view: string, model: Record<string, unknown>, status = 200): void {
  sendPage(ctx, renderer, view, model, { status });
}

/**
 * Password reset by email: ask (`GET|POST /password-reset`), then follow the mailed link
 * (`GET|POST /password-reset/:token`). The token is a path segment so that the mail holds one
 * plain link; the page that shows it sends no Referer (Referrer-Policy: no-referrer) and loads
 * nothing from elsewhere.
 */
export function createPasswordResetPages(deps: PasswordResetPagesDeps): Router {
  const router = new Router({ prefix: PASSWORD_RESET_PATH });
  const requestView = (ctx: Context, extra: Record<string, unknown> = {}) => ({
    title: 'passwordReset.request.title', action: PASSWORD_RESET_PATH, csrf: deps.csrf.tokenFor(ctx), delivers: deps.mailer.delivers, ...extra,
  });

  router.get('/', (ctx) => page(ctx, deps.renderer, 'password-reset-request', requestView(ctx)));

  router.post('/', deps.rateLimit, async (ctx) => {
    const form = await readForm(ctx);
    if (!deps.csrf.check(ctx, form.csrf)) throw new CsrfError();
    const email = (form.email ?? '').trim();
    if (!email.includes('@') || email.length > 254) {
      return page(ctx, deps.renderer, 'password-reset-request', requestView(ctx, { error: message('passwordReset.request.missingEmail'), email }), 400);
    }
    let decision: Awaited<ReturnType<PasswordReset['request']>> = { kind: 'nothing' };
    try {
      decision = await deps.reset.request(email);
    } catch (error) {
      if (!(error instanceof InvalidAccountInputError)) throw error;
    }
    if (decision.kind === 'send') {
      deps.audit.record({ ...auditContextOf(ctx), type: 'password_reset.requested', outcome: 'success', accountId: decision.accountId });
      // Sent after the answer: it must take the same time whether or not a mail goes out.
      deps.mail.send({
        to: { id: decision.accountId, email: decision.email },
        subject: message('mail.passwordReset.subject'),
        view: 'password-reset',
        model: { link: `${deps.issuer}${PASSWORD_RESET_PATH}/${decision.token}`, ttlMinutes: deps.ttlMinutes },
        locale: pageLocale(ctx, deps.renderer),
      });
    }
    page(ctx, deps.renderer, 'password-reset-sent', { title: 'passwordReset.sent.title', email, ttlMinutes: deps.ttlMinutes });
  });

  router.get('/:token', async (ctx) => {
    const token = pathParam(ctx, 'token');
    if (!(await deps.reset.check(token))) return page(ctx, deps.renderer, 'password-reset-invalid', { title: 'link.invalid.title', restart: PASSWORD_RESET_PATH }, 410);
    page(ctx, deps.renderer, 'password-reset-form', { title: 'passwordReset.form.title', action: `${PASSWORD_RESET_PATH}/${token}`, csrf: deps.csrf.tokenFor(ctx) });
  });

  router.post('/:token', deps.rateLimit, async (ctx) => {
    const token = pathParam(ctx, 'token');
    const form = await readForm(ctx);
    if (!deps.csrf.check(ctx, form.csrf)) throw new CsrfError();
    const retry = (error: Message) => page(ctx, deps.renderer, 'password-reset-form', { title: 'passwordReset.form.title', action: `${PASSWORD_RESET_PATH}/${token}`, csrf: deps.csrf.tokenFor(ctx), error }, 400);
    const password = form.password ?? '';
    if (password !== (form.password_repeat ?? '')) return retry(message('password.mismatch'));
    let outcome: Awaited<ReturnType<PasswordReset['complete']>>;
    try {
      outcome = await deps.reset.complete(token, password);
    } catch (error) {
      if (error instanceof InvalidAccountInputError) return retry(passwordRefusal(error));
      throw error;
    }
    if (!outcome.ok) return page(ctx, deps.renderer, 'password-reset-invalid', { title: 'link.invalid.title', restart: PASSWORD_RESET_PATH }, 410);
    deps.audit.record({ ...auditContextOf(ctx), type: 'account.password_reset', outcome: 'success', accountId: outcome.accountId });
    deps.mail.send({
      to: { id: outcome.accountId, email: outcome.email },
      subject: message('mail.passwordChanged.subject'),
      view: 'password-changed',
      model: { restart: `${deps.issuer}${PASSWORD_RESET_PATH}` },
      locale: pageLocale(ctx, deps.renderer),
    });
    page(ctx, deps.renderer, 'password-reset-done', { title: 'passwordReset.done.title' });
  });

  return router;
}

