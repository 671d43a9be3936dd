import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { CliError, UsageError } from './cli-error.js';
import { createCliOutput } from './cli-output.js';
import { KEYS_USAGE, runKeysCommand } from './keys-command.js';

const USAGE = `Usage: latchkey <command> [options] [--json]

${KEYS_USAGE}

Reads the same environment as the server (KEYS_DIR, MONGODB_URI, REDIS_URL, ...).`;

/** Runs one CLI invocation and returns the process exit code; never throws. */
export async function runCli(
  argv: readonly string[],
  io: { env: Readonly<Record<string, string | undefined>>; stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((arg) => arg !== '--json');
  const output = createCliOutput(json, io.stdout);
  const [group, ...rest] = args;
  try {
    if (!group || group === 'help' || group === '--help' || group === '-h') {
      io.stdout(`${USAGE}\n`);
      return group ? 0 : 2;
    }
    const config = loadConfig(io.env, { requireProductionServices: false });
    switch (group) {
      case 'keys':
        await runKeysCommand(rest, { config, output });
        return 0;
      default:
        throw new UsageError(`unknown command "${group}"\n\n${USAGE}`);
    }
  } catch (error) {
    const message = error instanceof CliError || error instanceof ConfigError
      ? error.message
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    if (json) io.stderr(`${JSON.stringify({ error: message })}\n`);
    else io.stderr(`latchkey: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
