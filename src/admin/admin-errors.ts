import { AppError } from '../http/app-error.js';

export class InvalidTokenError extends AppError {
  constructor() {
    super(401, 'invalid_token', 'A valid bearer access token issued by this server is required.');
  }
}

export class InsufficientScopeError extends AppError {
  constructor() {
    super(403, 'insufficient_scope', 'The access token lacks the admin scope.');
  }
}
