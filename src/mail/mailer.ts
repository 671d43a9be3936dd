import nodemailer from 'nodemailer';

import type { Logger } from '../logging/create-logger.js';

/** A message as Latchkey writes it: one recipient, a subject, plain text and HTML. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface Mailer {
  /** Resolves once the message was handed to the server (or printed, in development). */
  send(message: MailMessage): Promise<void>;
  /** Whether mail reaches anyone: false only in production without SMTP_URL. */
  readonly delivers: boolean;
}

/** Through the SMTP server at SMTP_URL (smtp:// or smtps://, credentials in the URL). */
export function createSmtpMailer(options: { readonly url: string; readonly from: string }): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(options.url, { from: options.from });
  return {
    delivers: true,
    async send(message) {
      await transport.sendMail({ to: message.to, subject: message.subject, text: message.text, html: message.html });
    },
    close: () => transport.close(),
  };
}

/**
 * Development without SMTP_URL: each message goes to the terminal, links included, so a
 * newcomer can follow a reset link. Never used in production, where mail may hold secrets.
 */
export function createTerminalMailer(logger: Logger): Mailer {
  return {
    delivers: true,
    async send(message) {
      logger.info({ mail: { to: message.to, subject: message.subject } }, `mail (development: not sent, printed here)\n${message.text}`);
    },
  };
}

/** Production without SMTP_URL: nothing can be sent; pages that need mail say so. */
export function createDisabledMailer(): Mailer {
  return {
    delivers: false,
    async send() {
      // Deliberately nothing: callers check `delivers` and tell the person instead.
    },
  };
}
