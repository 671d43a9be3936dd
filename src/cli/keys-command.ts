import { parseArgs } from 'node:util';

import type { AppConfig } from '../config/app-config.js';
import { generateKeySet, KeySetError, loadKeySet, SIGNING_ALGORITHMS, summariseKeys, type SigningAlgorithm } from '../keys/key-set.js';
import { CliError, isParseArgsError, UsageError } from './cli-error.js';
import { formatTable, type CliOutput } from './cli-output.js';

export const KEYS_USAGE = `latchkey keys generate [--alg ES256|EdDSA|RS256]   create KEYS_DIR/jwks.json (RS256 + ES256), or add one key
latchkey keys list                                 show the signing keys (ids, algorithms, status)`;

function checkAlgorithm(value: string | undefined): SigningAlgorithm | undefined {
  if (value === undefined) return undefined;
  const alg = SIGNING_ALGORITHMS.find((candidate) => candidate === value);
  if (!alg) throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  return alg;
}

function toKeyJson(key: ReturnType<typeof summariseKeys>[number]): Record<string, string> {
  return { kid: key.kid, alg: key.alg, kty: key.kty, status: key.status, created_at: key.createdAt };
}

function keyRows(summaries: ReturnType<typeof summariseKeys>): string {
  return formatTable(['KID', 'ALG', 'STATUS', 'CREATED'], summaries.map((key) => [key.kid, key.alg, key.status, key.createdAt]));
}

/** `latchkey keys ...`: manages the private signing key set in KEYS_DIR. */
export async function runKeysCommand(args: readonly string[], deps: { config: AppConfig; output: CliOutput }): Promise<void> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'generate': {
        const { values } = parseArgs({ args: [...rest], options: { alg: { type: 'string' } }, strict: true });
        const { created } = await generateKeySet(deps.config.keysDir, checkAlgorithm(values.alg));
        const createdIds = new Set(created.map((key) => key.kid));
        const summaries = summariseKeys({ keys: created }).filter((key) => createdIds.has(key.kid));
        deps.output.result({ keys_dir: deps.config.keysDir, keys: summaries.map(toKeyJson) }, () => `Wrote ${summaries.length} key(s) to ${deps.config.keysDir}/jwks.json\n${keyRows(summaries)}`);
        return;
      }
      case 'list': {
        parseArgs({ args: [...rest], options: {}, strict: true });
        const summaries = summariseKeys(await loadKeySet(deps.config.keysDir));
        deps.output.result({ keys_dir: deps.config.keysDir, keys: summaries.map(toKeyJson) }, () => keyRows(summaries));
        return;
      }
      default:
        throw new UsageError(`unknown keys command${subcommand ? ` "${subcommand}"` : ''}\n${KEYS_USAGE}`);
    }
  } catch (error) {
    if (error instanceof KeySetError) throw new CliError(error.message);
    if (isParseArgsError(error)) throw new UsageError(error.message);
    throw error;
  }
}
