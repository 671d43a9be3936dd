import type { Renderer } from '../http/renderer.js';
import type { Message } from '../i18n/message.js';
import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import type { Mailer } from './mailer.js';

export interface Recipient {
  readonly id: string;
  readonly email: string;
}

export interface MailToWrite {
  readonly to: Recipient;
  readonly subject: Message;
  /** views/mail/<view>.pug (HTML) and <view>-text.pug (plain text). */
  readonly view: string;
  readonly model: Readonly<Record<string, unknown>>;
  /** The language of the page the person was on when the mail was caused. */
  readonly locale: string;
}

/**
 * Writes every mail Latchkey sends from its template pair, in the person's language, with the
 * site's name and account link, and sends it after the answer: a mail server that is slow or
 * down costs the person nothing but the mail (logged with the account id, never the content).
 */
export function createMailWriter(deps: { readonly mailer: Mailer; readonly renderer: Renderer; readonly logger: Logger; readonly issuer: string }) {
  const site = new URL(deps.issuer).host;
  const account = `${deps.issuer}/account`;
  return {
    send(mail: MailToWrite): void {
      // Production without SMTP_URL: two templates rendered per notice would go nowhere, and a
      // new-browser notice is written on every such sign-in.
      if (!deps.mailer.delivers) return;
      const model = { site, account, email: mail.to.email, ...mail.model };
      const subject = deps.renderer.translate(mail.subject, mail.locale);
      deps.mailer.send({ to: mail.to.email, subject, text: deps.renderer.render(`mail/${mail.view}-text`, model, mail.locale), html: deps.renderer.render(`mail/${mail.view}`, model, mail.locale) })
        .catch((error: unknown) => deps.logger.error({ err: { message: errorMessage(error) }, accountId: mail.to.id, mail: mail.view }, 'mail could not be sent'));
    },
  };
}

export type MailWriter = ReturnType<typeof createMailWriter>;
