import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { withDevSecrets } from '../dev/dev-secrets.js';
import { CliError, toCliFailure, unknownSubcommand, UsageError } from './cli-error.js';
import { createCliOutput } from './cli-output.js';
import { AUDIT_USAGE, parseAuditArgs, runAuditCommand } from './audit-command.js';
import { openAccountServices, openAuditStore, openClientServices, openKeyServices, openSecretServices } from './cli-services.js';
import { runSecretsCommand, SECRETS_SUBCOMMANDS, SECRETS_USAGE } from './secrets-command.js';
import { CLIENTS_SUBCOMMANDS, CLIENTS_USAGE, runClientsCommand } from './clients-command.js';
import { RESOURCES_SUBCOMMANDS, RESOURCES_USAGE, runResourcesCommand } from './resources-command.js';
import { KEYS_USAGE, runKeysCommand } from './keys-command.js';
import { CLI_CONTEXT } from './cli-audit-context.js';
import { lazyServices } from './lazy-services.js';
import { runUsersCommand, USERS_NEEDING_REDIS, USERS_SUBCOMMANDS, USERS_USAGE } from './users-command.js';
import { errorMessage } from '../logging/error-message.js';

const USAGE = `Usage: latchkey <command> [options] [--json]

${KEYS_USAGE}
${USERS_USAGE}
${CLIENTS_USAGE}
${RESOURCES_USAGE}
${SECRETS_USAGE}
${AUDIT_USAGE}

Reads the same environment as the server (KEYS_DIR, MONGODB_URI, REDIS_URL, DATA_ENCRYPTION_KEY, ...).
latchkey <command> --help shows one command's options; latchkey --version the version.`;

/** Each command's own help, shown by `latchkey <command> --help` before anything is opened. */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  keys: KEYS_USAGE,
  users: USERS_USAGE,
  clients: CLIENTS_USAGE,
  'initial-access-token': CLIENTS_USAGE,
  resources: RESOURCES_USAGE,
  secrets: SECRETS_USAGE,
  audit: AUDIT_USAGE,
};

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** All of standard input, for --password-stdin. */
  readStdin(): Promise<string>;
  /** Asks on the terminal without echo; undefined when there is no terminal. */
  promptHidden?: ((question: string) => Promise<string>) | undefined;
}

function parseCliArgs<T extends ParseArgsConfig['options']>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw toCliFailure(error);
  }
}

/** Refuses an unknown subcommand before any database is opened for it. */
function checkSubcommand(group: string, subcommand: string | undefined, known: readonly string[], usage: string): void {
  if (!subcommand || !known.includes(subcommand)) throw unknownSubcommand(group, subcommand, usage);
}

/** Runs a command with its services and always closes them, so the process can exit. */
async function withServices<S extends { close(): Promise<void> }>(opening: Promise<S>, run: (services: S) => Promise<void>): Promise<void> {
  const services = await opening;
  try {
    await run(services);
  } finally {
    await services.close();
  }
}

async function readPassword(io: CliIo, fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    // One trailing newline is how `echo` and files end; it is not part of the password.
    return (await io.readStdin()).replace(/\r?\n$/, '');
  }
  if (!io.promptHidden) throw new UsageError('no terminal to ask for the password on: pass it with --password-stdin');
  const first = await io.promptHidden('Password: ');
  const second = await io.promptHidden('Repeat password: ');
  if (first !== second) throw new CliError('the passwords do not match');
  return first;
}

async function readImportFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(error)}`);
  }
}

/** Runs one CLI invocation and returns the process exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((arg) => arg !== '--json');
  const output = createCliOutput(json, io.stdout);
  const [group, ...rest] = args;
  try {
    if (group === '--version' || group === '-v' || group === 'version') {
      output.result({ version: packageVersion() }, () => `latchkey ${packageVersion()}`);
      return 0;
    }
    if (!group || group === 'help' || group === '--help' || group === '-h') {
      io.stdout(`${USAGE}\n`);
      return group ? 0 : 2;
    }
    // Help comes before the environment is read: asking how to use a command needs no database.
    if (rest.includes('--help') || rest.includes('-h') || rest[0] === 'help') {
      const usage = COMMAND_USAGE[group];
      if (!usage) throw new UsageError(`unknown command "${group}"\n\n${USAGE}`);
      io.stdout(`${usage}\n`);
      return 0;
    }
    // In development the CLI uses the secrets the dev server keeps beside its keys.
    const config = loadConfig(withDevSecrets(io.env).env, { requireProductionServices: false });
    switch (group) {
      case 'keys':
        await runKeysCommand(rest, { config, output, openKeys: () => openKeyServices(config) });
        return 0;
      case 'users':
        checkSubcommand('users', rest[0], USERS_SUBCOMMANDS, USERS_USAGE);
        // These end the account's sessions or lift its locks, which live in the servers' Redis.
        if (USERS_NEEDING_REDIS.includes(rest[0] ?? '') && !config.redisUrl) {
          throw new CliError(`REDIS_URL is not set: users ${rest[0] ?? ''} ends sessions or lifts locks that the servers keep in Redis; set it to the servers' Redis`);
        }
        {
          const services = lazyServices(() => openAccountServices(config));
          try {
            await runUsersCommand(rest, async () => (await services.get()).accounts, {
              output,
              // Recorded only after a change, which needed the services: they are open by then.
              audit: { record: (input) => services.current()?.audit.record(input) },
              readPassword: (fromStdin) => readPassword(io, fromStdin),
              readFile: (path) => readImportFile(path),
            });
          } finally {
            await services.close();
          }
        }
        return 0;
      case 'clients':
        checkSubcommand('clients', rest[0], CLIENTS_SUBCOMMANDS, CLIENTS_USAGE);
        {
          const services = lazyServices(() => openClientServices(config));
          try {
            await runClientsCommand(rest, async () => (await services.get()).clients, output, { record: (input) => services.current()?.audit.record(input) });
          } finally {
            await services.close();
          }
        }
        return 0;
      case 'resources':
        checkSubcommand('resources', rest[0], RESOURCES_SUBCOMMANDS, RESOURCES_USAGE);
        {
          const services = lazyServices(() => openClientServices(config));
          try {
            await runResourcesCommand(rest, async () => (await services.get()).resources, output, { record: (input) => services.current()?.audit.record(input) });
          } finally {
            await services.close();
          }
        }
        return 0;
      case 'initial-access-token': {
        const { values, positionals } = parseCliArgs(rest, { ttl: { type: 'string' }, policy: { type: 'string', multiple: true } });
        if (positionals[0] !== 'create' || positionals.length !== 1) throw new UsageError(`unknown initial-access-token command\n${CLIENTS_USAGE}`);
        const ttl = values.ttl === undefined ? config.ttl.initialAccessTokenSeconds : Number(values.ttl);
        if (!Number.isInteger(ttl) || ttl < 60) throw new UsageError('--ttl must be a whole number of seconds, at least 60');
        const policies = [...new Set(values.policy ?? [])];
        const known = Object.keys(config.registrationPolicies);
        const unknown = policies.find((policy) => !known.includes(policy));
        if (unknown !== undefined) throw new UsageError(`no registration policy "${unknown}"; config/defaults.json registrationPolicies has: ${known.join(', ') || 'none'}`);
        await withServices(openClientServices(config), async (services) => {
          const provider = await services.provider();
          const value = await new provider.InitialAccessToken({ expiresIn: ttl, ...(policies.length > 0 ? { policies } : {}) }).save();
          services.audit.record({ ...CLI_CONTEXT, type: 'initial_access_token.created', outcome: 'success', details: { ttl_seconds: ttl, policies: policies.join(' ') } });
          const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
          const policyNote = policies.length > 0 ? `; registrations must follow: ${policies.join(', ')}` : '';
          output.result({ initial_access_token: value, expires_at: expiresAt, policies }, () => `${value}\n(expires ${expiresAt}; send it as a Bearer token to the registration endpoint${policyNote})`);
        });
        return 0;
      }
      case 'secrets':
        checkSubcommand('secrets', rest[0], SECRETS_SUBCOMMANDS, SECRETS_USAGE);
        await withServices(openSecretServices(config), (services) => runSecretsCommand(rest, { reencrypt: () => services.reencrypt(), output, audit: services.audit }));
        return 0;
      case 'audit': {
        const query = parseAuditArgs(rest);
        await withServices(openAuditStore(config), (services) => runAuditCommand(query, services.store, output));
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${group}"\n\n${USAGE}`);
    }
  } catch (caught) {
    const error = toCliFailure(caught);
    const message = error instanceof CliError || error instanceof ConfigError
      ? error.message
      : `unexpected error: ${errorMessage(error)}`;
    if (json) io.stderr(`${JSON.stringify({ error: message })}\n`);
    else io.stderr(`latchkey: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
