import { AppError } from '../http/app-error.js';

export class InvalidResourceInputError extends AppError {
  constructor(message: string) {
    super(400, 'invalid_resource', message);
  }
}

export class ResourceNotFoundError extends AppError {
  constructor(identifier: string) {
    super(404, 'resource_not_found', `No resource server ${identifier}.`);
  }
}

export class ResourceExistsError extends AppError {
  constructor(identifier: string) {
    super(409, 'resource_exists', `A resource server ${identifier} is already registered.`);
  }
}
