import { parse as parseCsv } from 'csv-parse/sync';

import type { AccountService, ImportedAccount } from '../accounts/account-service.js';
import type { AttributeDeclaration } from '../accounts/profile.js';
import { EmailTakenError } from '../accounts/account-errors.js';
import { errorMessage } from '../logging/error-message.js';
import { CliError } from './cli-error.js';
import { applyClaim } from './profile-args.js';

/** One account as an import file describes it, before any check. */
export interface ImportRow {
  /** 1-based: the array index in JSON, the line in CSV (header = line 1). */
  readonly line: number;
  readonly email: string;
  readonly name?: string | null;
  readonly emailVerified?: boolean;
  readonly passwordHash?: string | null;
  readonly profile?: unknown;
  readonly attributes?: Record<string, unknown>;
}

export interface ImportReport {
  readonly created: { line: number; email: string; id: string }[];
  readonly skipped: { line: number; email: string; reason: string }[];
}

const BASE_COLUMNS = new Set(['email', 'name', 'email_verified', 'password_hash']);

function asRecord(value: unknown, line: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliError(`entry ${line}: not an object`);
  return value as Record<string, unknown>;
}

function optionalString(record: Record<string, unknown>, key: string, line: number): string | null | undefined {
  const value = record[key];
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw new CliError(`entry ${line}: ${key} must be a string`);
}

/**
 * A JSON import file: an array (or `{users: [...]}`) of
 * `{email, name?, email_verified?, password_hash?, profile?, attributes?}`.
 */
function readJsonRows(text: string): ImportRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the file is not JSON: ${errorMessage(error)}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { users?: unknown } | null)?.users;
  if (!Array.isArray(list)) throw new CliError('a JSON import file is an array of users, or {"users": [...]}');
  return list.map((entry, index) => {
    const line = index + 1;
    const record = asRecord(entry, line);
    const known = new Set([...BASE_COLUMNS, 'profile', 'attributes']);
    const unknown = Object.keys(record).filter((key) => !known.has(key));
    if (unknown.length > 0) throw new CliError(`entry ${line}: unknown field ${unknown.join(', ')} (standard claims go under "profile", declared attributes under "attributes")`);
    const email = record.email;
    if (typeof email !== 'string') throw new CliError(`entry ${line}: email is required`);
    if (record.email_verified !== undefined && typeof record.email_verified !== 'boolean') throw new CliError(`entry ${line}: email_verified must be true or false`);
    const name = optionalString(record, 'name', line);
    const passwordHash = optionalString(record, 'password_hash', line);
    return {
      line,
      email,
      ...(name !== undefined ? { name } : {}),
      ...(typeof record.email_verified === 'boolean' ? { emailVerified: record.email_verified } : {}),
      ...(passwordHash !== undefined ? { passwordHash } : {}),
      ...(record.profile !== undefined ? { profile: record.profile } : {}),
      ...(record.attributes !== undefined ? { attributes: asRecord(record.attributes, line) } : {}),
    };
  });
}

/**
 * A CSV import file with a header: email, name, email_verified, password_hash, any standard
 * claim (address parts as address.locality and so on) and declared attributes. Empty cells are
 * left out.
 */
function readCsvRows(text: string, declared: Readonly<Record<string, AttributeDeclaration>>): ImportRow[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new CliError(`the file is not valid CSV: ${errorMessage(error)}`);
  }
  return records.map((record, index) => {
    const line = index + 2;
    const email = record.email;
    if (!email) throw new CliError(`line ${line}: email is required`);
    const change = { profile: {} as Record<string, unknown>, attributes: {} as Record<string, unknown> };
    for (const [column, value] of Object.entries(record)) {
      if (BASE_COLUMNS.has(column) || value === '') continue;
      try {
        applyClaim(change, column, value, declared);
      } catch (error) {
        throw new CliError(`line ${line}: ${errorMessage(error)}`);
      }
    }
    const verified = record.email_verified;
    if (verified !== undefined && verified !== '' && verified !== 'true' && verified !== 'false') throw new CliError(`line ${line}: email_verified must be true or false`);
    return {
      line,
      email,
      ...(record.name ? { name: record.name } : {}),
      ...(verified ? { emailVerified: verified === 'true' } : {}),
      ...(record.password_hash ? { passwordHash: record.password_hash } : {}),
      ...(Object.keys(change.profile).length > 0 ? { profile: change.profile } : {}),
      ...(Object.keys(change.attributes).length > 0 ? { attributes: change.attributes } : {}),
    };
  });
}

export function readImportRows(text: string, format: 'json' | 'csv', declared: Readonly<Record<string, AttributeDeclaration>>): ImportRow[] {
  const rows = format === 'json' ? readJsonRows(text) : readCsvRows(text, declared);
  const seen = new Map<string, number>();
  for (const row of rows) {
    const key = row.email.trim().toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) throw new CliError(`entry ${row.line}: ${row.email} appears twice in the file (also entry ${first})`);
    seen.set(key, row.line);
  }
  return rows;
}

function toImported(row: ImportRow): ImportedAccount {
  return {
    email: row.email,
    ...(row.name !== undefined ? { name: row.name } : {}),
    ...(row.emailVerified !== undefined ? { emailVerified: row.emailVerified } : {}),
    ...(row.passwordHash !== undefined ? { passwordHash: row.passwordHash } : {}),
    ...(row.profile !== undefined ? { profile: row.profile } : {}),
    ...(row.attributes !== undefined ? { attributes: row.attributes } : {}),
  };
}

/**
 * Checks every row first and writes nothing if any is refused (all refusals are listed), then
 * creates the accounts. An email that already has an account is skipped and reported, never
 * overwritten, so running the same file again is safe.
 */
export async function importUsers(accounts: Pick<AccountService, 'importAccount' | 'checkImport'>, rows: readonly ImportRow[], onCreated: (id: string) => void): Promise<ImportReport> {
  const refusals: string[] = [];
  for (const row of rows) {
    try {
      accounts.checkImport(toImported(row));
    } catch (error) {
      refusals.push(`entry ${row.line} (${row.email}): ${errorMessage(error)}`);
    }
  }
  if (refusals.length > 0) throw new CliError(`nothing imported; fix these and run again:\n${refusals.join('\n')}`);
  const report: ImportReport = { created: [], skipped: [] };
  for (const row of rows) {
    try {
      const account = await accounts.importAccount(toImported(row));
      report.created.push({ line: row.line, email: account.email, id: account.id });
      onCreated(account.id);
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      report.skipped.push({ line: row.line, email: row.email, reason: 'an account with this email exists' });
    }
  }
  return report;
}
