import { AppError } from '../http/app-error.js';

export class InvalidClientInputError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_client_metadata', message);
  }
}

export class ClientNotFoundError extends AppError {
  constructor(clientId: string) {
    super(404, 'client_not_found', `No client ${clientId}.`);
  }
}
