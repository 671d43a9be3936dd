import { AppError } from '../http/app-error.js';

export class InteractionExpiredError extends AppError {
  constructor() {
    super(400, 'interaction_expired', 'This sign-in page has expired or was already used. Go back to the application and start again.');
  }
}

/** The account behind a sign-in in progress was disabled or deleted since it began. */
export class AccountUnavailableError extends AppError {
  constructor() {
    super(403, 'account_unavailable', 'This account cannot sign in. If you think it should, contact the people who run this service.');
  }
}

export class CsrfError extends AppError {
  constructor() {
    super(403, 'invalid_csrf_token', 'This form was not issued for this sign-in. Reload the page and try again.');
  }
}
