import { parseArgs } from 'node:util';

import type { Account } from '../accounts/account.js';
import { toThrottleJson, toUserJson } from '../accounts/account-json.js';
import type { AccountService, ProfileChange } from '../accounts/account-service.js';
import type { ThrottleStatus } from '../accounts/sign-in-throttle.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CliError, parseLimit, toCliFailure, unknownSubcommand, UsageError } from './cli-error.js';
import { CLI_CONTEXT } from './cli-audit-context.js';
import { formatTable, type CliOutput } from './cli-output.js';
import { parseProfileFlags } from './profile-args.js';
import { importUsers, readImportRows } from './user-import.js';

/** The subcommands, checked before any database is opened. */
export const USERS_SUBCOMMANDS: readonly string[] = ['create', 'list', 'show', 'update', 'import', 'disable', 'enable', 'delete', 'reset-totp', 'set-password', 'unlock'];

/** Subcommands that change what the servers hold in Redis: sessions and tokens, or locks. */
export const USERS_NEEDING_REDIS: readonly string[] = ['disable', 'delete', 'reset-totp', 'set-password', 'unlock'];

export const USERS_USAGE = `latchkey users create --email E [--name N] [--password-stdin] [--with-totp] [--set CLAIM=VALUE]...
latchkey users update <id or email> [--name N] [--set CLAIM=VALUE]... [--unset CLAIM]...
    CLAIM: a standard claim (given_name, family_name, birthdate, locale, phone_number,
    address.locality, ...) or an attribute declared in config customClaims
latchkey users import <file.json|file.csv> [--format json|csv]
    JSON: [{"email", "name", "email_verified", "password_hash", "profile": {...}, "attributes": {...}}]
    CSV: a header row with email, name, email_verified, password_hash and claim columns
    password_hash: argon2 or bcrypt, rehashed to argon2id at the first sign-in; none: the
    password must be set (users set-password) before the first sign-in; TOTP is enrolled then
latchkey users list [--limit N] [--after CURSOR]
latchkey users show|disable|enable|delete|reset-totp|unlock <id or email>
latchkey users set-password <id or email> [--password-stdin]`;

export interface UsersIo {
  readonly output: CliOutput;
  readonly audit: Pick<AuditLog, 'record'>;
  /** The password: all of stdin with --password-stdin, else a hidden prompt on a terminal. */
  readPassword(fromStdin: boolean): Promise<string>;
  /** A file's text, for `users import`. */
  readFile(path: string): Promise<string>;
}


const ACCOUNT_EVENTS: Readonly<Record<string, string>> = {
  disable: 'account.disabled',
  enable: 'account.enabled',
  delete: 'account.deleted',
  'reset-totp': 'totp.reset',
  'set-password': 'account.password_set',
  unlock: 'account.unlocked',
};

function describeUser(account: Account, throttle?: ThrottleStatus): string {
  const lines = Object.entries(toUserJson(account)).map(([key, value]) => `${key.padEnd(20)}${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`);
  if (throttle) {
    const held = [
      ...throttle.lockedAddresses.map((entry) => `locked from ${entry.address} until ${entry.until.toISOString()}`),
      ...(throttle.slowedUntil ? [`slowed everywhere until ${throttle.slowedUntil.toISOString()}`] : []),
    ];
    lines.push(`${'throttled'.padEnd(20)}${held.length > 0 ? held.join('; ') : 'no'}`);
  }
  return lines.join('\n');
}

/** Which fields a profile change touched, for the audit record (never their values). */
function changedFields(change: ProfileChange, name: boolean): string[] {
  return [
    ...(name ? ['name'] : []),
    ...Object.keys(change.profile ?? {}),
    ...Object.keys(change.attributes ?? {}),
  ];
}

async function resolve(accounts: AccountService, reference: string | undefined): Promise<Account> {
  if (!reference) throw new UsageError('name the user by id or email');
  const account = reference.includes('@') ? await accounts.findByEmail(reference) : await accounts.findById(reference);
  if (!account) throw new CliError(`no user ${reference}`);
  return account;
}

/** `latchkey users ...`: account administration against MONGODB_URI. */
export async function runUsersCommand(args: readonly string[], open: () => Promise<AccountService>, io: UsersIo): Promise<void> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'create': {
        const { values } = parseArgs({
          args: [...rest],
          options: { email: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean' }, 'with-totp': { type: 'boolean' }, set: { type: 'string', multiple: true } },
          strict: true,
        });
        if (!values.email) throw new UsageError('users create needs --email');
        const accounts = await open();
        const profile = parseProfileFlags(values.set ?? [], [], accounts.attributeDeclarations);
        const password = await io.readPassword(values['password-stdin'] ?? false);
        const { account, totp } = await accounts.createAccount({ email: values.email, name: values.name ?? null, password, withTotp: values['with-totp'] ?? false, ...profile });
        io.audit.record({ ...CLI_CONTEXT, type: 'account.created', outcome: 'success', accountId: account.id, details: { with_totp: Boolean(totp) } });
        const json = { id: account.id, email: account.email, ...(totp ? { totp: { secret: totp.secret, uri: totp.uri } } : {}) };
        io.output.result(json, () => [`Created ${account.email} (${account.id})`, ...(totp ? [`TOTP secret ${totp.secret}`, `otpauth URI ${totp.uri}`] : [])].join('\n'));
        return;
      }
      case 'list': {
        const { values } = parseArgs({ args: [...rest], options: { limit: { type: 'string' }, after: { type: 'string' } }, strict: true });
        const limit = parseLimit(values.limit);
        const accounts = await open();
        const page = await accounts.list({ limit, ...(values.after ? { after: values.after } : {}) });
        io.output.result(
          { users: page.accounts.map(toUserJson), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) },
          () => formatTable(['ID', 'EMAIL', 'STATUS', 'TOTP'], page.accounts.map((account) => [account.id, account.email, account.status, account.totpSecretEncrypted ? 'yes' : 'no'])) + (page.nextCursor ? `\nmore: --after ${page.nextCursor}` : ''),
        );
        return;
      }
      case 'update': {
        const { values, positionals } = parseArgs({
          args: [...rest],
          options: { name: { type: 'string' }, set: { type: 'string', multiple: true }, unset: { type: 'string', multiple: true } },
          allowPositionals: true,
          strict: true,
        });
        if (positionals.length !== 1) throw new UsageError('users update takes one id or email');
        const accounts = await open();
        const account = await resolve(accounts, positionals[0]);
        const change = parseProfileFlags(values.set ?? [], values.unset ?? [], accounts.attributeDeclarations, account.profile.address);
        if (values.name === undefined && Object.keys(change).length === 0) throw new UsageError('users update needs --name, --set or --unset');
        const updated = await accounts.updateProfile(account.id, { ...change, ...(values.name !== undefined ? { name: values.name } : {}) });
        io.audit.record({ ...CLI_CONTEXT, type: 'account.profile_updated', outcome: 'success', accountId: account.id, details: { fields: changedFields(change, values.name !== undefined) } });
        io.output.result(toUserJson(updated), () => describeUser(updated));
        return;
      }
      case 'import': {
        const { values, positionals } = parseArgs({ args: [...rest], options: { format: { type: 'string' } }, allowPositionals: true, strict: true });
        const [file] = positionals;
        if (!file || positionals.length !== 1) throw new UsageError('users import takes one file');
        const format = values.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'json');
        if (format !== 'json' && format !== 'csv') throw new UsageError(`--format takes json or csv; got ${format}`);
        const text = await io.readFile(file);
        const accounts = await open();
        const rows = readImportRows(text, format, accounts.attributeDeclarations);
        const report = await importUsers(accounts, rows, (id) => {
          io.audit.record({ ...CLI_CONTEXT, type: 'account.created', outcome: 'success', accountId: id, details: { imported: true } });
        });
        io.output.result(report, () => [
          `Imported ${report.created.length} user(s); skipped ${report.skipped.length}.`,
          ...report.skipped.map((entry) => `  skipped entry ${entry.line} ${entry.email}: ${entry.reason}`),
        ].join('\n'));
        return;
      }
      case 'show':
      case 'unlock':
      case 'disable':
      case 'enable':
      case 'delete':
      case 'reset-totp':
      case 'set-password': {
        const { values, positionals } = parseArgs({ args: [...rest], options: { 'password-stdin': { type: 'boolean' } }, allowPositionals: true, strict: true });
        if (positionals.length !== 1) throw new UsageError(`users ${subcommand} takes one id or email`);
        const accounts = await open();
        const account = await resolve(accounts, positionals[0]);
        let result: Account | undefined = account;
        if (subcommand === 'disable') result = await accounts.setStatus(account.id, 'disabled');
        if (subcommand === 'enable') result = await accounts.setStatus(account.id, 'active');
        if (subcommand === 'reset-totp') result = await accounts.resetTotp(account.id);
        if (subcommand === 'set-password') result = await accounts.setPassword(account.id, await io.readPassword(values['password-stdin'] ?? false));
        if (subcommand === 'unlock') await accounts.unlock(account.email);
        if (subcommand === 'delete') {
          await accounts.delete(account.id);
          result = undefined;
        }
        const auditType = ACCOUNT_EVENTS[subcommand];
        if (auditType) io.audit.record({ ...CLI_CONTEXT, type: auditType, outcome: 'success', accountId: account.id });
        if (result) {
          const shown = result;
          // Lock state comes from the servers' Redis (REDIS_URL); show and unlock report it.
          const throttle = subcommand === 'show' || subcommand === 'unlock' ? await accounts.throttleStatus(shown.email) : undefined;
          io.output.result({ ...toUserJson(shown), ...(throttle ? { throttle: toThrottleJson(throttle) } : {}) }, () => describeUser(shown, throttle));
        } else {
          io.output.result({ id: account.id, email: account.email, deleted: true }, () => `Deleted ${account.email} (${account.id})`);
        }
        return;
      }
      default:
        throw unknownSubcommand('users', subcommand, USERS_USAGE);
    }
  } catch (error) {
    throw toCliFailure(error);
  }
}
