import { pino, type Logger, type DestinationStream } from 'pino';

import type { LogLevel } from '../config/app-config.js';

export type { Logger };

// Belt and braces: code should never log these, but if an object carrying one slips into a
// log call, pino replaces the value instead of writing it to stdout. Explicit paths only:
// wildcard paths made redaction a measurable share of every request's CPU time.
const SECRET_FIELDS = ['password', 'secret', 'client_secret', 'code', 'token', 'access_token', 'refresh_token', 'id_token', 'authorization', 'cookie'];
const REDACTED_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `audit.details.${field}`),
  ...SECRET_FIELDS.map((field) => `err.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

/** One JSON object per line on stdout (or the given stream), with secrets redacted. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'latchkey' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
