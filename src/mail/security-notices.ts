import type { Renderer } from '../http/renderer.js';
import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import type { Mailer } from './mailer.js';
import type { OneTimeClaims } from '../accounts/one-time-claims.js';

const PAUSED_NOTICE_INTERVAL_SECONDS = 3600;

interface Recipient {
  readonly id: string;
  readonly email: string;
}

/**
 * Mails that tell an account's owner what happened to it: a sign-in from a browser not seen
 * before, sign-ins paused after failures, a security change. Sent after the answer and never
 * awaited by it: a mail server that is slow or down costs the person nothing but the notice
 * (logged, with the account id and no content).
 */
export function createSecurityNotices(deps: { readonly mailer: Mailer; readonly renderer: Renderer; readonly logger: Logger; readonly issuer: string; readonly claims: OneTimeClaims }) {
  const site = new URL(deps.issuer).host;
  const account = `${deps.issuer}/account`;
  const send = (to: Recipient, subject: string, view: string, model: Record<string, unknown>): void => {
    const full = { ...model, email: to.email, site, account };
    deps.mailer.send({ to: to.email, subject, text: deps.renderer.render(`mail/${view}-text`, full), html: deps.renderer.render(`mail/${view}`, full) })
      .catch((error: unknown) => deps.logger.error({ err: { message: errorMessage(error) }, accountId: to.id, notice: view }, 'security notice could not be sent'));
  };
  return {
    newSignIn(to: Recipient, where: { readonly address: string; readonly userAgent: string; readonly at: Date }): void {
      send(to, 'New sign-in to your account', 'new-sign-in', { address: where.address, userAgent: where.userAgent || 'unknown browser', at: where.at.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' });
    },
    /** At most one an hour per account: someone guessing from many addresses must not flood the mailbox. */
    async signInsPaused(to: Recipient, where: { readonly address: string }): Promise<void> {
      if (!(await deps.claims.claim(`notice:paused:${to.id}`, PAUSED_NOTICE_INTERVAL_SECONDS))) return;
      send(to, 'Sign-ins to your account were paused', 'sign-ins-paused', { address: where.address });
    },
    securityChange(to: Recipient, what: string): void {
      send(to, `Security change to your account: ${what}`, 'security-change', { what });
    },
  };
}

export type SecurityNotices = ReturnType<typeof createSecurityNotices>;
