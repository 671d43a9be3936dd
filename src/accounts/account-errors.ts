import { AppError } from '../http/app-error.js';

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
