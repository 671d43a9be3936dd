import { AppError } from '../http/app-error.js';
import { isStoreUnavailable } from '../http/store-unavailable.js';
import { errorMessage } from '../logging/error-message.js';
import { StoreConnectionError } from '../storage/store-connection-error.js';

/** A CLI failure with the message the admin sees and the process exit code. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** Whether node's parseArgs rejected the arguments; matched by code because its errors come from node's own realm. */
export function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

/** A --limit value: a whole number from 1 to 1000, 50 when absent. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return 50;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
  return limit;
}

/**
 * What a command's failure looks like to the admin: bad arguments are usage errors, rule
 * violations (AppError meant for users) and stores that do not answer are plain messages,
 * anything else stays unexpected.
 */
export function toCliFailure(error: unknown): unknown {
  if (isParseArgsError(error)) return new UsageError(error.message);
  if (error instanceof AppError && error.expose) return new CliError(error.message);
  if (error instanceof StoreConnectionError) return new CliError(error.message);
  if (isStoreUnavailable(error)) return new CliError(`Redis or MongoDB did not answer in time (${errorMessage(error)}); try again once they do`);
  return error;
}

/** The usage error for a missing or unknown subcommand of `group`. */
export function unknownSubcommand(group: string, subcommand: string | undefined, usage: string): UsageError {
  return new UsageError(`unknown ${group} command${subcommand ? ` "${subcommand}"` : ''}\n${usage}`);
}
