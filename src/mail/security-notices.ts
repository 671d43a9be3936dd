import { message } from '../i18n/message.js';
import type { OneTimeClaims } from '../accounts/one-time-claims.js';
import type { MailWriter, Recipient } from './mail-writer.js';

const PAUSED_NOTICE_INTERVAL_SECONDS = 3600;

/** The security changes an owner is told of, by the words the notice uses for each. */
const CHANGES = {
  password: 'mail.change.password',
  authenticator: 'mail.change.authenticator',
  recoveryCodes: 'mail.change.recoveryCodes',
  passkeyAdded: 'mail.change.passkeyAdded',
  passkeyRemoved: 'mail.change.passkeyRemoved',
} as const;

export type SecurityChange = keyof typeof CHANGES;

/**
 * Mails that tell an account's owner what happened to it: a sign-in from a browser not seen
 * before, sign-ins paused after failures, a security change. Each is written in the language of
 * the page that caused it.
 */
export function createSecurityNotices(deps: { readonly mail: MailWriter; readonly claims: OneTimeClaims }) {
  return {
    newSignIn(to: Recipient, where: { readonly address: string; readonly userAgent: string; readonly at: Date }, locale: string): void {
      deps.mail.send({ to, subject: message('mail.newSignIn.subject'), view: 'new-sign-in', model: { address: where.address, userAgent: where.userAgent, at: where.at }, locale });
    },
    /** At most one an hour per account: someone guessing from many addresses must not flood the mailbox. */
    async signInsPaused(to: Recipient, where: { readonly address: string }, locale: string): Promise<void> {
      if (!(await deps.claims.claim(`notice:paused:${to.id}`, PAUSED_NOTICE_INTERVAL_SECONDS))) return;
      deps.mail.send({ to, subject: message('mail.signInsPaused.subject'), view: 'sign-ins-paused', model: { address: where.address }, locale });
    },
    securityChange(to: Recipient, change: SecurityChange, locale: string): void {
      const what = message(CHANGES[change]);
      deps.mail.send({ to, subject: message('mail.securityChange.subject', { what }), view: 'security-change', model: { what }, locale });
    },
  };
}

export type SecurityNotices = ReturnType<typeof createSecurityNotices>;
