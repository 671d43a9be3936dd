import { AppError } from '../http/app-error.js';
import { message, type Message } from '../i18n/message.js';

export class EmailTakenError extends AppError {
  constructor() {
    super(409, 'email_taken', 'An account with this email already exists.');
  }
}

export class AccountNotFoundError extends AppError {
  constructor() {
    super(404, 'account_not_found', 'No such account.');
  }
}

export class InvalidAccountInputError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_account', message);
  }
}

/** A password outside the length policy; `text` is what a page tells the person, in their language. */
export class PasswordPolicyError extends InvalidAccountInputError {
  readonly text: Message;

  constructor(rule: 'min' | 'max', limit: number) {
    super(rule === 'min' ? `Passwords must be at least ${limit} characters.` : `Passwords must be at most ${limit} characters.`);
    this.text = rule === 'min' ? message('password.tooShort', { min: limit }) : message('password.tooLong', { max: limit });
  }
}

/** What a form says about a refused new password: the policy in the person's language. */
export function passwordRefusal(error: InvalidAccountInputError): Message {
  return error instanceof PasswordPolicyError ? error.text : message('common.detail', { detail: error.message });
}
