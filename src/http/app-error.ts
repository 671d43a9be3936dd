/**
 * Base of every error our own code throws on purpose. `expose` decides whether the message may
 * reach the user; the error handler is the only place that turns these into responses.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;

  /** `expose` defaults to status < 500; a deliberate 503 whose message helps the caller sets it. */
  constructor(status: number, code: string, message: string, expose: boolean = status < 500) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = expose;
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'The page you asked for does not exist.') {
    super(404, 'not_found', message);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'invalid_request') {
    super(400, code, message);
  }
}
