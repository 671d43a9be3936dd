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

/**
 * One JSON object per line on stdout (or the given stream), with secrets redacted. Stdout is
 * written asynchronously and buffered (see bufferedStdout): a request never waits on a write()
 * to a slow pipe or terminal. pino flushes what is buffered synchronously when the process exits
 * (its exit handler), so a clean shutdown or a crash loses nothing; only SIGKILL can drop the
 * last lines (at most 200 ms of them).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'latchkey' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination ?? bufferedStdout());
}

/**
 * The same logger and destination without redaction, for lines built field by field from values
 * that cannot hold a secret: the access line (method, path as loggedPath gives it, status) and
 * the audit line (its details lose secret-named keys when the event is built). Redaction there
 * never found anything and cost about 4 µs a request, 1.5% of an access token's CPU.
 */
export function withoutRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/**
 * The audit trail's lines: unredacted like the access line, and written at info whatever level
 * the rest of the log is at. For a log-only event type (`token.issued` by default) the line is
 * the only record there is, so an operator quieting the log with LOG_LEVEL=warn must not lose
 * it. Only `silent`, which asks for no output at all (the CLI's), writes none.
 */
export function auditLineLogger(logger: Logger): Logger {
  const level = logger.level === 'silent' || logger.isLevelEnabled('info') ? logger.level : 'info';
  return logger.child({}, { redact: [], level });
}

// How long a line may wait in the buffer when traffic is too light to fill it.
const FLUSH_INTERVAL_MS = 200;

/**
 * Stdout through sonic-boom, asynchronous and buffered: at thousands of requests a second a
 * write() per line was a measurable share of the server's CPU, so lines are written once 4 KiB
 * have gathered, or every 200 ms, whichever comes first.
 */
function bufferedStdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      stream.flush();
    } catch {
      // Destroyed at shutdown: pino's exit handler has flushed what was left.
    }
  }, FLUSH_INTERVAL_MS).unref();
  return stream;
}
