import Router from '@koa/router';
import type { Context, Middleware } from 'koa';

import { InvalidAccountInputError } from '../accounts/account-errors.js';
import type { PasswordReset } from '../accounts/password-reset.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditContextOf } from '../audit/provider-audit.js';
import { pathParam } from '../http/path-param.js';
import type { PageCsrf } from '../http/page-csrf.js';
import { readForm } from '../http/read-form.js';
import type { Renderer } from '../http/renderer.js';
import { PAGE_CONTENT_SECURITY_POLICY } from '../http/security-headers.js';
import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import type { Mailer } from '../mail/mailer.js';
import { CsrfError } from '../interactions/interaction-errors.js';

export interface PasswordResetPagesDeps {
  readonly reset: PasswordReset;
  readonly mailer: Mailer;
  readonly renderer: Renderer;
  readonly csrf: PageCsrf;
  readonly audit: Pick<AuditLog, 'record'>;
  readonly logger: Logger;
  readonly issuer: string;
  readonly ttlMinutes: number;
  readonly rateLimit: Middleware;
}

export const PASSWORD_RESET_PATH = '/password-reset';

function page(ctx: Context, renderer: Renderer, view: string, model: Record<string, unknown>, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
  ctx.body = renderer.render(view, model);
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
    title: 'Reset your password', action: PASSWORD_RESET_PATH, csrf: deps.csrf.tokenFor(ctx), delivers: deps.mailer.delivers, ...extra,
  });

  async function sendResetMail(email: string, token: string): Promise<void> {
    const link = `${deps.issuer}${PASSWORD_RESET_PATH}/${token}`;
    // The site by name, not as a URL: the mail holds one link, the one to follow.
    const model = { link, email, site: new URL(deps.issuer).host, ttlMinutes: deps.ttlMinutes };
    await deps.mailer.send({
      to: email,
      subject: 'Reset your password',
      text: deps.renderer.render('mail/password-reset-text', model),
      html: deps.renderer.render('mail/password-reset', model),
    });
  }

  router.get('/', (ctx) => page(ctx, deps.renderer, 'password-reset-request', requestView(ctx)));

  router.post('/', deps.rateLimit, async (ctx) => {
    const form = await readForm(ctx);
    if (!deps.csrf.check(ctx, form.csrf)) throw new CsrfError();
    const email = (form.email ?? '').trim();
    if (!email.includes('@') || email.length > 254) {
      return page(ctx, deps.renderer, 'password-reset-request', requestView(ctx, { error: 'Enter the email address you sign in with.', email }), 400);
    }
    let decision: Awaited<ReturnType<PasswordReset['request']>> = { kind: 'nothing' };
    try {
      decision = await deps.reset.request(email);
    } catch (error) {
      if (!(error instanceof InvalidAccountInputError)) throw error;
    }
    if (decision.kind === 'send') {
      deps.audit.record({ ...auditContextOf(ctx), type: 'password_reset.requested', outcome: 'success', accountId: decision.accountId });
      // Not awaited: the answer must take the same time whether or not a mail goes out.
      sendResetMail(decision.email, decision.token).catch((error: unknown) => {
        deps.logger.error({ err: { message: errorMessage(error) }, accountId: decision.accountId }, 'password reset mail could not be sent');
      });
    }
    page(ctx, deps.renderer, 'password-reset-sent', { title: 'Check your email', email, ttlMinutes: deps.ttlMinutes });
  });

  router.get('/:token', async (ctx) => {
    const token = pathParam(ctx, 'token');
    if (!(await deps.reset.check(token))) return page(ctx, deps.renderer, 'password-reset-invalid', { title: 'This link does not work', restart: PASSWORD_RESET_PATH }, 410);
    page(ctx, deps.renderer, 'password-reset-form', { title: 'Choose a new password', action: `${PASSWORD_RESET_PATH}/${token}`, csrf: deps.csrf.tokenFor(ctx) });
  });

  router.post('/:token', deps.rateLimit, async (ctx) => {
    const token = pathParam(ctx, 'token');
    const form = await readForm(ctx);
    if (!deps.csrf.check(ctx, form.csrf)) throw new CsrfError();
    const retry = (error: string) => page(ctx, deps.renderer, 'password-reset-form', { title: 'Choose a new password', action: `${PASSWORD_RESET_PATH}/${token}`, csrf: deps.csrf.tokenFor(ctx), error }, 400);
    const password = form.password ?? '';
    if (password !== (form.password_repeat ?? '')) return retry('The two passwords are not the same.');
    let outcome: Awaited<ReturnType<PasswordReset['complete']>>;
    try {
      outcome = await deps.reset.complete(token, password);
    } catch (error) {
      if (error instanceof InvalidAccountInputError) return retry(error.message);
      throw error;
    }
    if (!outcome.ok) return page(ctx, deps.renderer, 'password-reset-invalid', { title: 'This link does not work', restart: PASSWORD_RESET_PATH }, 410);
    deps.audit.record({ ...auditContextOf(ctx), type: 'account.password_reset', outcome: 'success', accountId: outcome.accountId });
    deps.mailer.send({
      to: outcome.email,
      subject: 'Your password was changed',
      text: deps.renderer.render('mail/password-changed-text', { email: outcome.email, site: new URL(deps.issuer).host, restart: `${deps.issuer}${PASSWORD_RESET_PATH}` }),
      html: deps.renderer.render('mail/password-changed', { email: outcome.email, site: new URL(deps.issuer).host, restart: `${deps.issuer}${PASSWORD_RESET_PATH}` }),
    }).catch((error: unknown) => deps.logger.error({ err: { message: errorMessage(error) }, accountId: outcome.accountId }, 'password change notice could not be sent'));
    page(ctx, deps.renderer, 'password-reset-done', { title: 'Password changed' });
  });

  return router;
}

