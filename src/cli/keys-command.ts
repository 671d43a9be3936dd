import { parseArgs } from 'node:util';

import type { AppConfig } from '../config/app-config.js';
import { generateKeySet, KeySetError, loadKeySet, retireKeys, rotateKeySet, SIGNING_ALGORITHMS, summariseKeys, type SigningAlgorithm } from '../keys/key-set.js';
import { CliError, toCliFailure, unknownSubcommand, UsageError } from './cli-error.js';
import { formatTable, type CliOutput } from './cli-output.js';

export const KEYS_USAGE = `latchkey keys generate [--alg ES256|EdDSA|RS256]   create KEYS_DIR/jwks.json (RS256 + ES256), or add one key
latchkey keys list                                 show the signing keys (ids, algorithms, status)
latchkey keys rotate                               new active keys; the old ones keep verifying (then SIGHUP the servers)
latchkey keys retire [--force]                     drop retiring keys once no token they signed can be valid`;

function checkAlgorithm(value: string | undefined): SigningAlgorithm | undefined {
  if (value === undefined) return undefined;
  const alg = SIGNING_ALGORITHMS.find((candidate) => candidate === value);
  if (!alg) throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  return alg;
}

function toKeyJson(key: ReturnType<typeof summariseKeys>[number]): Record<string, string> {
  return { kid: key.kid, alg: key.alg, kty: key.kty, status: key.status, created_at: key.createdAt, ...(key.retiredAt ? { retired_at: key.retiredAt } : {}) };
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
      case 'rotate': {
        parseArgs({ args: [...rest], options: {}, strict: true });
        const { created, retiring } = await rotateKeySet(deps.config.keysDir);
        const summaries = summariseKeys({ keys: [...created, ...retiring] });
        deps.output.result(
          { keys_dir: deps.config.keysDir, keys: summaries.map(toKeyJson) },
          () => `${keyRows(summaries)}\nReload running servers (kill -HUP <pid>) so they sign with the new keys.`,
        );
        return;
      }
      case 'retire': {
        const { values } = parseArgs({ args: [...rest], options: { force: { type: 'boolean' } }, strict: true });
        const ttl = deps.config.ttl;
        // Nothing signed before a rotation outlives the longest token lifetime (resource servers may ask up to a day).
        const minAgeSeconds = Math.max(ttl.accessTokenSeconds, ttl.idTokenSeconds, ttl.clientCredentialsSeconds, 86_400);
        const { removed, waiting } = await retireKeys(deps.config.keysDir, { minAgeSeconds, force: values.force ?? false });
        deps.output.result(
          { removed: removed.map((key) => key.kid), waiting: waiting.map((key) => key.kid), min_age_seconds: minAgeSeconds },
          () => `Removed ${removed.length} key(s); ${waiting.length} still retiring (kept ${minAgeSeconds} s after rotation).`,
        );
        return;
      }
      default:
        throw unknownSubcommand('keys', subcommand, KEYS_USAGE);
    }
  } catch (error) {
    if (error instanceof KeySetError) throw new CliError(error.message);
    throw toCliFailure(error);
  }
}
